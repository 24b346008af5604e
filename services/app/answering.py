"""Answering a follower's text: the Q&A flow they are in, else the first matching rule
(a text or news reply, a coupon claimed for them, or the start of a Q&A flow)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.autoreply import DEFAULT_COUPON_TEXT, ReplyRule, Rulebook
from domain.claim import Claim, ClaimLimitReached
from domain.errors import DomainError
from domain.points import ReferenceAlreadyCounted
from domain.qaflow import QaFlowPaused
from domain.qaprogress import QaFlowAlreadyCompleted, QaProgress
from domain.replies import text_reply
from services.app.autoreplies import AutoReplyUseCases
from services.app.turns import (
    CLAIMED_BEFORE,
    FLOW_DONE,
    POINTS_TEXT,
    REFUSALS,
    REFUSED,
    Turn,
    gift_text,
)


class AnsweringUseCases(AutoReplyUseCases):
    def on_text(self, turn: Turn, text: str) -> None:
        book = self.rulebook()
        # Only rules start flows: without flow rules nobody can be midway through one.
        if book and book.starts_flows and self.answer_flow(turn, text):
            return
        self.reply_by_rule(turn, "text", text, book)

    def reply_by_rule(self, turn: Turn, kind: str, text: str, book: Rulebook | None = None) -> None:
        book = book or self.rulebook()
        rule = book.match(kind, text, turn.now) if book else None
        if rule is not None:
            self.apply_rule(turn, rule)

    def apply_rule(self, turn: Turn, rule: ReplyRule) -> None:
        reply = rule.terms.reply
        if reply["type"] == "coupon":
            words = self.claim_by_keyword(turn, UUID(reply["campaign_id"]), reply["text"])
            turn.reply(text_reply(words), "rule", rule.id)
        elif reply["type"] == "flow":
            prompt = self.start_flow(turn, UUID(reply["flow_id"]))
            if prompt:  # a paused flow answers nothing: the message waits for a person
                turn.reply(text_reply(prompt), "rule", rule.id)
        else:
            turn.reply(reply, "rule", rule.id)

    def claim_by_keyword(self, turn: Turn, campaign_id: UUID, template: str) -> str:
        try:
            result, changed = self.decide_claim(campaign_id, turn.member_id, "keyword")
        except ClaimLimitReached:
            return self.claimed_before(campaign_id, turn.member_id)
        except DomainError as refusal:
            return REFUSALS.get(refusal.slug, REFUSED)
        turn.keep(*changed)
        return gift_text(template, result)

    def claimed_before(self, campaign_id: UUID, member_id: UUID) -> str:
        """The code of the member's last claim, when they have claimed all they may."""
        terms = self.campaign(campaign_id).terms
        claim = self.maybe(Claim, Claim.id_for(campaign_id, member_id, terms.per_member_limit))
        if claim is None or claim.coupon_code is None:
            return REFUSALS["claim-limit-reached"]
        return CLAIMED_BEFORE.format(title=terms.reward.title, code=claim.coupon_code)

    def start_flow(self, turn: Turn, flow_id: UUID) -> str | None:
        flow = self.qa_flow(flow_id)
        progress = self.maybe(QaProgress, QaProgress.id_for(turn.member_id))
        progress = progress or QaProgress.begin(turn.member_id)
        try:
            prompt = progress.start(flow, turn.now)
        except QaFlowAlreadyCompleted:
            return FLOW_DONE
        except QaFlowPaused:
            return None
        turn.keep(progress)
        return prompt

    def answer_flow(self, turn: Turn, text: str) -> bool:
        """Take the text as the answer to the follower's open question, if it is one."""
        progress = self.maybe(QaProgress, QaProgress.id_for(turn.member_id))
        if progress is None or progress.current is None or turn.member is None:
            return False
        flow = self.qa_flow(progress.current)
        step = progress.answer(flow, text, turn.now)
        if step is None:
            return False
        turn.member.tag(step.tag)
        turn.keep(progress, turn.member)
        if step.next_prompt is not None:
            turn.reply(text_reply(step.next_prompt), "flow")
        else:
            words = [flow.closing_text, *self.flow_reward(turn, flow.id, flow.reward)]
            turn.reply(text_reply("\n".join(words)), "flow")
        return True

    def flow_reward(self, turn: Turn, flow_id: UUID, reward: dict[str, Any] | None) -> list[str]:
        if reward is None:
            return []
        if reward["type"] == "points":
            account = self.points_account(turn.member_id)
            expiry = turn.now + self.rules.points_valid_for
            try:
                account.earn(reward["points"], "qa-flow", f"qa:{flow_id}:{account.id}", expiry)
            except ReferenceAlreadyCounted:
                return []
            turn.keep(account)
            return [POINTS_TEXT.format(points=reward["points"])]
        try:
            result, changed = self.decide_claim(
                UUID(reward["campaign_id"]), turn.member_id, "qa-flow"
            )
        except DomainError as refusal:
            return [REFUSALS.get(refusal.slug, REFUSED)]
        turn.keep(*changed)
        return [gift_text(DEFAULT_COUPON_TEXT, result)]
