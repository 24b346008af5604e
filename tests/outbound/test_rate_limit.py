"""The rate limit: a token bucket of LIANJIE_OUTBOX_RATE sends per second."""

import pytest

from services.outbound.ratelimit import TokenBucket


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_gives_its_burst_then_one_token_per_interval():
    ticks = Ticks()
    bucket = TokenBucket(rate=10, burst=2, clock=ticks)
    assert bucket.try_take() == 0 and bucket.try_take() == 0
    assert bucket.try_take() == pytest.approx(0.1)
    ticks.now += 0.05
    assert bucket.try_take() == pytest.approx(0.05)
    ticks.now += 0.05
    assert bucket.try_take() == 0


def test_an_idle_bucket_refills_only_up_to_its_burst():
    ticks = Ticks()
    bucket = TokenBucket(rate=10, burst=3, clock=ticks)
    ticks.now += 3600
    assert [bucket.try_take() == 0 for _ in range(4)] == [True, True, True, False]


def test_the_sender_keeps_to_its_rate(app, new_sender, fake):
    rate, messages = 25, 26
    sender = new_sender(app, rate=rate, burst=1)
    for i in range(messages):
        app.follow(f"o-{i}")
        app.queue_outbound(f"o-{i}", "text", {"content": "x"}, f"k{i}")
    sender.run_once()
    moments = [r.at for r in fake.received]
    assert len(moments) == messages
    span = moments[-1] - moments[0]
    assert span >= (messages - 1) / rate * 0.95  # 1 s for 25 intervals
    busiest = max(sum(1 for m in moments if start <= m < start + 0.5) for start in moments)
    assert busiest <= rate * 0.5 + 1
