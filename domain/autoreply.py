"""Auto-replies: the operator's keyword rules, kept in one rulebook, and corrections.

All rules live in one aggregate so that matching a message reads one thing, and a
pause is one event every process sees on its next message (the kill switch).
Operators change rules rarely; followers' messages only read them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput, NotFound
from domain.ids import derived_id
from domain.replies import InvalidReply, check_reply

MATCHES = ("exact", "contains", "regex", "subscribe", "click")
TEXT_MATCHES = ("exact", "contains", "regex")
MAX_KEYWORDS = 50
MAX_PATTERN = 200
MAX_MATCHED_TEXT = 2000
DEFAULT_COUPON_TEXT = "您的{title}：券码 {code}，{valid_until} 前有效。"
# A quantified group that itself holds a quantifier, e.g. (a+)+: catastrophic backtracking.
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")


class ReplyRuleNotFound(NotFound):
    """No auto-reply rule has this id."""

    slug = "reply-rule-not-found"
    title = "Auto-reply rule not found"


class InvalidReplyRule(InvalidInput):
    """The rule's match, keywords, reply or window are inconsistent."""

    slug = "invalid-reply-rule"
    title = "Invalid auto-reply rule"


def normalise(text: str) -> str:
    """Full-width to half-width, case folded, outer spaces dropped: how keywords compare."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


@dataclass(frozen=True)
class RuleTerms:
    """What an operator configures: how a rule matches, what it replies, when it applies.

    `reply` is {"type": "text", "content"}, {"type": "news", "articles": [...]},
    {"type": "coupon", "campaign_id", "text"?} (claims the campaign and sends its code)
    or {"type": "flow", "flow_id"} (starts a Q&A flow).
    """

    name: str
    match: str
    keywords: list[str]
    reply: dict[str, Any]
    priority: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def check(self) -> RuleTerms:
        if not self.name.strip():
            raise InvalidReplyRule("a rule needs a name")
        if self.match not in MATCHES:
            raise InvalidReplyRule(f"match is one of {', '.join(MATCHES)}")
        self.check_keywords()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise InvalidReplyRule("ends_at comes after starts_at")
        return RuleTerms(
            name=self.name.strip(),
            match=self.match,
            keywords=[k.strip() for k in self.keywords],
            reply=check_configured_reply(self.reply),
            priority=self.priority,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
        )

    def check_keywords(self) -> None:
        keywords = [k.strip() for k in self.keywords]
        if self.match == "subscribe":
            if keywords:
                raise InvalidReplyRule("a subscribe rule has no keywords")
            return
        if not 1 <= len(keywords) <= MAX_KEYWORDS or not all(keywords):
            raise InvalidReplyRule(f"a {self.match} rule has 1 to {MAX_KEYWORDS} keywords")
        if any(len(k) > MAX_PATTERN for k in keywords):
            raise InvalidReplyRule(f"keywords have at most {MAX_PATTERN} characters")
        if self.match == "regex":
            for pattern in keywords:
                check_pattern(pattern)


def check_pattern(pattern: str) -> None:
    if NESTED_QUANTIFIER.search(pattern):
        raise InvalidReplyRule(f"{pattern!r} nests quantifiers: it could take forever to match")
    try:
        re.compile(pattern)
    except re.error as error:
        raise InvalidReplyRule(f"{pattern!r} is not a regular expression: {error}") from None


def check_configured_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """A rule's reply: a passive reply (text, news), a coupon claim or a Q&A flow."""
    kind = reply.get("type") if isinstance(reply, dict) else None
    try:
        if kind == "coupon":
            campaign_id = str(UUID(str(reply.get("campaign_id"))))
            text = str(reply.get("text") or DEFAULT_COUPON_TEXT)
            text.format(code="C", title="T", valid_until="2026-01-01")
            return {"type": "coupon", "campaign_id": campaign_id, "text": text}
        if kind == "flow":
            return {"type": "flow", "flow_id": str(UUID(str(reply.get("flow_id"))))}
        return check_reply(reply)
    except (ValueError, KeyError, IndexError) as error:
        raise InvalidReplyRule(f"bad {kind} reply: {error}") from None
    except InvalidReply as error:
        raise InvalidReplyRule(error.detail) from None


