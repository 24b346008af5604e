"""Targeted pushes: a segment expanded when due, one message per member, at most once each."""

from collections import Counter
from datetime import timedelta

import pytest

from domain.push import PushNotDue, PushNotSchedulable, Segment
from projections.runner import ProjectionRunner
from projections.segments import SegmentsView
from services.outbound.worklist import push_deliveries, push_summary
from tests.outbound.conftest import drain

ARTICLE = {"articles": [{"title": "秋季新品", "url": "https://brand.example/autumn"}]}


def brand(app, clock):
    """Six followers: four coffee lovers (three in 合肥, one of them unfollowed), two others."""
    members = {}
    for name, region, tags in [
        ("a", "合肥", ["coffee"]),
        ("b", "合肥", ["coffee", "tea"]),
        ("c", "河北", ["coffee"]),
        ("d", "合肥", ["tea"]),
        ("e", "合肥", []),
        ("f", "合肥", ["coffee"]),
    ]:
        member_id = app.follow(f"o-{name}").member_id
        app.complete_profile(member_id, region)
        for tag in tags:
            app.tag_member(member_id, tag)
        members[name] = member_id
    app.unfollow("o-f")
    ProjectionRunner(app, [SegmentsView()]).run_once()
    return members


def test_a_scheduled_push_reaches_its_segment_once_when_due(app, sender, fake, clock):
    brand(app, clock)
    push = app.create_push("秋季新品", "news", ARTICLE, Segment(("coffee",), region="合肥"))
    app.schedule_push(push.id, clock.now + timedelta(hours=1))
    sender.run_once()
    assert fake.received == [] and app.get_push(push.id).status == "scheduled"

    clock.advance(hours=1)
    drain(sender, clock)
    sender.worklist.run_once()
    assert fake.counts() == Counter({"o-a": 1, "o-b": 1})
    assert fake.received[0].body["news"]["articles"][0]["title"] == "秋季新品"
    view = app.get_push(push.id)
    assert (view.status, view.queued) == ("dispatched", 2)
    assert push_summary(sender.db, push.id) == {"delivered": 2}
    assert {d.status for d in push_deliveries(sender.db, push.id)} == {"delivered"}
    with pytest.raises(PushNotDue):
        app.dispatch_push(push.id, [app.find_member("o-a").id])
    with pytest.raises(PushNotSchedulable):
        app.schedule_push(push.id, clock.now)


def test_dispatching_again_never_queues_a_member_twice(app, sender, fake, clock):
    members = brand(app, clock)
    push = app.create_push("茶饮", "text", {"content": "新茶上市"}, Segment(("tea",)))
    app.schedule_push(push.id, clock.now)
    queued = app.queue_chunk(push.id, [members["b"], members["d"]], clock.now, retried=False)
    again = app.queue_chunk(push.id, [members["d"], members["b"]], clock.now, retried=True)
    assert (queued, again) == (2, 0)
    drain(sender, clock)  # the sender finishes the dispatch from the segment: nobody new
    assert fake.counts() == Counter({"o-b": 1, "o-d": 1})
    assert app.get_push(push.id).status == "dispatched"


def test_per_member_delivery_state_with_retries(app, sender, fake, clock):
    brand(app, clock)
    fake.fail_every = 2
    push = app.create_push("咖啡日", "text", {"content": "买一送一"}, Segment(("coffee",)))
    app.schedule_push(push.id, clock.now)
    sender.run_once()
    sender.worklist.run_once()  # the view catches up with the sends just recorded
    states = Counter(d.status for d in push_deliveries(sender.db, push.id))
    assert states["failed"] >= 1 and states["delivered"] >= 1
    assert all(d.due_at for d in push_deliveries(sender.db, push.id) if d.status == "failed")
    drain(sender, clock)
    assert fake.counts() == Counter({"o-a": 1, "o-b": 1, "o-c": 1})
    sender.worklist.run_once()
    assert push_summary(sender.db, push.id) == {"delivered": 3}


def test_a_cancelled_push_sends_nothing_more(app, sender, fake, clock):
    members = brand(app, clock)
    push = app.create_push("错发", "text", {"content": "发错了"}, Segment(("coffee",)))
    app.schedule_push(push.id, clock.now)
    app.dispatch_push(push.id, [members["a"], members["b"], members["c"]])
    app.cancel_push(push.id, "wrong text")
    drain(sender, clock)
    assert fake.received == []
    sender.worklist.run_once()
    assert push_summary(sender.db, push.id) == {"cancelled": 3}


def test_a_push_cancelled_before_it_is_due_is_never_dispatched(app, sender, fake, clock):
    brand(app, clock)
    push = app.create_push("取消", "text", {"content": "x"}, Segment(("coffee",)))
    app.schedule_push(push.id, clock.now + timedelta(minutes=5))
    app.cancel_push(push.id)
    clock.advance(minutes=10)
    drain(sender, clock)
    assert fake.received == [] and app.get_push(push.id).queued == 0


def test_a_push_that_cannot_be_expanded_does_not_hold_up_other_messages(
    app, new_sender, fake, clock
):
    def broken(segment):
        raise RuntimeError("no segments view yet")

    sender = new_sender(app)
    sender.segments = broken
    app.follow("o-1")
    push = app.create_push("x", "text", {"content": "x"}, Segment(("vip",)))
    app.schedule_push(push.id, clock.now)
    app.queue_outbound("o-1", "text", {"content": "您好"}, "reply:1")
    sender.run_once()
    sender.run_once()
    assert app.get_outbound("reply:1").status == "delivered"
    assert app.get_push(push.id).status == "scheduled"
    assert sender.idle_seconds() == pytest.approx(0.25)
