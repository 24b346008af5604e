"""A sender that dies mid-send: nothing is lost, nothing reaches a follower twice.

In-process: a gateway that "kills the process" just before or just after WeChat
accepts a message, then a fresh application and sender restart on the same store.
Out of process: a real `python -m services.outbound` against the fake WeChat, which
fails every third call, SIGKILLed three times while it sends a push.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.push import Segment
from projections.runner import ProjectionRunner
from projections.segments import SegmentsView
from services.outbound.config import OutboxConfig
from services.outbound.sender import Sender
from services.outbound.wechat import WeChatGateway
from services.settings import Settings
from tests.outbound.conftest import NOTICE, drain, wired
from tests.outbound.fake_wechat import APPID, SECRET

ROOT = Path(__file__).resolve().parents[2]
SETTLED = ("delivered", "closed", "cancelled")


class Crash(BaseException):
    """The sender process died here (not an Exception: nothing may catch it)."""


class DiesOnFirstSend:
    """A gateway whose process dies before, or after, WeChat accepts the first send."""

    def __init__(self, gateway: WeChatGateway, after_wechat_accepts: bool) -> None:
        self.gateway, self.after = gateway, after_wechat_accepts

    def send(self, order):
        if self.after:
            self.gateway.send(order)
        raise Crash


@pytest.mark.parametrize("channel", ["customer_service", "template"])
@pytest.mark.parametrize("after_wechat_accepts", [True, False], ids=["after-send", "before-send"])
def test_a_sender_dying_mid_send_never_doubles_a_message(
    app, settings, clock, fake, new_sender, channel, after_wechat_accepts
):
    app.follow("o-1")
    if channel == "template":
        clock.advance(hours=49)  # outside the window: the text goes as the notice template
    app.queue_outbound("o-1", "text", {"content": "会员日"}, "k")
    gateway = WeChatGateway.from_settings(settings)
    with pytest.raises(Crash):
        new_sender(app, DiesOnFirstSend(gateway, after_wechat_accepts)).run_once()

    restarted = wired(settings, clock)  # a new process: nothing carried over in memory
    try:
        sender = new_sender(restarted)
        sender.run_once()
        assert restarted.get_outbound("k").status == "attempted"  # not stale yet: hands off
        clock.advance(seconds=61)
        drain(sender, clock, step=timedelta(minutes=1))
        view = restarted.get_outbound("k")
        if channel == "template":  # replayed under the same client_msg_id: WeChat sends once
            assert (view.status, view.attempts) == ("delivered", 2)
            assert len(fake.duplicates) == int(after_wechat_accepts)
        else:  # no idempotency on customer-service sends: held for an operator, never resent
            assert (view.status, view.retry_at, view.attempts) == ("unknown", None, 1)
            assert fake.counts()["o-1"] == int(after_wechat_accepts)
            restarted.resolve_outbound("k", resend=not after_wechat_accepts)
            drain(sender, clock)
        assert fake.counts() == Counter({"o-1": 1})
    finally:
        restarted.close()


class RealClock:
    """Wall-clock time, optionally shifted into the past (to follow 'days ago')."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.shift


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


class SenderProcesses:
    """`python -m services.outbound` children, started and SIGKILLed at chosen moments."""

    def __init__(self, settings: Settings, fake, log: Path) -> None:
        self.env = {**os.environ, **environment(settings)}
        self.fake, self.log = fake, log

    def start(self) -> subprocess.Popen:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "services.outbound"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=out,
            )

    def kill_while_wechat_holds(self, channel: str, after: int) -> None:
        """Killed while WeChat has accepted a message the sender has not recorded yet."""
        fake = self.fake
        fake.held.clear()
        fake.release.clear()
        fake.hold = lambda delivery, n: delivery.channel == channel and n > after
        sender = self.start()
        try:
            wait_until(fake.held.is_set, 30, f"a held {channel} delivery")
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait()
            fake.hold = None
            fake.release.set()

    def kill_after(self, deliveries: int) -> None:
        """Killed at an arbitrary moment: whatever it was doing when WeChat had this many."""
        sender = self.start()
        wait_until(lambda: len(self.fake.received) >= deliveries, 30, f"{deliveries} deliveries")
        sender.send_signal(signal.SIGKILL)
        sender.wait()

    def run_until(self, condition, timeout: float) -> None:
        sender = self.start()
        try:
            wait_until(condition, timeout, "the sender to finish")
        finally:
            sender.terminate()
            assert sender.wait(timeout=10) == 0  # SIGTERM stops it cleanly


