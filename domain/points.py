"""PointsAccount: a member's points ledger, kept as lots that expire oldest first.

The balance is the sum of the events' deltas and never negative. Every earning and
spending carries a reference (order, claim, referral…) that counts once only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput
from domain.ids import derived_id


class InsufficientPoints(DomainError):
    """The balance does not cover the points asked for."""

    slug = "insufficient-points"
    title = "Not enough points"


class ReferenceAlreadyCounted(DomainError):
    """This reference was earned or spent already; it counts once."""

    slug = "points-reference-already-counted"
    title = "Reference already counted"


class NothingToReverse(DomainError):
    """No earning or spending carries this reference, or it was reversed already."""

    slug = "points-nothing-to-reverse"
    title = "Nothing to reverse"


@dataclass(frozen=True)
class EarningRule:
    """How many points a purchase earns: `points_per_yuan` for every whole ¥1."""

    points_per_yuan: int = 1

    def points_for(self, amount_fen: int) -> int:
        return amount_fen // 100 * self.points_per_yuan


@dataclass
class Lot:
    """Points earned together: what is left of them and when they expire."""

    reference: str
    remaining: int
    expires_at: datetime | None


Allocation = tuple[str, int]  # (lot reference, points taken from or returned to it)


class PointsAccount(Aggregate):
    """One member's points."""

    @staticmethod
    def id_for(member_id: UUID) -> UUID:
        return derived_id("points", member_id)

    class Opened(Aggregate.Created):
        member_id: UUID

    class Earned(Aggregate.Event):
        points: int
        reason: str
        reference: str
        expires_at: datetime | None

        def apply(self, account: PointsAccount) -> None:
            account.lots.append(Lot(self.reference, self.points, self.expires_at))
            account.entries[self.reference] = self.points
            account.balance += self.points

    class Spent(Aggregate.Event):
        points: int
        reason: str
        reference: str
        allocations: list[Allocation]

        def apply(self, account: PointsAccount) -> None:
            account.take(self.allocations)
            account.entries[self.reference] = -self.points
            account.spendings[self.reference] = self.allocations
            account.balance -= self.points

    class Expired(Aggregate.Event):
        points: int
        allocations: list[Allocation]
        at: datetime

        def apply(self, account: PointsAccount) -> None:
            account.take(self.allocations)
            account.balance -= self.points

    class Reversed(Aggregate.Event):
        reference: str
        delta: int
        allocations: list[Allocation]

        def apply(self, account: PointsAccount) -> None:
            if self.delta < 0:
                account.take(self.allocations)
            else:
                account.give_back(self.allocations)
            account.reversed.add(self.reference)
            account.balance += self.delta

    def __init__(self, member_id: UUID) -> None:
        self.member_id = member_id
        self.balance = 0
        self.lots: list[Lot] = []
        self.entries: dict[str, int] = {}
        self.spendings: dict[str, list[Allocation]] = {}
        self.reversed: set[str] = set()

    @classmethod
    def open(cls, member_id: UUID) -> PointsAccount:
        """Open the member's account at zero."""
        return cls._create(cls.Opened, id=cls.id_for(member_id), member_id=member_id)

    def earn(self, points: int, reason: str, reference: str, expires_at: datetime | None) -> None:
        """Credit points for a reason (purchase, claim, referral…), once per reference."""
        self.check_positive(points)
        self.check_new_reference(reference)
        self.trigger_event(
            self.Earned, points=points, reason=reason, reference=reference, expires_at=expires_at
        )

    def spend(self, points: int, reason: str, reference: str, now: datetime) -> None:
        """Debit points, taking the soonest-expiring lots first, once per reference."""
        self.check_positive(points)
        self.check_new_reference(reference)
        allocations = self.allocate(points, now)
        self.trigger_event(
            self.Spent, points=points, reason=reason, reference=reference, allocations=allocations
        )

    def expire(self, now: datetime) -> int:
        """Expire what is left of every lot past its expiry; returns the points expired."""
        allocations = [
            (lot.reference, lot.remaining)
            for lot in self.lots
            if lot.remaining and lot.expires_at is not None and lot.expires_at <= now
        ]
        points = sum(n for _, n in allocations)
        if points:
            self.trigger_event(self.Expired, points=points, allocations=allocations, at=now)
        return points

    def reverse(self, reference: str, now: datetime) -> None:
        """Undo an earning (takes its points back) or a spending (returns them)."""
        if reference not in self.entries or reference in self.reversed:
            raise NothingToReverse(f"nothing under reference {reference!r} to reverse")
        delta = -self.entries[reference]
        if delta < 0:
            allocations = self.allocate_reversal(reference, -delta, now)
        else:
            allocations = self.spendings[reference]
        self.trigger_event(self.Reversed, reference=reference, delta=delta, allocations=allocations)

    def spendable(self, now: datetime) -> int:
        return sum(lot.remaining for lot in self.live_lots(now))

    def live_lots(self, now: datetime) -> list[Lot]:
        live = [lot for lot in self.lots if lot.remaining and not self.is_expired(lot, now)]
        return sorted(live, key=lambda lot: (lot.expires_at is None, lot.expires_at))

    @staticmethod
    def is_expired(lot: Lot, now: datetime) -> bool:
        return lot.expires_at is not None and lot.expires_at <= now

    def allocate(self, points: int, now: datetime, first: list[Lot] = ()) -> list[Allocation]:
        """Which lots `points` come from: `first`, then soonest-expiring live lots."""
        lots = list(first) + [lot for lot in self.live_lots(now) if lot not in first]
        if sum(lot.remaining for lot in lots) < points:
            raise InsufficientPoints(f"{points} points asked, {self.spendable(now)} spendable")
        allocations, wanted = [], points
        for lot in lots:
            taken = min(lot.remaining, wanted)
            if taken:
                allocations.append((lot.reference, taken))
                wanted -= taken
        return allocations

    def allocate_reversal(self, reference: str, points: int, now: datetime) -> list[Allocation]:
        """Take back an earning from its own lot first, then from the others."""
        own_lot = [lot for lot in self.lots if lot.reference == reference and lot.remaining]
        return self.allocate(points, now, first=own_lot)

    def take(self, allocations: list[Allocation]) -> None:
        for reference, points in allocations:
            self.lot(reference).remaining -= points

    def give_back(self, allocations: list[Allocation]) -> None:
        for reference, points in allocations:
            self.lot(reference).remaining += points

    def lot(self, reference: str) -> Lot:
        return next(lot for lot in self.lots if lot.reference == reference)

    def check_new_reference(self, reference: str) -> None:
        if not reference or reference in self.entries:
            raise ReferenceAlreadyCounted(f"reference {reference!r} has been counted already")

    @staticmethod
    def check_positive(points: int) -> None:
        if points <= 0:
            raise InvalidInput("points must be a positive whole number")
