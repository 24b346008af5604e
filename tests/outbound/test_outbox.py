"""The outbox against the fake WeChat API: once per key, retries, refusals, unclear sends."""

from collections import Counter

import pytest

from domain.outbound_content import InvalidOutboundContent
from domain.outbox import OutboundKeyReused
from services.outbound.sender import sender_from_settings
from services.settings import Settings
from tests.outbound.conftest import drain

TEMPLATE = {"template_id": "ORDER", "data": {"first": "您的订单已发货", "keyword1": "A-1"}}


def followers(app, count: int) -> list[str]:
    openids = [f"o-out-{i}" for i in range(count)]
    for openid in openids:
        app.follow(openid)
    return openids


def test_queueing_the_same_key_twice_queues_once(app, sender, fake):
    first = app.queue_outbound("o-1", "text", {"content": "您好"}, "reply:c1:1")
    again = app.queue_outbound("o-1", "text", {"content": "您好"}, "reply:c1:1")
    assert (first.created, again.created) == (True, False)
    assert first.message_id == again.message_id
    with pytest.raises(OutboundKeyReused):
        app.queue_outbound("o-2", "text", {"content": "您好"}, "reply:c1:1")
    with pytest.raises(InvalidOutboundContent):
        app.queue_outbound("o-1", "text", {"content": ""}, "reply:c1:2")
    sender.run_once()
    assert fake.counts() == Counter({"o-1": 1})


def test_a_follower_in_the_window_gets_a_customer_service_text(app, sender, fake):
    app.follow("o-1")
    app.queue_outbound("o-1", "text", {"content": "欢迎光临"}, "welcome:o-1")
    sender.run_once()
    view = app.get_outbound("welcome:o-1")
    assert (view.status, view.channel, view.attempts) == ("delivered", "customer_service", 1)
    [received] = fake.received
    assert received.body == {"touser": "o-1", "msgtype": "text", "text": {"content": "欢迎光临"}}


def test_a_template_message_carries_its_client_msg_id(app, sender, fake):
    app.queue_outbound("o-1", "template", TEMPLATE, "order:A-1")
    sender.run_once()
    [received] = fake.received
    assert received.channel == "template"
    assert received.body["client_msg_id"].endswith("-1")
    assert received.body["data"]["keyword1"] == {"value": "A-1"}


def test_every_third_call_failing_still_delivers_each_message_exactly_once(
    app, sender, fake, clock
):
    fake.fail_every = 3
    openids = followers(app, 12)
    for openid in openids:
        app.queue_outbound(openid, "text", {"content": "通知"}, f"notice:{openid}")
    drain(sender, clock)
    assert fake.failures >= 4
    assert fake.counts() == Counter({openid: 1 for openid in openids})
    views = [app.get_outbound(f"notice:{openid}") for openid in openids]
    assert {v.status for v in views} == {"delivered"}
    assert any(v.attempts > 1 and v.errcode == -1 for v in views)


def test_a_failed_send_waits_for_its_backoff(app, sender, fake, clock):
    fake.fail_every = 1
    app.follow("o-1")
    app.queue_outbound("o-1", "text", {"content": "x"}, "k")
    sender.run_once()
    failed = app.get_outbound("k")
    assert (failed.status, failed.errcode, failed.retry_at) == (
        "failed",
        -1,
        clock.now + sender.config.policy.base,
    )
    fake.fail_every = 0
    clock.advance(seconds=29)
    sender.run_once()
    assert app.get_outbound("k").status == "failed"
    clock.advance(seconds=1)
    sender.run_once()
    assert app.get_outbound("k").status == "delivered"


def test_a_permanent_refusal_is_recorded_with_its_errcode_and_not_retried(app, sender, fake, clock):
    fake.fail_every, fake.fail_errcode = 1, 43004  # the follower unfollowed
    app.follow("o-1")
    app.queue_outbound("o-1", "text", {"content": "x"}, "k")
    drain(sender, clock)
    view = app.get_outbound("k")
    assert (view.status, view.errcode, view.retry_at, view.attempts) == ("failed", 43004, None, 1)


def test_a_cancelled_message_is_never_sent(app, sender, fake):
    app.follow("o-1")
    app.queue_outbound("o-1", "text", {"content": "错误的自动回复"}, "auto:1")
    assert app.cancel_outbound("auto:1", "wrong rule").status == "cancelled"
    sender.run_once()
    assert fake.received == []


def test_an_unclear_customer_service_send_is_never_repeated_until_an_operator_says(
    app, sender, fake, clock
):
    app.follow("o-1")
    fake.hold = lambda delivery, n: True  # accepted, but answered after the client's timeout
    app.queue_outbound("o-1", "text", {"content": "x"}, "k")
    sender.run_once()
    fake.release.set()
    view = app.get_outbound("k")
    assert (view.status, view.retry_at) == ("unknown", None)
    drain(sender, clock)
    assert fake.counts()["o-1"] == 1
    app.resolve_outbound("k", resend=False, note="the follower confirmed")
    assert app.get_outbound("k").status == "closed"


def test_an_unclear_template_send_is_replayed_and_wechat_drops_the_repeat(app, sender, fake, clock):
    fake.hold = lambda delivery, n: True
    app.queue_outbound("o-1", "template", TEMPLATE, "order:A-1")
    sender.run_once()
    fake.release.set()
    assert app.get_outbound("order:A-1").status == "unknown"
    drain(sender, clock)
    view = app.get_outbound("order:A-1")
    assert (view.status, view.attempts) == ("delivered", 2)
    assert fake.counts()["o-1"] == 1
    assert len(fake.duplicates) == 1


def test_a_passive_reply_as_the_callback_records_it_is_queued_as_is(app, sender, fake):
    app.follow("o-1")
    reply = {
        "type": "news",
        "articles": [
            {"title": "门店地址", "description": "", "url": "https://brand.example/s", "image": ""},
            {"title": "营业时间", "description": "", "url": "", "image": ""},
        ],
    }
    app.queue_outbound("o-1", reply["type"], reply, "passive:msg:42")
    app.queue_outbound("o-1", "text", {"type": "text", "content": "稍等"}, "cs-reply:c:1")
    sender.run_once()
    news, text = (r.body for r in fake.received)
    assert [a["title"] for a in news["news"]["articles"]] == ["门店地址"]  # WeChat takes one
    assert text["text"] == {"content": "稍等"}


def test_without_credentials_there_is_no_sender(app, database_url):
    assert sender_from_settings(app, Settings(database_url=database_url)) is None