def vip_followers(app, clock: RealClock) -> tuple[list[str], list[str]]:
    """20 VIPs who followed just now (window open) and 20 who followed 3 days ago."""
    recent, lapsed = [f"o-recent-{i}" for i in range(20)], [f"o-lapsed-{i}" for i in range(20)]
    for openids, shift in ((recent, timedelta()), (lapsed, timedelta(days=3))):
        clock.shift = shift
        for openid in openids:
            app.tag_member(app.follow(openid).member_id, "vip")
    clock.shift = timedelta()
    ProjectionRunner(app, [SegmentsView()]).run_once()
    return recent, lapsed


def test_a_sigkilled_sender_process_still_gives_each_member_the_push_once(
    database_url, fake, tmp_path
):
    fake.fail_every = 3
    settings = Settings(
        database_url=database_url,
        wechat_appid=APPID,
        wechat_secret=SECRET,
        wechat_api_base=fake.url,
        outbox_template_id=NOTICE,
        outbox_rate=300,
        outbox_backoff_seconds=0.05,
        outbox_backoff_max_seconds=0.2,
        outbox_max_attempts=15,
        outbox_stale_seconds=1,
        wechat_timeout_seconds=0.5,
    )
    clock = RealClock()
    with closing(wired(settings, clock)) as app:
        recent, lapsed = vip_followers(app, clock)
        push = app.create_push("会员日", "text", {"content": "会员日全场八折"}, Segment(("vip",)))
        app.schedule_push(push.id, clock())
        keys = {o: f"push:{push.id}:{app.find_member(o).id}" for o in recent + lapsed}

        senders = SenderProcesses(settings, fake, tmp_path / "sender.log")
        senders.kill_while_wechat_holds("template", after=4)
        senders.kill_while_wechat_holds("customer_service", after=len(fake.received) + 4)
        senders.kill_after(deliveries=28)
        senders.run_until(lambda: all(settled(app, key) for key in keys.values()), timeout=40)

        counts = fake.counts()
        views = {openid: app.get_outbound(key) for openid, key in keys.items()}
        unknown = [openid for openid, view in views.items() if view.status == "unknown"]
        assert fake.failures >= 10 and len(fake.duplicates) >= 1
        assert all(counts[openid] == 1 for openid in lapsed), counts  # templates: replayed, once
        assert 1 <= len(unknown) <= 2 and set(unknown) <= set(recent)
        assert all(
            views[o].status == "delivered" and counts[o] == 1 for o in recent if o not in unknown
        )
        for openid in unknown:  # an operator checks each and resends only what never arrived
            app.resolve_outbound(keys[openid], resend=counts[openid] == 0)
        drain(new_sender_for(app, settings), FrozenAdvance(), rounds=5)
    assert fake.counts() == Counter({openid: 1 for openid in recent + lapsed})


def settled(app, key: str) -> bool:
    view = app.get_outbound(key)
    return view.status in SETTLED or (view.status == "unknown" and view.retry_at is None)


def environment(settings: Settings) -> dict[str, str]:
    """The LIANJIE_* variables that give a child process these settings."""
    names = [
        "database_url",
        "wechat_appid",
        "wechat_api_base",
        "outbox_template_id",
        "outbox_rate",
        "outbox_backoff_seconds",
        "outbox_backoff_max_seconds",
        "outbox_max_attempts",
        "outbox_stale_seconds",
        "wechat_timeout_seconds",
    ]
    env = {f"LIANJIE_{name.upper()}": str(getattr(settings, name)) for name in names}
    env["LIANJIE_WECHAT_SECRET"] = settings.wechat_secret.get_secret_value()
    return env


def new_sender_for(app, settings: Settings) -> Sender:
    return Sender(app, WeChatGateway.from_settings(settings), OutboxConfig.from_settings(settings))


class FrozenAdvance:
    """drain()'s clock for a wall-clock app: advancing just waits a moment."""

    def advance(self, **_: float) -> None:
        time.sleep(0.3)
