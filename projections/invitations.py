"""Whose invitation a share-link opening is: the share's owner and campaign.

An opening (InvitationDevice.Opened) names only the device's aggregate; the device's
Started names the link's token, and the token's ShareToken.Shared names its owner
and campaign. A view that counts openings keeps these facts (they never change) in
memory and in two small tables of its own, so a restarted runner still places an
opening. The opening counts when it happened, for the owner and the token's campaign.
"""

from __future__ import annotations

from domain.referral import InvitationDevice, ShareToken
from projections.view import Batch

Invitation = tuple[str, str | None]  # (owner id, campaign id or None)


def invitation_tables(prefix: str) -> dict[str, str]:
    """The tables an `Invitations` with this prefix keeps (for the view's `tables`)."""
    return {
        f"{prefix}_shares": "token TEXT PRIMARY KEY, owner_id TEXT NOT NULL, campaign_id TEXT",
        f"{prefix}_invitations": (
            "device_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, campaign_id TEXT"
        ),
    }


class Invitations:
    """Share tokens and the devices that opened them, as one view remembers them."""

    def __init__(self, prefix: str) -> None:
        self.shares, self.devices = invitation_tables(prefix)
        self.by_token: dict[str, Invitation | None] = {}
        self.by_device: dict[str, Invitation | None] = {}

    def shared(self, event: ShareToken.Shared, batch: Batch) -> None:
        found = (str(event.owner_id), str(event.campaign_id) if event.campaign_id else None)
        self.by_token[event.token] = found
        batch.run(
            f"INSERT INTO {self.shares} (token, owner_id, campaign_id) VALUES (%s, %s, %s)",
            event.token,
            *found,
        )

    def started(self, event: InvitationDevice.Started, batch: Batch) -> None:
        """A device opened the link for the first time: remember whose link it is."""
        found = self.lookup(self.by_token, self.shares, "token", event.token, batch)
        self.by_device[str(event.originator_id)] = found
        if found:
            batch.run(
                f"INSERT INTO {self.devices} (device_id, owner_id, campaign_id) "
                "VALUES (%s, %s, %s)",
                str(event.originator_id),
                *found,
            )

    def opened(self, event: InvitationDevice.Opened, batch: Batch) -> Invitation | None:
        """The (owner, campaign) this opening counts for; None for an unknown link."""
        device = str(event.originator_id)
        return self.lookup(self.by_device, self.devices, "device_id", device, batch)

    @staticmethod
    def lookup(
        memory: dict[str, Invitation | None], table: str, column: str, key: str, batch: Batch
    ) -> Invitation | None:
        """From memory, else one lookup in the view's table."""
        if key not in memory:
            rows = batch.sql.rows(
                f"SELECT owner_id, campaign_id FROM {table} WHERE {column} = %s", [key]
            )
            memory[key] = rows[0] if rows else None
        return memory[key]
