"""Correction: a follow-up to everyone an auto-reply rule answered, once per follower."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.ids import derived_id
from domain.member import openid_owner
from domain.personal import PersonalData
from domain.replies import check_reply


class Correction(Aggregate):
    """A correction for everyone a rule answered: one event per follower, each with the
    stable key the outbox sends it under, so each follower gets it exactly once."""

    @staticmethod
    def id_for(rule_id: UUID, key: str) -> UUID:
        return derived_id("reply-correction", rule_id, key)

    class Requested(Aggregate.Created):
        rule_id: UUID
        text: str
        at: datetime

    class Addressed(Aggregate.Event):
        personal_data = PersonalData(("openid", "outbox_key"), openid_owner)
        member_id: UUID | None
        openid: str
        text: str
        outbox_key: str

        def apply(self, correction: Correction) -> None:
            correction.addressed.add(self.openid)

    def __init__(self, rule_id: UUID, text: str, at: datetime) -> None:
        self.rule_id = rule_id
        self.text = text
        self.at = at
        self.addressed: set[str] = set()

    @classmethod
    def request(cls, rule_id: UUID, key: str, text: str, now: datetime) -> Correction:
        """Start a correction of a rule's replies; `key` makes a repeat collide."""
        check_reply({"type": "text", "content": text})
        return cls._create(
            cls.Requested, id=cls.id_for(rule_id, key), rule_id=rule_id, text=text, at=now
        )

    def address(self, openid: str, member_id: UUID | None) -> None:
        """Send the correction to one follower; addressing someone twice changes nothing."""
        if openid not in self.addressed:
            outbox_key = f"correction:{self.id}:{openid}"
            self.trigger_event(
                self.Addressed,
                member_id=member_id,
                openid=openid,
                text=self.text,
                outbox_key=outbox_key,
            )
