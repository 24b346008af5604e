from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.errors import InvalidInput
from domain.inbound import AlreadyReplied, Inbound, InboundMessage, NothingToDefer
from domain.member import Member
from domain.replies import InvalidReply, text_reply
from tests.domain.gwt import NOW, given, then, then_error, when

MEMBER = uuid4()
TEXT = Inbound("o-1", "gh_1", "text", 1794391200, msg_id=42, content="你好")


def received(inbound: Inbound = TEXT):
    return (
        InboundMessage.Received,
        {
            "key": inbound.key,
            "openid": inbound.openid,
            "member_id": Member.id_for(inbound.openid),
            "msg_type": inbound.msg_type,
            "event": inbound.event,
            "event_key": inbound.event_key,
            "content": inbound.content,
            "sent_at": datetime.fromtimestamp(inbound.sent_at, UTC),
            "received_at": NOW,
            "fields": {},
        },
    )


def test_a_message_is_keyed_by_its_msg_id():
    assert TEXT.key == "msg:42"


def test_an_event_is_keyed_by_sender_time_event_and_key():
    scan = Inbound("o-1", "gh_1", "event", 1794391200, event="scan", event_key="store:x")
    location = Inbound("o-1", "gh_1", "event", 1794391200, event="location")
    assert scan.key == "event:o-1:1794391200:scan:store:x"
    assert location.key != scan.key  # the same second, another event


def test_receiving_derives_the_id_from_the_key_so_a_retry_collides():
    events = when(None, lambda _: InboundMessage.receive(TEXT, NOW))
    then(events, (InboundMessage.Received, {"key": "msg:42", "openid": "o-1", "content": "你好"}))
    assert events[0].originator_id == InboundMessage.id_for("msg:42")
    assert InboundMessage.receive(TEXT, NOW).id == events[0].originator_id


def test_a_push_without_a_sender_is_refused():
    then_error(
        None, lambda _: InboundMessage.receive(Inbound(" ", "gh", "text", 1), NOW), InvalidInput
    )


def test_a_scan_is_attributed_to_the_store_its_scene_names():
    store = uuid4()
    message = given(InboundMessage, received())
    events = when(
        message, lambda m: m.record_scan(MEMBER, f"store:{store}", store, None, None, NOW)
    )
    then(events, (InboundMessage.Scanned, {"member_id": MEMBER, "store_id": store}))


def test_a_location_is_recorded_and_impossible_coordinates_are_refused():
    message = given(InboundMessage, received())
    events = when(message, lambda m: m.record_location(MEMBER, 31.82, 117.23, 30.0, None, NOW))
    then(events, (InboundMessage.Located, {"latitude": 31.82, "longitude": 117.23}))
    then_error(message, lambda m: m.record_location(MEMBER, 91, 0, None, None, NOW), InvalidInput)


def test_a_message_is_answered_once():
    message = given(InboundMessage, received())
    rule = uuid4()
    events = when(message, lambda m: m.answer(text_reply("您好"), "rule", MEMBER, rule, NOW))
    then(events, (InboundMessage.Replied, {"rule_id": rule, "openid": "o-1", "source": "rule"}))
    then_error(
        message, lambda m: m.answer(text_reply("again"), "rule", MEMBER, rule, NOW), AlreadyReplied
    )


@pytest.mark.parametrize(
    "reply",
    [
        {"type": "text", "content": " "},
        {"type": "news", "articles": []},
        {"type": "news", "articles": [{"title": "t"}] * 9},
        {"type": "news", "articles": [{"title": "t", "url": "javascript:alert(1)"}]},
        {"type": "music"},
    ],
)
def test_replies_wechat_cannot_show_are_refused(reply):
    message = given(InboundMessage, received())
    then_error(message, lambda m: m.answer(reply, "rule", MEMBER, None, NOW), InvalidReply)


def test_a_late_reply_is_deferred_to_the_outbox_once_under_a_stable_key():
    answered = (
        InboundMessage.Replied,
        {
            "openid": "o-1",
            "member_id": MEMBER,
            "reply": text_reply("您好"),
            "source": "rule",
            "rule_id": None,
            "at": NOW,
        },
    )
    message = given(InboundMessage, received(), answered)
    events = when(message, lambda m: m.defer_reply(NOW))
    then(
        events,
        (InboundMessage.ReplyDeferred, {"outbox_key": "passive:msg:42", "openid": "o-1"}),
    )
    then_error(message, lambda m: m.defer_reply(NOW), NothingToDefer)


def test_nothing_is_deferred_without_a_reply():
    then_error(given(InboundMessage, received()), lambda m: m.defer_reply(NOW), NothingToDefer)


def test_an_agent_reads_a_summary_of_what_was_sent():
    image = Inbound("o-1", "gh", "image", 1, msg_id=1, fields={"PicUrl": "http://x/1.jpg"})
    link = Inbound("o-1", "gh", "link", 1, msg_id=2, fields={"Title": "T", "Url": "http://u"})
    assert (TEXT.summary(), image.summary(), link.summary()) == (
        "你好",
        "[图片] http://x/1.jpg",
        "[链接] T http://u",
    )
