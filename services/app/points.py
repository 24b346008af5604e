"""Use cases for points: purchases at the till, spending, expiry, reversal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import NotFound
from domain.points import PointsAccount
from domain.store import Store, StoreNotFound
from services.app.members import MemberUseCases


class PointsAccountNotFound(NotFound):
    """The member has no points account."""

    slug = "points-account-not-found"
    title = "Points account not found"


@dataclass(frozen=True)
class PurchaseResult:
    points_earned: int
    balance: int


@dataclass(frozen=True)
class PointsView:
    member_id: UUID
    balance: int
    spendable: int
    next_expiry: datetime | None


class PointsUseCases(MemberUseCases):
    def record_purchase(
        self, member_id: UUID, store_id: UUID, amount_fen: int, order_ref: str
    ) -> PurchaseResult:
        """A purchase at a till earns points by the earning rule; an order counts once per store."""
        return self.once(
            f"purchase:{store_id}",
            order_ref,
            PurchaseResult,
            lambda: self.decide_purchase(member_id, store_id, amount_fen, order_ref),
        )

    def decide_purchase(
        self, member_id: UUID, store_id: UUID, amount_fen: int, order_ref: str
    ) -> tuple[PurchaseResult, list[Aggregate]]:
        now = self.now()
        self.load(Store, store_id, StoreNotFound).check_open()
        member = self.member(member_id)
        member.record_purchase(store_id, amount_fen, order_ref, now)
        account = self.points_account(member_id)
        points = self.rules.earning.points_for(amount_fen)
        if points:
            expiry = now + self.rules.points_valid_for
            account.earn(points, "purchase", f"purchase:{store_id}:{order_ref}", expiry)
        return PurchaseResult(points, account.balance), [member, account]

    def award_points(self, member_id: UUID, points: int, reason: str, reference: str) -> int:
        """Credit points once per reference (rewards, corrections); returns the new balance."""
        expiry = self.now() + self.rules.points_valid_for
        account = self.update(
            lambda: self.points_account(member_id),
            lambda a: a.earn(points, reason, reference, expiry),
        )
        return account.balance

    def spend_points(self, member_id: UUID, points: int, reason: str, reference: str) -> int:
        """Spend points once per reference; returns the new balance."""
        now = self.now()
        account = self.update(
            lambda: self.points_account(member_id),
            lambda a: a.spend(points, reason, reference, now),
        )
        return account.balance

    def reverse_points(self, member_id: UUID, reference: str) -> int:
        """Undo an earning or a spending by its reference; returns the new balance."""
        now = self.now()
        account = self.update(
            lambda: self.points_account(member_id), lambda a: a.reverse(reference, now)
        )
        return account.balance

    def expire_points(self, member_id: UUID) -> int:
        """Expire what is past its date; returns the points expired."""
        now = self.now()
        expired: list[int] = []
        self.update(lambda: self.points_account(member_id), lambda a: expired.append(a.expire(now)))
        return expired[-1]

    def get_points(self, member_id: UUID) -> PointsView:
        """A member's balance, what is spendable now and when points next expire."""
        account = self.points_account(member_id)
        now = self.now()
        lots = account.live_lots(now)
        next_expiry = lots[0].expires_at if lots else None
        return PointsView(member_id, account.balance, account.spendable(now), next_expiry)

    def points_account(self, member_id: UUID) -> PointsAccount:
        return self.load(PointsAccount, PointsAccount.id_for(member_id), PointsAccountNotFound)
