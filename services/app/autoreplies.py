"""Use cases for auto-replies: keyword rules, the kill switch, recipients and corrections,
and the Q&A flows rules can start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.autoreply import InvalidReplyRule, ReplyRule, Rulebook, RuleTerms
from domain.correction import Correction
from domain.inbound import InboundMessage
from domain.personal import ERASED
from domain.qaflow import QaFlow, QaFlowNotFound, Question
from services.app.campaigns import CampaignUseCases


@dataclass(frozen=True)
class ReplyRuleView:
    id: UUID
    name: str
    match: str
    keywords: list[str]
    reply: dict[str, Any]
    priority: int
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool


@dataclass(frozen=True)
class RuleRecipient:
    """A follower a rule answered: how often, first and last."""

    openid: str
    member_id: UUID | None
    replies: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class CorrectionResult:
    correction_id: UUID
    rule_id: UUID
    text: str
    recipients: int


@dataclass(frozen=True)
class QaFlowView:
    id: UUID
    name: str
    questions: list[dict[str, Any]]
    reward: dict[str, Any] | None
    closing_text: str
    answer_window_minutes: int
    active: bool


def rule_view(rule: ReplyRule) -> ReplyRuleView:
    terms = rule.terms
    return ReplyRuleView(
        id=rule.id,
        name=terms.name,
        match=terms.match,
        keywords=list(terms.keywords),
        reply=dict(terms.reply),
        priority=terms.priority,
        starts_at=terms.starts_at,
        ends_at=terms.ends_at,
        active=rule.active,
    )


def flow_view(flow: QaFlow) -> QaFlowView:
    return QaFlowView(
        id=flow.id,
        name=flow.name,
        questions=[q.as_dict() for q in flow.questions],
        reward=flow.reward,
        closing_text=flow.closing_text,
        answer_window_minutes=int(flow.answer_window.total_seconds() // 60),
        active=flow.active,
    )


class AutoReplyUseCases(CampaignUseCases):
    def create_reply_rule(
        self,
        name: str,
        match: str,
        keywords: list[str],
        reply: dict[str, Any],
        priority: int = 0,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> ReplyRuleView:
        """Add a keyword (exact, contains, regex), click or subscribe rule; active at once."""
        terms = RuleTerms(name, match, list(keywords), dict(reply), priority, starts_at, ends_at)
        terms = terms.check()
        self.check_reply_target(terms)
        rule_id = uuid4()

        def add(book: Rulebook) -> None:
            book.add_rule(rule_id, terms)

        book = self.update(self.rulebook_for_update, add)
        return rule_view(book.rule(rule_id))

    def check_reply_target(self, terms: RuleTerms) -> None:
        reply = terms.reply
        if terms.match == "subscribe" and reply["type"] == "coupon":
            raise InvalidReplyRule("follow gifts are follow_gift campaigns, not welcome replies")
        if reply["type"] == "coupon":
            self.campaign(UUID(reply["campaign_id"]))
        elif reply["type"] == "flow":
            self.qa_flow(UUID(reply["flow_id"]))

    def pause_reply_rule(self, rule_id: UUID) -> ReplyRuleView:
        """The kill switch: the rule stops answering with the very next message."""
        now = self.now()
        book = self.update(self.rulebook_for_update, lambda b: b.pause(rule_id, now))
        return rule_view(book.rule(rule_id))

    def resume_reply_rule(self, rule_id: UUID) -> ReplyRuleView:
        """Let a paused rule answer again."""
        now = self.now()
        book = self.update(self.rulebook_for_update, lambda b: b.resume(rule_id, now))
        return rule_view(book.rule(rule_id))

    def list_reply_rules(self) -> list[ReplyRuleView]:
        """Every rule in the order it was added, paused ones included."""
        book = self.rulebook()
        return [rule_view(rule) for rule in book.rules.values()] if book else []

    def get_reply_rule(self, rule_id: UUID) -> ReplyRuleView:
        """A rule by id."""
        return rule_view(self.rulebook_for_update().rule(rule_id))

    def rule_recipients(self, rule_id: UUID) -> list[RuleRecipient]:
        """The followers a rule answered (from the log, first answered first), bar erased ones."""
        self.rulebook_for_update().rule(rule_id)
        found: dict[str, list[Any]] = {}
        for replied in self.logged(InboundMessage.Replied):
            if replied.rule_id == rule_id and replied.openid != ERASED:
                seen = found.setdefault(replied.openid, [replied.member_id, 0, replied.at, None])
                seen[1] += 1
                seen[3] = replied.at
        recipients = [RuleRecipient(openid, *seen) for openid, seen in found.items()]
        return sorted(recipients, key=lambda r: (r.first_at, r.openid))

    def send_correction(
        self, rule_id: UUID, text: str, idempotency_key: str | None = None
    ) -> CorrectionResult:
        """Record a correction for every follower the rule answered, each under a stable
        outbox key; the same idempotency key returns the first correction."""
        key = idempotency_key or uuid4().hex

        def attempt() -> Correction:
            correction_id = Correction.id_for(rule_id, key)
            if self.exists(correction_id):
                return self.repository.get(correction_id)
            recipients = self.rule_recipients(rule_id)
            correction = Correction.request(rule_id, key, text, self.now())
            for recipient in recipients:
                correction.address(recipient.openid, recipient.member_id)
            self.save(correction)
            return correction

        correction = self.retrying(attempt)
        return CorrectionResult(correction.id, rule_id, correction.text, len(correction.addressed))

    def define_qa_flow(
        self,
        name: str,
        questions: list[dict[str, Any]],
        reward: dict[str, Any] | None = None,
        closing_text: str = "谢谢参与！",
        answer_window_minutes: int = 30,
    ) -> QaFlowView:
        """Define a Q&A flow: questions whose options ("A", "B") tag the follower."""
        asked = [Question(str(q.get("prompt", "")), dict(q.get("options", {}))) for q in questions]
        flow = QaFlow.define(name, asked, reward, closing_text, answer_window_minutes)
        if flow.reward and flow.reward["type"] == "coupon":
            self.campaign(UUID(flow.reward["campaign_id"]))

        def attempt() -> QaFlow:
            self.save(flow, self.catalogued("qa_flows", flow.id))
            return flow

        return flow_view(self.retrying(attempt))

    def pause_qa_flow(self, flow_id: UUID) -> QaFlowView:
        """Ask nobody this flow's questions any more."""
        return flow_view(self.update(lambda: self.qa_flow(flow_id), QaFlow.pause))

    def resume_qa_flow(self, flow_id: UUID) -> QaFlowView:
        """Let the flow start again."""
        return flow_view(self.update(lambda: self.qa_flow(flow_id), QaFlow.resume))

    def list_qa_flows(self) -> list[QaFlowView]:
        """Every Q&A flow in the order it was defined."""
        return [flow_view(self.qa_flow(i)) for i in self.catalog_ids("qa_flows")]

    def get_qa_flow(self, flow_id: UUID) -> QaFlowView:
        """A Q&A flow by id."""
        return flow_view(self.qa_flow(flow_id))

    def qa_flow(self, flow_id: UUID) -> QaFlow:
        return self.load(QaFlow, flow_id, QaFlowNotFound)

    def rulebook(self) -> Rulebook | None:
        """The rulebook as it is now, read-only (shared with the cache: never change it)."""
        try:
            return self.repository.get(Rulebook.id_for(), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None

    def rulebook_for_update(self) -> Rulebook:
        try:
            return self.repository.get(Rulebook.id_for())
        except AggregateNotFoundError:
            return Rulebook.open()
