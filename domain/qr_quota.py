"""QrQuota: how many permanent QR codes the Official Account has used (WeChat allows 100,000)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.ids import derived_id

PERMANENT_LIMIT = 100_000


class QrQuotaExhausted(DomainError):
    """The account has used every permanent QR code WeChat allows."""

    slug = "qr-quota-exhausted"
    title = "Permanent QR codes used up"


class QrQuota(Aggregate):
    """The permanent codes used so far; saved with each new permanent code."""

    @staticmethod
    def id_for() -> UUID:
        return derived_id("qr-quota", "permanent")

    class Opened(Aggregate.Created):
        pass

    class Used(Aggregate.Event):
        scene: str

        def apply(self, quota: QrQuota) -> None:
            quota.used += 1

    def __init__(self) -> None:
        self.used = 0

    @classmethod
    def open(cls) -> QrQuota:
        """An unused quota."""
        return cls._create(cls.Opened, id=cls.id_for())

    def check_available(self, limit: int = PERMANENT_LIMIT) -> None:
        if self.used >= limit:
            raise QrQuotaExhausted(f"all {limit:,} permanent QR codes are used")

    def use(self, scene: str, limit: int = PERMANENT_LIMIT) -> None:
        """Count one more permanent code."""
        self.check_available(limit)
        self.trigger_event(self.Used, scene=scene)
