"""Use cases for stores: open, assign staff, close, look up."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.store import Store, StoreNotFound
from services.app.catalog import CatalogUseCases


@dataclass(frozen=True)
class StoreView:
    id: UUID
    name: str
    region: str
    qr_scene: str
    is_open: bool
    staff_ids: list[UUID]


def store_view(store: Store) -> StoreView:
    return StoreView(
        store.id, store.name, store.region, store.qr_scene, store.is_open, list(store.staff_ids)
    )


class StoreUseCases(CatalogUseCases):
    def open_store(self, name: str, region: str) -> StoreView:
        """Open a store; its QR scene is store:<id>."""

        def attempt() -> Store:
            store = Store.open(name, region)
            self.save(store, self.catalogued("stores", store.id))
            return store

        return store_view(self.retrying(attempt))

    def update_store(
        self, store_id: UUID, name: str | None = None, region: str | None = None
    ) -> StoreView:
        """Rename a store or change its region."""
        store = self.update(lambda: self.store(store_id), lambda s: s.change_details(name, region))
        return store_view(store)

    def list_stores(self, offset: int = 0, limit: int = 100) -> list[StoreView]:
        """Stores in the order they were opened, one page at a time."""
        return [self.get_store(i) for i in self.catalog_ids("stores", offset, limit)]

    def assign_staff(self, store_id: UUID, staff_id: UUID) -> StoreView:
        """Let a staff account act at a store."""
        store = self.update(lambda: self.store(store_id), lambda s: s.assign_staff(staff_id))
        return store_view(store)

    def close_store(self, store_id: UUID) -> StoreView:
        """Close a store for good."""
        return store_view(self.update(lambda: self.store(store_id), Store.close))

    def get_store(self, store_id: UUID) -> StoreView:
        """A store by id."""
        return store_view(self.store(store_id))

    def store(self, store_id: UUID) -> Store:
        return self.load(Store, store_id, StoreNotFound)
