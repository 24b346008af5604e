"""QaProgress: one follower's way through the Q&A flows.

One answer moves the follower to the next question and tags them; the last one
completes the flow (and may earn its reward, once: a completed flow is never
started again). Something that is not an answer leaves the flow where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.ids import derived_id
from domain.qaflow import QaFlow


class QaFlowAlreadyCompleted(DomainError):
    """The follower finished this flow before; it is not taken (or rewarded) twice."""

    slug = "qa-flow-already-completed"
    title = "Q&A flow already completed"


@dataclass(frozen=True)
class Step:
    """What an answer did: the tag it earned, and the next prompt or the flow's end."""

    answer: str
    tag: str
    next_prompt: str | None
    completed: bool


class QaProgress(Aggregate):
    """One follower's way through the Q&A flows: the one under way and those completed."""

    @staticmethod
    def id_for(member_id: UUID) -> UUID:
        return derived_id("qa-progress", member_id)

    class Begun(Aggregate.Created):
        member_id: UUID

    class FlowStarted(Aggregate.Event):
        flow_id: UUID
        at: datetime

        def apply(self, progress: QaProgress) -> None:
            progress.current, progress.step, progress.last_at = self.flow_id, 0, self.at

    class QuestionAnswered(Aggregate.Event):
        flow_id: UUID
        step: int
        answer: str
        tag: str
        at: datetime

        def apply(self, progress: QaProgress) -> None:
            progress.step, progress.last_at = self.step + 1, self.at

    class FlowCompleted(Aggregate.Event):
        flow_id: UUID
        reward: dict[str, Any] | None
        at: datetime

        def apply(self, progress: QaProgress) -> None:
            progress.completed.add(self.flow_id)
            progress.current = None

    class FlowAbandoned(Aggregate.Event):
        flow_id: UUID
        step: int
        at: datetime

        def apply(self, progress: QaProgress) -> None:
            progress.current = None

    def __init__(self, member_id: UUID) -> None:
        self.member_id = member_id
        self.current: UUID | None = None
        self.step = 0
        self.last_at: datetime | None = None
        self.completed: set[UUID] = set()

    @classmethod
    def begin(cls, member_id: UUID) -> QaProgress:
        """A follower's progress before any flow."""
        return cls._create(cls.Begun, id=cls.id_for(member_id), member_id=member_id)

    def start(self, flow: QaFlow, now: datetime) -> str:
        """Start a flow (leaving any other one); returns the question to ask now."""
        flow.check_active()
        if flow.id in self.completed:
            raise QaFlowAlreadyCompleted(f"flow {flow.name} was completed already")
        if self.awaiting(flow, now):
            return flow.questions[self.step].prompt  # asked again, not restarted
        if self.current is not None:
            self.trigger_event(self.FlowAbandoned, flow_id=self.current, step=self.step, at=now)
        self.trigger_event(self.FlowStarted, flow_id=flow.id, at=now)
        return flow.questions[0].prompt

    def awaiting(self, flow: QaFlow, now: datetime) -> bool:
        """Is an answer to this flow's current question expected now?"""
        return (
            self.current == flow.id
            and flow.active
            and self.last_at is not None
            and now - self.last_at <= flow.answer_window
        )

    def answer(self, flow: QaFlow, text: str, now: datetime) -> Step | None:
        """Take `text` as the answer to the current question; None when it is not one."""
        if not self.awaiting(flow, now):
            return None
        found = flow.questions[self.step].tag_for(text)
        if found is None:
            return None
        answer, tag = found
        step = self.step
        self.trigger_event(
            self.QuestionAnswered, flow_id=flow.id, step=step, answer=answer, tag=tag, at=now
        )
        if step + 1 < len(flow.questions):
            return Step(answer, tag, flow.questions[step + 1].prompt, completed=False)
        self.trigger_event(self.FlowCompleted, flow_id=flow.id, reward=flow.reward, at=now)
        return Step(answer, tag, None, completed=True)
