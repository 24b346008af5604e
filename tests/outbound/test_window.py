"""The 48-hour rule: customer-service messages inside the window, template messages outside."""

from datetime import timedelta

from domain.inbound import Inbound
from tests.outbound.conftest import NOTICE, drain


def channel_of(app, key):
    view = app.get_outbound(key)
    return view.status, view.channel


def test_47_hours_after_following_a_text_goes_as_customer_service(app, sender, clock):
    app.follow("o-1")
    clock.advance(hours=47)
    app.queue_outbound("o-1", "text", {"content": "x"}, "k")
    sender.run_once()
    assert channel_of(app, "k") == ("delivered", "customer_service")


def test_49_hours_after_following_a_text_goes_as_the_notice_template(app, sender, fake, clock):
    app.follow("o-1")
    clock.advance(hours=49)
    app.queue_outbound("o-1", "text", {"content": "周末到店有礼"}, "k")
    sender.run_once()
    assert channel_of(app, "k") == ("delivered", "template")
    [received] = fake.received
    assert received.body["template_id"] == NOTICE
    assert received.body["data"]["keyword1"] == {"value": "周末到店有礼"}


def test_outside_the_window_without_a_template_nothing_is_sent(app, new_sender, fake, clock):
    sender = new_sender(app, notice_template_id=None)
    app.follow("o-1")
    clock.advance(hours=49)
    app.queue_outbound("o-1", "text", {"content": "x"}, "k")
    drain(sender, clock)
    view = app.get_outbound("k")
    assert (view.status, view.retry_at, view.attempts) == ("failed", None, 0)
    assert "48-hour" in view.detail
    assert fake.received == []


def test_a_message_from_the_follower_opens_the_window_again(app, sender, clock):
    app.follow("o-1")
    clock.advance(hours=72)
    sent_at = int(clock.now.timestamp())
    app.receive_wechat_message(
        Inbound("o-1", "gh_brand", "text", sent_at, msg_id=7, content="在吗")
    )
    clock.advance(minutes=5)
    app.queue_outbound("o-1", "text", {"content": "在的，请问有什么可以帮您？"}, "reply:7")
    sender.run_once()
    assert channel_of(app, "reply:7") == ("delivered", "customer_service")


def test_wechats_out_of_window_refusal_falls_back_to_a_template_at_once(app, sender, fake, clock):
    app.follow("o-1")
    fake.out_of_window.add("o-1")  # WeChat knows better than our events
    app.queue_outbound("o-1", "text", {"content": "x"}, "k")
    sender.run_once()
    sender.run_once()
    view = app.get_outbound("k")
    assert (view.status, view.channel, view.attempts, view.errcode) == (
        "delivered",
        "template",
        2,
        45015,
    )
    assert [r.channel for r in fake.received] == ["template"]


def test_a_template_message_is_a_template_even_inside_the_window(app, sender, fake):
    app.follow("o-1")
    template = {"template_id": "ORDER", "data": {"first": "已发货"}}
    app.queue_outbound("o-1", "template", template, "order:1")
    sender.run_once()
    assert channel_of(app, "order:1") == ("delivered", "template")
    assert fake.received[0].body["template_id"] == "ORDER"


def test_the_window_is_measured_on_the_clock_of_the_send(app, sender, clock):
    app.follow("o-1")
    app.queue_outbound("o-1", "text", {"content": "x"}, "k")
    clock.advance(hours=48, seconds=1)  # queued inside the window, sent outside it
    sender.run_once()
    assert channel_of(app, "k") == ("delivered", "template")
    assert timedelta(hours=48) < clock.now - app.get_member(app.find_member("o-1").id).followed_at
