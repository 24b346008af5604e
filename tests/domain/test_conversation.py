from datetime import timedelta
from uuid import uuid4

from domain.conversation import (
    Conversation,
    ConversationNotOpen,
    ReplyWindowClosed,
)
from domain.errors import InvalidInput
from tests.domain.gwt import NOW, given, then, then_error, when

AGENT, OTHER_AGENT = uuid4(), uuid4()
OPENED = (Conversation.Opened, {"openid": "o-1", "member_id": None})


def queued(key="msg:1", at=NOW, text="可以开发票吗"):
    return (
        Conversation.MessageQueued,
        {"member_id": None, "message_key": key, "msg_type": "text", "text": text, "at": at},
    )


def conversation(*facts):
    return given(Conversation, OPENED, *facts, id=Conversation.id_for("o-1"))


def test_an_unanswered_message_opens_the_conversation_and_waits_from_then():
    chat = conversation()
    then(
        when(chat, lambda c: c.queue("msg:1", "text", "在吗", NOW)),
        (Conversation.MessageQueued, {}),
    )
    later = NOW + timedelta(minutes=5)
    chat.queue("msg:2", "text", "？", later)
    list(chat.collect_events())
    assert (chat.status, chat.waiting_since, chat.waiting) == ("open", NOW, ["msg:1", "msg:2"])


def test_an_open_conversation_is_assigned_and_reassigned():
    chat = conversation(queued())
    then(when(chat, lambda c: c.assign(AGENT, NOW)), (Conversation.Assigned, {"agent_id": AGENT}))
    then(when(chat, lambda c: c.assign(AGENT, NOW)))
    then(when(chat, lambda c: c.assign(OTHER_AGENT, NOW)), (Conversation.Assigned, {}))


def test_answering_covers_everything_waiting_and_closes():
    chat = conversation(queued("msg:1"), queued("msg:2"))
    key = f"cs-reply:{Conversation.id_for('o-1')}:1"
    events = when(chat, lambda c: c.answer(AGENT, " 可以的 ", NOW))
    then(
        events,
        (
            Conversation.Answered,
            {
                "text": "可以的",
                "answered_keys": ["msg:1", "msg:2"],
                "outbox_key": key,
                "openid": "o-1",
            },
        ),
    )
    assert (chat.status, chat.waiting, chat.agent_id) == ("closed", [], None)


def test_the_next_answer_gets_the_next_outbox_key():
    answered = (
        Conversation.Answered,
        {
            "openid": "o-1",
            "agent_id": AGENT,
            "text": "好",
            "canned_reply_id": None,
            "answered_keys": ["msg:1"],
            "outbox_key": "k1",
            "at": NOW,
        },
    )
    chat = conversation(queued(), answered, queued("msg:2"))
    assert chat.answer(AGENT, "好的", NOW).endswith(":2")


def test_nothing_waiting_means_nothing_to_assign_answer_or_close():
    chat = conversation()
    then_error(chat, lambda c: c.assign(AGENT, NOW), ConversationNotOpen)
    then_error(chat, lambda c: c.answer(AGENT, "hi", NOW), ConversationNotOpen)
    then_error(chat, lambda c: c.close(AGENT, "spam", NOW), ConversationNotOpen)


def test_an_empty_answer_is_refused():
    then_error(conversation(queued()), lambda c: c.answer(AGENT, "  ", NOW), InvalidInput)


def test_no_answer_after_wechats_48_hour_window():
    chat = conversation(queued(at=NOW - timedelta(hours=49)))
    then_error(chat, lambda c: c.answer(AGENT, "抱歉久等", NOW), ReplyWindowClosed)


def test_closing_without_an_answer():
    chat = conversation(queued())
    then(
        when(chat, lambda c: c.close(AGENT, "spam", NOW)), (Conversation.Closed, {"reason": "spam"})
    )
    assert chat.status == "closed"