@dataclass
class ReplyRule:
    """One rule in the rulebook, with its compiled patterns."""

    id: UUID
    terms: RuleTerms
    order: int
    active: bool = True
    patterns: list[re.Pattern[str]] = field(default_factory=list, repr=False)
    keys: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.terms.match == "regex":
            self.patterns = [re.compile(k, re.IGNORECASE) for k in self.terms.keywords]
        self.keys = {normalise(k) for k in self.terms.keywords}

    def in_window(self, now: datetime) -> bool:
        terms = self.terms
        return (terms.starts_at is None or terms.starts_at <= now) and (
            terms.ends_at is None or now < terms.ends_at
        )

    def matches(self, match: str, text: str) -> bool:
        """Does `text` (normalised) trigger this rule, for a message of this kind?"""
        kind = self.terms.match
        if match == "text" and kind in TEXT_MATCHES:
            if kind == "exact":
                return text in self.keys
            if kind == "contains":
                return any(key in text for key in self.keys)
            return any(p.search(text) for p in self.patterns)
        if match == "click" and kind == "click":
            return text in self.keys
        return match == "subscribe" and kind == "subscribe"


class Rulebook(Aggregate):
    """Every auto-reply rule of the Official Account."""

    @staticmethod
    def id_for() -> UUID:
        return derived_id("reply-rulebook")

    class Opened(Aggregate.Created):
        pass

    class RuleAdded(Aggregate.Event):
        rule_id: UUID
        name: str
        match: str
        keywords: list[str]
        reply: dict[str, Any]
        priority: int
        starts_at: datetime | None
        ends_at: datetime | None

        def apply(self, book: Rulebook) -> None:
            terms = RuleTerms(
                self.name,
                self.match,
                list(self.keywords),
                dict(self.reply),
                self.priority,
                self.starts_at,
                self.ends_at,
            )
            book.rules[self.rule_id] = ReplyRule(self.rule_id, terms, len(book.rules))

    class RulePaused(Aggregate.Event):
        rule_id: UUID
        at: datetime

        def apply(self, book: Rulebook) -> None:
            book.rules[self.rule_id].active = False

    class RuleResumed(Aggregate.Event):
        rule_id: UUID
        at: datetime

        def apply(self, book: Rulebook) -> None:
            book.rules[self.rule_id].active = True

    def __init__(self) -> None:
        self.rules: dict[UUID, ReplyRule] = {}

    @classmethod
    def open(cls) -> Rulebook:
        """The Official Account's empty rulebook."""
        return cls._create(cls.Opened, id=cls.id_for())

    def add_rule(self, rule_id: UUID, terms: RuleTerms) -> None:
        """Add a rule, active at once within its window."""
        terms = terms.check()
        self.trigger_event(
            self.RuleAdded,
            rule_id=rule_id,
            name=terms.name,
            match=terms.match,
            keywords=terms.keywords,
            reply=terms.reply,
            priority=terms.priority,
            starts_at=terms.starts_at,
            ends_at=terms.ends_at,
        )

    def pause(self, rule_id: UUID, now: datetime) -> None:
        """The kill switch: the rule answers nothing from now on. Pausing twice is harmless."""
        if self.rule(rule_id).active:
            self.trigger_event(self.RulePaused, rule_id=rule_id, at=now)

    def resume(self, rule_id: UUID, now: datetime) -> None:
        """Let a paused rule answer again."""
        if not self.rule(rule_id).active:
            self.trigger_event(self.RuleResumed, rule_id=rule_id, at=now)

    @property
    def starts_flows(self) -> bool:
        """Does any rule (even a paused one) start a Q&A flow?"""
        return any(rule.terms.reply["type"] == "flow" for rule in self.rules.values())

    def rule(self, rule_id: UUID) -> ReplyRule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise ReplyRuleNotFound(f"no auto-reply rule {rule_id}") from None

    def match(self, kind: str, text: str, now: datetime) -> ReplyRule | None:
        """The active rule for a text, click or subscribe: highest priority, then oldest."""
        text = normalise(text[:MAX_MATCHED_TEXT])
        found = [
            rule
            for rule in list(self.rules.values())
            if rule.active and rule.in_window(now) and rule.matches(kind, text)
        ]
        return min(found, key=lambda r: (-r.terms.priority, r.order), default=None)
