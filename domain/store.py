"""Store: a physical shop with its own QR scene and staff."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound


class StoreNotFound(NotFound):
    """No store has this id."""

    slug = "store-not-found"
    title = "Store not found"


class StoreClosed(DomainError):
    """The store is closed; it takes no staff and no redemptions."""

    slug = "store-closed"
    title = "Store closed"


class Store(Aggregate):
    """A shop; followers who scan its poster are attributed to it."""

    class Opened(Aggregate.Created):
        name: str
        region: str

    class StaffAssigned(Aggregate.Event):
        staff_id: UUID

        def apply(self, store: Store) -> None:
            store.staff_ids.append(self.staff_id)

    class Closed(Aggregate.Event):
        def apply(self, store: Store) -> None:
            store.is_open = False

    class DetailsChanged(Aggregate.Event):
        name: str
        region: str

        def apply(self, store: Store) -> None:
            store.name = self.name
            store.region = self.region

    def __init__(self, name: str, region: str) -> None:
        self.name = name
        self.region = region
        self.is_open = True
        self.staff_ids: list[UUID] = []

    @classmethod
    def open(cls, name: str, region: str) -> Store:
        """Open a store with a name and a region (合肥, 河北, …)."""
        name, region = name.strip(), region.strip()
        if not name or not region:
            raise InvalidInput("a store needs a name and a region")
        return cls._create(cls.Opened, name=name, region=region)

    @property
    def qr_scene(self) -> str:
        return f"store:{self.id}"

    def assign_staff(self, staff_id: UUID) -> None:
        """Let a staff account act at this store."""
        self.check_open()
        if staff_id not in self.staff_ids:
            self.trigger_event(self.StaffAssigned, staff_id=staff_id)

    def change_details(self, name: str | None = None, region: str | None = None) -> None:
        """Rename the store or move it to another region; unchanged values record nothing."""
        self.check_open()
        name = self.name if name is None else name.strip()
        region = self.region if region is None else region.strip()
        if not name or not region:
            raise InvalidInput("a store needs a name and a region")
        if (name, region) != (self.name, self.region):
            self.trigger_event(self.DetailsChanged, name=name, region=region)

    def close(self) -> None:
        """Close the store for good."""
        self.check_open()
        self.trigger_event(self.Closed)

    def check_open(self) -> None:
        if not self.is_open:
            raise StoreClosed(f"store {self.name} is closed")
