"""Catalog: the ids of everything of one kind (stores, campaigns), in creation order.

A small list kept beside the aggregates it names and saved in the same transaction,
so listing needs no read model. Fine for hundreds of stores and campaigns; a
projection replaces it when lists grow or need filtering.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.ids import derived_id


class Catalog(Aggregate):
    """The ids of one kind of aggregate, in the order they were added."""

    @staticmethod
    def id_for(kind: str) -> UUID:
        return derived_id("catalog", kind)

    class Started(Aggregate.Created):
        kind: str

    class Added(Aggregate.Event):
        item_id: UUID

        def apply(self, catalog: Catalog) -> None:
            catalog.item_ids.append(self.item_id)
            catalog.known.add(self.item_id)

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.item_ids: list[UUID] = []
        self.known: set[UUID] = set()

    @classmethod
    def start(cls, kind: str) -> Catalog:
        """An empty catalog for one kind."""
        return cls._create(cls.Started, id=cls.id_for(kind), kind=kind)

    def add(self, item_id: UUID) -> None:
        """List an id; listing it twice changes nothing."""
        if item_id not in self.known:
            self.trigger_event(self.Added, item_id=item_id)
