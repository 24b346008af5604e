"""Q&A flows: "你是我们的老顾客吗？回复 A 是 B 不是" as the playbook runs them.

A flow is a list of questions; each option of a question names the tag a follower
gets by answering it, and the last answer may earn a reward. Each follower's way
through the flows is a `QaProgress` (domain.qaprogress).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound
from domain.member import MAX_TAG_LENGTH

MAX_QUESTIONS = 10
MAX_OPTIONS = 8
MAX_PROMPT = 600
ANSWER_PUNCTUATION = " \t\r\n.。!！?？,，、"


class QaFlowNotFound(NotFound):
    """No Q&A flow has this id."""

    slug = "qa-flow-not-found"
    title = "Q&A flow not found"


class InvalidQaFlow(InvalidInput):
    """The flow's questions, options or reward are inconsistent."""

    slug = "invalid-qa-flow"
    title = "Invalid Q&A flow"


class QaFlowPaused(DomainError):
    """The flow is paused: it starts for nobody."""

    slug = "qa-flow-paused"
    title = "Q&A flow paused"


def answer_key(text: str) -> str:
    """How answers compare: half-width, upper case, without surrounding punctuation."""
    return unicodedata.normalize("NFKC", text).strip(ANSWER_PUNCTUATION).upper()


@dataclass(frozen=True)
class Question:
    """A prompt and its options: what the follower replies ("A") -> the tag it earns."""

    prompt: str
    options: dict[str, str]

    def tag_for(self, text: str) -> tuple[str, str] | None:
        """(answer, tag) when `text` is one of the options, else None."""
        key = answer_key(text)
        for answer, tag in self.options.items():
            if answer_key(answer) == key:
                return answer, tag
        return None

    def check(self) -> Question:
        prompt = self.prompt.strip()
        if not prompt or len(prompt) > MAX_PROMPT:
            raise InvalidQaFlow(f"a prompt has 1 to {MAX_PROMPT} characters")
        options = {answer.strip(): tag.strip() for answer, tag in self.options.items()}
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise InvalidQaFlow(f"a question has 2 to {MAX_OPTIONS} options")
        if len({answer_key(a) for a in options}) != len(options) or not all(options):
            raise InvalidQaFlow("options are distinct and not empty")
        if not all(0 < len(tag) <= MAX_TAG_LENGTH for tag in options.values()):
            raise InvalidQaFlow(f"every option names a tag of 1 to {MAX_TAG_LENGTH} characters")
        return Question(prompt, options)

    def as_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "options": dict(self.options)}


def check_reward(reward: dict[str, Any] | None) -> dict[str, Any] | None:
    """None, {"type": "coupon", "campaign_id"} or {"type": "points", "points" > 0}."""
    if reward is None:
        return None
    kind = reward.get("type")
    try:
        if kind == "coupon":
            return {"type": "coupon", "campaign_id": str(UUID(str(reward.get("campaign_id"))))}
        if kind == "points" and int(reward.get("points", 0)) > 0:
            return {"type": "points", "points": int(reward["points"])}
    except ValueError:
        pass
    raise InvalidQaFlow("a reward is a coupon campaign or a positive number of points")


class QaFlow(Aggregate):
    """An operator's questionnaire that tags followers by their answers."""

    class Defined(Aggregate.Created):
        name: str
        questions: list[dict[str, Any]]
        reward: dict[str, Any] | None
        closing_text: str
        answer_window_minutes: int

    class Paused(Aggregate.Event):
        def apply(self, flow: QaFlow) -> None:
            flow.active = False

    class Resumed(Aggregate.Event):
        def apply(self, flow: QaFlow) -> None:
            flow.active = True

    def __init__(
        self,
        name: str,
        questions: list[dict[str, Any]],
        reward: dict[str, Any] | None,
        closing_text: str,
        answer_window_minutes: int,
    ) -> None:
        self.name = name
        self.questions = [Question(q["prompt"], dict(q["options"])) for q in questions]
        self.reward = reward
        self.closing_text = closing_text
        self.answer_window = timedelta(minutes=answer_window_minutes)
        self.active = True

    @classmethod
    def define(
        cls,
        name: str,
        questions: list[Question],
        reward: dict[str, Any] | None = None,
        closing_text: str = "谢谢参与！",
        answer_window_minutes: int = 30,
    ) -> QaFlow:
        """Define a flow of 1 to 10 questions, active at once."""
        if not name.strip() or not closing_text.strip():
            raise InvalidQaFlow("a flow has a name and a closing text")
        if not 1 <= len(questions) <= MAX_QUESTIONS:
            raise InvalidQaFlow(f"a flow has 1 to {MAX_QUESTIONS} questions")
        if not 1 <= answer_window_minutes <= 7 * 24 * 60:
            raise InvalidQaFlow("answers are awaited 1 minute to 7 days")
        return cls._create(
            cls.Defined,
            name=name.strip(),
            questions=[q.check().as_dict() for q in questions],
            reward=check_reward(reward),
            closing_text=closing_text.strip(),
            answer_window_minutes=answer_window_minutes,
        )

    def pause(self) -> None:
        """Start the flow for nobody; followers midway get no further questions."""
        if self.active:
            self.trigger_event(self.Paused)

    def resume(self) -> None:
        """Let the flow start again."""
        if not self.active:
            self.trigger_event(self.Resumed)

    def check_active(self) -> None:
        if not self.active:
            raise QaFlowPaused(f"flow {self.name} is paused")
