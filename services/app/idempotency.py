"""Idempotency records: the first answer to a keyed command, saved with its effects."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.ids import derived_id


class IdempotencyRecord(Aggregate):
    """The answer given the first time a (scope, key) pair was seen."""

    @staticmethod
    @lru_cache(maxsize=4096)  # asked several times per command (batch prefetch, lookup, record)
    def id_for(scope: str, key: str) -> UUID:
        return derived_id("idempotency", scope, key)

    class Recorded(Aggregate.Created):
        scope: str
        key: str
        answer: dict[str, Any]

    def __init__(self, scope: str, key: str, answer: dict[str, Any]) -> None:
        self.scope = scope
        self.key = key
        self.answer = answer

    @classmethod
    def record(cls, scope: str, key: str, answer: dict[str, Any]) -> IdempotencyRecord:
        """Remember the answer to the command keyed (scope, key)."""
        return cls._create(
            cls.Recorded, id=cls.id_for(scope, key), scope=scope, key=key, answer=answer
        )
