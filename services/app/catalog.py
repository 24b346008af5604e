"""Lists of stores and campaigns kept as event-sourced catalogs (until projections list them)."""

from __future__ import annotations

from uuid import UUID

from domain.catalog import Catalog
from services.app.base import AppBase

MAX_PAGE = 500


class CatalogUseCases(AppBase):
    def catalogued(self, kind: str, item_id: UUID) -> Catalog:
        """The catalog of `kind` with `item_id` added (unsaved: save it with the item)."""
        catalog = self.catalog(kind)
        catalog.add(item_id)
        return catalog

    def catalog(self, kind: str) -> Catalog:
        catalog_id = Catalog.id_for(kind)
        if self.exists(catalog_id):
            return self.repository.get(catalog_id)
        return Catalog.start(kind)

    def catalog_ids(self, kind: str, offset: int = 0, limit: int = MAX_PAGE) -> list[UUID]:
        """Ids of one kind in creation order, one page at a time."""
        offset, limit = max(offset, 0), min(max(limit, 0), MAX_PAGE)
        return self.catalog(kind).item_ids[offset : offset + limit]

    def ping(self) -> int:
        """Reach the event store; returns the newest notification id (0 when empty)."""
        return self.recorder.max_notification_id() or 0
