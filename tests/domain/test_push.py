from datetime import timedelta
from uuid import uuid4

from domain.errors import InvalidInput
from domain.outbound_content import InvalidOutboundContent
from domain.push import Push, PushCancelled, PushNotDue, PushNotSchedulable, Segment
from tests.domain.gwt import NOW, given, then, then_error, when

ARTICLE = {"articles": [{"title": "双十一", "url": "https://brand.example/11"}]}
LATER = NOW + timedelta(hours=2)
A, B, C = uuid4(), uuid4(), uuid4()


def composed():
    return (
        Push.Composed,
        {
            "title": "双十一预告",
            "kind": "news",
            "payload": ARTICLE,
            "tags": ["coffee"],
            "region": "合肥",
            "store_id": None,
            "active_since": None,
            "composed_by": None,
            "at": NOW,
        },
    )


def scheduled(at=LATER):
    return (Push.Scheduled, {"send_at": at, "at": NOW})


def test_compose_a_push_for_a_segment():
    events = when(
        None,
        lambda _: Push.compose("双十一预告", "news", ARTICLE, Segment(("coffee", " coffee ")), NOW),
    )
    then(events, (Push.Composed, {"kind": "news", "tags": ["coffee"], "region": None}))


def test_a_push_is_text_or_news_with_fitting_content():
    then_error(None, lambda _: Push.compose("t", "template", {}, Segment(), NOW), InvalidInput)
    then_error(
        None, lambda _: Push.compose("t", "text", {}, Segment(), NOW), InvalidOutboundContent
    )


def test_schedule_and_reschedule_a_draft():
    push = given(Push, composed())
    then(when(push, lambda p: p.schedule(LATER, NOW)), (Push.Scheduled, {"send_at": LATER}))
    then(when(push, lambda p: p.schedule(NOW, NOW)), (Push.Scheduled, {"send_at": NOW}))


def test_a_push_is_not_due_before_its_time():
    then_error(
        given(Push, composed(), scheduled()), lambda p: p.queue_members([A], NOW), PushNotDue
    )


def test_members_are_queued_once_each():
    push = given(
        Push, composed(), scheduled(), (Push.MembersQueued, {"member_ids": [A], "at": NOW})
    )
    events = when(push, lambda p: p.queue_members([A, B, B, C], LATER))
    then(events, (Push.MembersQueued, {"member_ids": [B, C]}))
    assert when(push, lambda p: p.queue_members([A, B], LATER)) == []


def test_dispatch_finishes_with_the_count():
    push = given(
        Push, composed(), scheduled(), (Push.MembersQueued, {"member_ids": [A, B], "at": NOW})
    )
    then(when(push, lambda p: p.finish_dispatch(LATER)), (Push.Dispatched, {"queued": 2}))
    then_error(push, lambda p: p.schedule(LATER, LATER), PushNotSchedulable)


def test_a_cancelled_push_queues_nobody():
    push = given(Push, composed(), scheduled(), (Push.Cancelled, {"reason": "typo", "at": NOW}))
    then_error(push, lambda p: p.queue_members([A], LATER), PushCancelled)
    then_error(push, lambda p: p.cancel("again", LATER), PushCancelled)


def test_message_keys_name_the_push_and_the_member():
    push = given(Push, composed())
    assert push.message_key(A) == f"push:{push.id}:{A}"
