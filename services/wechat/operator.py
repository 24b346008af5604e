"""The operator's routes for auto-replies, Q&A flows and the customer-service inbox.

Every route is a thin `def` over one use case (or one inbox query). The caller's
identity comes from the `operator` dependency the API passes in: it refuses anyone
but an operator and returns a principal whose `subject_id` is the agent.
"""

# No `from __future__ import annotations`: FastAPI must see the local `caller` and `key`.
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query

from projections.inbox import InboxView, conversation_messages, open_conversations
from projections.sql import Database, tracking_recorder
from services.app import Lianjie
from services.wechat import schemas as s


def operator_router(application: Lianjie, operator: Callable[..., Any]) -> APIRouter:
    """Routes under /api/wechat for whoever `operator` lets through."""
    caller = Annotated[Any, Depends(operator)]
    key = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
    inbox = Database(tracking_recorder(application))
    with inbox.transaction(commit=True) as sql:
        InboxView().create(sql)  # the projection runner fills it; queries need it to exist
    router = APIRouter(prefix="/api/wechat", tags=["wechat"])
    add_rule_routes(router, application, caller, key)
    add_flow_routes(router, application, caller)
    add_inbox_routes(router, application, caller, key, inbox)
    return router


def add_rule_routes(router: APIRouter, app: Lianjie, caller: Any, key: Any) -> None:
    @router.post("/reply-rules", status_code=201)
    def create_rule(body: s.RuleCreate, _: caller) -> s.RuleOut:
        """Add an auto-reply rule (keyword, click or subscribe); it answers at once."""
        return s.RuleOut(**asdict(app.create_reply_rule(**body.model_dump())))

    @router.get("/reply-rules")
    def list_rules(_: caller) -> s.RuleList:
        """Every rule, paused ones included, in the order added."""
        return s.RuleList(items=[s.RuleOut(**asdict(r)) for r in app.list_reply_rules()])

    @router.post("/reply-rules/{rule_id}/pause")
    def pause_rule(rule_id: UUID, _: caller) -> s.RuleOut:
        """The kill switch: the rule answers nothing from the next message on."""
        return s.RuleOut(**asdict(app.pause_reply_rule(rule_id)))

    @router.post("/reply-rules/{rule_id}/resume")
    def resume_rule(rule_id: UUID, _: caller) -> s.RuleOut:
        """Let a paused rule answer again."""
        return s.RuleOut(**asdict(app.resume_reply_rule(rule_id)))

    @router.get("/reply-rules/{rule_id}/recipients")
    def rule_recipients(rule_id: UUID, _: caller) -> s.RecipientList:
        """Exactly the followers this rule answered, first answered first."""
        found = app.rule_recipients(rule_id)
        return s.RecipientList(items=[s.RecipientOut(**asdict(r)) for r in found])

    @router.post("/reply-rules/{rule_id}/corrections", status_code=201)
    def send_correction(
        rule_id: UUID, body: s.CorrectionCreate, _: caller, idempotency_key: key = None
    ) -> s.CorrectionOut:
        """Queue a correction for every follower the rule answered, once each."""
        result = app.send_correction(rule_id, body.text, idempotency_key)
        return s.CorrectionOut(**asdict(result))


def add_flow_routes(router: APIRouter, app: Lianjie, caller: Any) -> None:
    @router.post("/qa-flows", status_code=201)
    def define_flow(body: s.FlowCreate, _: caller) -> s.FlowOut:
        """Define a Q&A flow; a rule with a flow reply starts it."""
        fields = body.model_dump()
        return s.FlowOut(**asdict(app.define_qa_flow(**fields)))

    @router.get("/qa-flows")
    def list_flows(_: caller) -> s.FlowList:
        """Every Q&A flow in the order defined."""
        return s.FlowList(items=[s.FlowOut(**asdict(f)) for f in app.list_qa_flows()])

    @router.post("/qa-flows/{flow_id}/pause")
    def pause_flow(flow_id: UUID, _: caller) -> s.FlowOut:
        """Ask nobody this flow's questions any more."""
        return s.FlowOut(**asdict(app.pause_qa_flow(flow_id)))


def add_inbox_routes(
    router: APIRouter, app: Lianjie, caller: Any, key: Any, inbox: Database
) -> None:
    @router.get("/inbox")
    def waiting(
        who: caller,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        mine: bool = False,
        unassigned: bool = False,
    ) -> s.Inbox:
        """Open conversations, longest-waiting first (from the inbox read model)."""
        agent = who.subject_id if mine else None
        found = open_conversations(inbox, app.now(), limit, agent, unassigned)
        return s.Inbox(items=[s.WaitingOut(**asdict(c)) for c in found])

    @router.get("/inbox/{conversation_id}")
    def conversation(conversation_id: UUID, _: caller) -> s.ConversationOut:
        """A conversation as it is now."""
        return s.ConversationOut(**asdict(app.get_conversation(conversation_id)))

    @router.get("/inbox/{conversation_id}/messages")
    def messages(conversation_id: UUID, _: caller) -> s.MessageList:
        """The follower's messages and the agents' answers, oldest first."""
        found = conversation_messages(inbox, conversation_id)
        return s.MessageList(items=[s.MessageOut(**asdict(m)) for m in found])

    @router.post("/inbox/{conversation_id}/assign")
    def assign(conversation_id: UUID, body: s.Assign, who: caller) -> s.ConversationOut:
        """Give the conversation to an agent (by default, the caller)."""
        agent = body.agent_id or who.subject_id
        return s.ConversationOut(**asdict(app.assign_conversation(conversation_id, agent)))

    @router.post("/inbox/{conversation_id}/answer", status_code=201)
    def answer(
        conversation_id: UUID, body: s.Answer, who: caller, idempotency_key: key = None
    ) -> s.AnswerOut:
        """Answer what waits (text or a canned reply) and close; the outbox sends it."""
        sent = app.answer_conversation(
            conversation_id, who.subject_id, body.text, body.canned_reply_id, idempotency_key
        )
        return s.AnswerOut(**asdict(sent))

    @router.post("/inbox/{conversation_id}/close")
    def close(conversation_id: UUID, body: s.Close, who: caller) -> s.ConversationOut:
        """Close without answering."""
        closed = app.close_conversation(conversation_id, who.subject_id, body.reason)
        return s.ConversationOut(**asdict(closed))

    @router.post("/canned-replies", status_code=201)
    def add_canned(body: s.CannedCreate, _: caller) -> s.CannedOut:
        """A ready-made answer for agents."""
        return s.CannedOut(**asdict(app.add_canned_reply(body.title, body.text)))

    @router.get("/canned-replies")
    def list_canned(_: caller) -> s.CannedList:
        """The ready-made answers, oldest first."""
        return s.CannedList(items=[s.CannedOut(**asdict(c)) for c in app.list_canned_replies()])

    @router.delete("/canned-replies/{reply_id}", status_code=204)
    def remove_canned(reply_id: UUID, _: caller) -> None:
        """Withdraw a ready-made answer."""
        app.remove_canned_reply(reply_id)
