"""What the inbound side decides to send reaches the outbox, once, through the policies."""

from uuid import uuid4

from domain.outbox import OutboundMessage
from services.policies import Policies


def test_an_agents_answer_and_a_correction_are_queued_once(app, wechat):
    wechat.subscribe("o-1")
    rule = app.create_reply_rule("hi", "exact", ["你好"], {"type": "text", "content": "错的"})
    wechat.text("o-1", "你好")
    wechat.text("o-1", "可以开发票吗")
    answer = app.answer_conversation(app.conversation_of("o-1").id, uuid4(), text="可以。")
    correction = app.send_correction(rule.id, "抱歉，刚才的回复有误。", idempotency_key="fix-1")

    policies = Policies(app)
    policies.run_once()
    policies.run_once()

    sent = app.get_outbound(answer.outbox_key)
    assert (sent.openid, sent.kind, sent.status) == ("o-1", "text", "queued")
    fix = app.get_outbound(f"correction:{correction.correction_id}:o-1")
    assert (fix.openid, fix.status, correction.recipients) == ("o-1", "queued", 1)
    payloads = [m.payload for m in app.logged(OutboundMessage.Queued)]
    assert sorted(p["content"] for p in payloads) == ["可以。", "抱歉，刚才的回复有误。"]
