"""StockShard: one slice of a campaign's stock.

A campaign's stock is split over up to MAX_SHARDS shard aggregates of about
UNITS_PER_SHARD units each. A claim reserves one unit from one shard, chosen at
random, in the same transaction that issues the coupon. Concurrent claims mostly
touch different shards, so they rarely conflict; when two do, optimistic
concurrency lets one win and the other retries on another shard. A shard never
reserves more units than it holds, so the campaign is never oversold.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.ids import derived_id

MAX_SHARDS = 64
UNITS_PER_SHARD = 10


class ShardExhausted(DomainError):
    """This shard has no units left (others may)."""

    slug = "shard-exhausted"
    title = "Stock shard exhausted"


def split_stock(stock: int) -> list[int]:
    """Units per shard: as even as possible, at most MAX_SHARDS shards."""
    shards = max(1, min(MAX_SHARDS, stock // UNITS_PER_SHARD))
    base, extra = divmod(stock, shards)
    return [base + (1 if index < extra else 0) for index in range(shards)]


class StockShard(Aggregate):
    """A slice of a campaign's stock; every reserved unit names the claim that took it."""

    @staticmethod
    def id_for(campaign_id: UUID, index: int) -> UUID:
        return derived_id("stock", campaign_id, index)

    class Stocked(Aggregate.Created):
        campaign_id: UUID
        index: int
        units: int

    class UnitReserved(Aggregate.Event):
        claim_id: UUID

        def apply(self, shard: StockShard) -> None:
            shard.reserved += 1

    def __init__(self, campaign_id: UUID, index: int, units: int) -> None:
        self.campaign_id = campaign_id
        self.index = index
        self.units = units
        self.reserved = 0

    @classmethod
    def stock(cls, campaign_id: UUID, index: int, units: int) -> StockShard:
        """Create shard `index` of a campaign holding `units` units."""
        return cls._create(
            cls.Stocked,
            id=cls.id_for(campaign_id, index),
            campaign_id=campaign_id,
            index=index,
            units=units,
        )

    @property
    def remaining(self) -> int:
        return self.units - self.reserved

    def reserve(self, claim_id: UUID) -> None:
        """Take one unit for a claim."""
        if self.remaining <= 0:
            raise ShardExhausted(f"shard {self.index} of campaign {self.campaign_id} is empty")
        self.trigger_event(self.UnitReserved, claim_id=claim_id)
