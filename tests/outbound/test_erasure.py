"""An erased follower's queued messages: never sent, cancelled with the reason, read as erased."""

from uuid import uuid4

from domain.outbox import RECIPIENT_ERASED
from domain.personal import ERASED
from tests.outbound.conftest import wired

OPERATOR = uuid4()
BOOKING = {"content": "张先生，您周六 14:00 的预约已确认"}


def test_a_message_queued_before_the_erasure_is_cancelled_not_sent(app, sender, fake):
    member = app.follow("o-zhang").member_id
    app.queue_outbound("o-zhang", "text", BOOKING, "booking:1")
    app.queue_outbound(
        "o-zhang", "template", {"template_id": "T", "data": {"first": "张先生"}}, "booking:2"
    )
    sender.worklist.run_once()  # the worklist knows them by their keys...
    app.erase_member(member, OPERATOR)

    sender.run_once()

    assert fake.received == []
    for key in ("booking:1", "booking:2"):
        view = app.get_outbound(key)
        assert (view.status, view.detail) == ("cancelled", RECIPIENT_ERASED)
        assert (view.openid, view.key) == (ERASED, ERASED)
    assert app.outbound_by_key("booking:1").payload == ERASED
    sender.worklist.run_once()
    live = worklist_rows(sender)  # ...and no longer
    assert live == [(ERASED, "cancelled", RECIPIENT_ERASED)] * 2
    sender.worklist.rebuild()
    assert worklist_rows(sender) == live


def test_a_sender_that_still_holds_the_key_sends_nothing_either(
    app, settings, clock, fake, new_sender
):
    member = app.follow("o-zhang").member_id
    app.queue_outbound("o-zhang", "text", BOOKING, "booking:1")
    elsewhere = wired(settings, clock)  # `lianjie project` in another process
    assert elsewhere.outbound_by_key("booking:1").payload == BOOKING  # its key is now cached

    app.erase_member(member, OPERATOR)
    new_sender(elsewhere).run_once()

    assert fake.received == []
    assert app.get_outbound("booking:1").detail == RECIPIENT_ERASED
    elsewhere.close()


def worklist_rows(sender) -> list[tuple]:
    return sender.db.read("SELECT msg_key, status, detail FROM outbox_messages ORDER BY message_id")
