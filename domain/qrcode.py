"""QrCode: the WeChat parametric QR code of one scene, created once and kept as events.

Temporary codes live at most 30 days and are re-issued shortly before they expire;
permanent codes never expire but an account may hold only 100,000 of them
(`domain/qr_quota.py` counts them).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput
from domain.ids import derived_id

MAX_TEMPORARY = timedelta(days=30)
MIN_TEMPORARY = timedelta(minutes=1)
RENEW_BEFORE = timedelta(days=1)  # or a quarter of a shorter life
MAX_SCENE = 64  # WeChat's scene_str limit


class QrStillValid(DomainError):
    """The scene's code is still good; there is nothing to re-issue."""

    slug = "qr-still-valid"
    title = "QR code still valid"


def check_scene_text(scene: str) -> str:
    if not 1 <= len(scene) <= MAX_SCENE:
        raise InvalidInput(f"a QR scene has 1 to {MAX_SCENE} characters")
    return scene


def check_lifetime(lifetime: timedelta) -> timedelta:
    """A temporary code's lifetime: one minute to 30 days (WeChat's limits)."""
    if not MIN_TEMPORARY <= lifetime <= MAX_TEMPORARY:
        raise InvalidInput("a temporary QR code lives one minute to 30 days")
    return lifetime


class QrCode(Aggregate):
    """The current WeChat QR code (ticket and content url) of one scene."""

    @staticmethod
    def id_for(scene: str) -> UUID:
        return derived_id("qrcode", scene)

    class Issued(Aggregate.Created):
        scene: str
        permanent: bool
        ticket: str
        url: str
        expires_at: datetime | None
        at: datetime

    class Reissued(Aggregate.Event):
        permanent: bool
        ticket: str
        url: str
        expires_at: datetime | None
        at: datetime

        def apply(self, code: QrCode) -> None:
            code.permanent, code.ticket, code.url = self.permanent, self.ticket, self.url
            code.expires_at, code.issued_at = self.expires_at, self.at

    def __init__(
        self,
        scene: str,
        permanent: bool,
        ticket: str,
        url: str,
        expires_at: datetime | None,
        at: datetime,
    ) -> None:
        self.scene, self.permanent, self.ticket, self.url = scene, permanent, ticket, url
        self.expires_at, self.issued_at = expires_at, at

    @classmethod
    def issue(
        cls,
        scene: str,
        permanent: bool,
        ticket: str,
        url: str,
        expires_at: datetime | None,
        now: datetime,
    ) -> QrCode:
        """Remember the code WeChat created for a scene."""
        return cls._create(
            cls.Issued,
            id=cls.id_for(check_scene_text(scene)),
            scene=scene,
            permanent=permanent,
            ticket=ticket,
            url=url,
            expires_at=None if permanent else expires_at,
            at=now,
        )

    def serves(self, permanent: bool, now: datetime) -> bool:
        """Is this code good for the asked kind now? A permanent code serves every request."""
        if self.permanent:
            return True
        renew_before = min(RENEW_BEFORE, (self.expires_at - self.issued_at) / 4)
        return not permanent and self.expires_at - renew_before > now

    def reissue(
        self, permanent: bool, ticket: str, url: str, expires_at: datetime | None, now: datetime
    ) -> None:
        """Replace an expiring temporary code (or upgrade it to a permanent one)."""
        if self.serves(permanent, now):
            raise QrStillValid(f"the code of {self.scene} is still valid")
        self.trigger_event(
            self.Reissued,
            permanent=permanent,
            ticket=ticket,
            url=url,
            expires_at=None if permanent else expires_at,
            at=now,
        )
