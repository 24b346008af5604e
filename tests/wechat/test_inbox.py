"""The customer-service inbox: unanswered messages wait oldest-first, agents take them,
answer (own words or canned) and close; the read model shows it all."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.conversation import Conversation, ConversationNotOpen, ReplyWindowClosed
from domain.errors import InvalidInput
from projections.inbox import InboxView, conversation_messages, count_waiting, open_conversations
from projections.runner import ProjectionRunner
from projections.sql import Database

AGENT, OTHER_AGENT = uuid4(), uuid4()


@pytest.fixture
def inbox(app):
    runner = ProjectionRunner(app, [InboxView()])
    db = Database(app.factory.tracking_recorder())

    def catch_up() -> Database:
        runner.run_once()
        return db

    return catch_up


def test_unanswered_messages_wait_oldest_first_with_their_waiting_time(app, wechat, clock, inbox):
    app.create_reply_rule("hi", "exact", ["你好"], {"type": "text", "content": "您好"})
    for openid in ("o-1", "o-2", "o-3"):
        wechat.subscribe(openid)
    wechat.text("o-2", "可以开发票吗")
    first_wait = clock.now
    wechat.text("o-1", "你好")  # answered by the rule: not in the inbox
    wechat.text("o-1", "会员卡怎么用")
    wechat.image("o-3")
    wechat.text("o-2", "在吗？")
    clock.advance(minutes=10)
    waiting = open_conversations(inbox(), clock.now)
    assert [(c.openid, c.waiting) for c in waiting] == [("o-2", 2), ("o-1", 1), ("o-3", 1)]
    assert waiting[0].waiting_since == first_wait
    assert waiting[0].waiting_seconds == int((clock.now - first_wait).total_seconds())
    assert waiting[0].member_id == app.find_member("o-2").id
    messages = conversation_messages(inbox(), waiting[2].conversation_id)
    assert [(m.direction, m.msg_type, m.text) for m in messages] == [
        ("in", "image", "[图片] http://mmbiz.qpic.cn/x.jpg")
    ]


def test_an_agent_takes_answers_and_the_conversation_closes(app, wechat, inbox, clock):
    wechat.subscribe("o-1")
    wechat.text("o-1", "可以开发票吗")
    wechat.text("o-1", "急")
    conversation = app.conversation_of("o-1")
    assert app.assign_conversation(conversation.id, AGENT).agent_id == AGENT
    assert [c.agent_id for c in open_conversations(inbox(), clock.now, agent_id=AGENT)] == [AGENT]
    assert open_conversations(inbox(), clock.now, unassigned=True) == []

    sent = app.answer_conversation(conversation.id, AGENT, text="可以，在小程序里申请。")
    assert sent.outbox_key == f"cs-reply:{conversation.id}:1"
    assert app.get_conversation(conversation.id).status == "closed"
    assert open_conversations(inbox(), clock.now) == []
    messages = conversation_messages(inbox(), conversation.id)
    assert [(m.direction, m.text) for m in messages] == [
        ("in", "可以开发票吗"),
        ("in", "急"),
        ("out", "可以，在小程序里申请。"),
    ]
    assert messages[-1].message_key == sent.outbox_key
    [answered] = app.logged(Conversation.Answered)
    assert (answered.openid, answered.answered_keys) == (
        "o-1",
        [m.message_key for m in messages[:2]],
    )


def test_the_next_message_reopens_the_conversation(app, wechat, inbox, clock):
    wechat.subscribe("o-1")
    wechat.text("o-1", "第一个问题")
    conversation_id = app.conversation_of("o-1").id
    app.answer_conversation(conversation_id, AGENT, text="答复一")
    wechat.text("o-1", "第二个问题")
    [waiting] = open_conversations(inbox(), clock.now)
    assert (waiting.conversation_id, waiting.waiting, waiting.agent_id) == (
        conversation_id,
        1,
        None,
    )
    sent = app.answer_conversation(conversation_id, OTHER_AGENT, text="答复二")
    assert sent.outbox_key.endswith(":2")


def test_a_canned_reply_answers_in_its_words(app, wechat):
    canned = app.add_canned_reply("开票", "请在小程序「我的-发票」里申请。")
    assert app.list_canned_replies() == [canned]
    wechat.subscribe("o-1")
    wechat.text("o-1", "发票")
    conversation_id = app.conversation_of("o-1").id
    sent = app.answer_conversation(conversation_id, AGENT, canned_reply_id=canned.id)
    assert sent.text == canned.text
    [answered] = app.logged(Conversation.Answered)
    assert answered.canned_reply_id == canned.id


def test_an_answer_with_an_idempotency_key_is_recorded_once(app, wechat):
    wechat.subscribe("o-1")
    wechat.text("o-1", "在吗")
    conversation_id = app.conversation_of("o-1").id
    first = app.answer_conversation(conversation_id, AGENT, text="在的", idempotency_key="k-1")
    again = app.answer_conversation(conversation_id, AGENT, text="在的", idempotency_key="k-1")
    assert first == again
    with pytest.raises(ConversationNotOpen):  # a second answer without the key
        app.answer_conversation(conversation_id, AGENT, text="在的")


def test_answers_need_exactly_one_of_text_or_canned(app, wechat):
    wechat.subscribe("o-1")
    wechat.text("o-1", "在吗")
    conversation_id = app.conversation_of("o-1").id
    with pytest.raises(InvalidInput):
        app.answer_conversation(conversation_id, AGENT)
    with pytest.raises(InvalidInput):
        app.answer_conversation(conversation_id, AGENT, text="x", canned_reply_id=uuid4())


def test_closing_without_an_answer_and_unfollowing_both_empty_the_inbox(app, wechat, inbox, clock):
    for openid in ("o-1", "o-2"):
        wechat.subscribe(openid)
        wechat.text(openid, "广告广告")
    app.close_conversation(app.conversation_of("o-1").id, AGENT, reason="spam")
    wechat.unsubscribe("o-2")
    assert app.conversation_of("o-2").status == "closed"
    assert open_conversations(inbox(), clock.now) == []
    assert count_waiting(inbox()) == (0, 0)


def test_no_answer_after_48_hours(app, wechat, clock):
    wechat.subscribe("o-1")
    wechat.text("o-1", "在吗")
    clock.advance(hours=49)
    with pytest.raises(ReplyWindowClosed):
        app.answer_conversation(app.conversation_of("o-1").id, AGENT, text="抱歉久等")


def test_a_message_from_someone_we_never_saw_follow_still_reaches_the_inbox(
    app, wechat, inbox, clock
):
    wechat.text("o-old-follower", "你们还营业吗")
    [waiting] = open_conversations(inbox(), clock.now)
    assert waiting.openid == "o-old-follower"
    assert waiting.member_id == app.find_member("o-old-follower").id
