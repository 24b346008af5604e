"""Member cards: a short-lived QR payload signed with HMAC-SHA256.

`M1.<member id, base32>.<time step>.<signature, base32>` is 55 characters, all in
the QR alphanumeric set (A-Z 2-7 digits and '.'), so the code stays small and a
till's scanner types it as is. A payload is accepted during its own time step and
the next one, so it lives between one and two steps (60-120 s by default).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from domain.errors import NotFound
from services.app.base import Clock
from services.settings import Settings

log = logging.getLogger(__name__)
PREFIX = "M1"
SIGNATURE_BYTES = 10
SECRET_FILE = "card-secret"


class CodeNotRecognised(NotFound):
    """The scanned text is neither a current member card nor a known coupon code."""

    slug = "code-not-recognised"
    title = "Code not recognised"


@dataclass(frozen=True)
class CardPayload:
    """What a member-card QR encodes, and when the till stops accepting it."""

    payload: str
    expires_at: datetime


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def is_card_payload(code: str) -> bool:
    """Does this scanned text look like a member card (as opposed to a coupon code)?"""
    return code.strip().upper().startswith(PREFIX + ".")


class MemberCards:
    """Issues and checks member-card payloads with one secret and step length."""

    def __init__(self, secret: bytes, step_seconds: int, clock: Clock) -> None:
        self.secret = secret
        self.step_seconds = step_seconds
        self.clock = clock

    def current_step(self) -> int:
        return int(self.clock().timestamp()) // self.step_seconds

    def sign(self, body: str) -> str:
        digest = hmac.new(self.secret, body.encode(), hashlib.sha256).digest()
        return b32(digest[:SIGNATURE_BYTES])

    def issue(self, member_id: UUID) -> CardPayload:
        """A fresh payload for a member's card."""
        step = self.current_step()
        body = f"{PREFIX}.{b32(member_id.bytes)}.{step}"
        expires = (step + 2) * self.step_seconds
        return CardPayload(f"{body}.{self.sign(body)}", datetime.fromtimestamp(expires, UTC))

    def member_for(self, payload: str) -> UUID:
        """The member a payload names, or CodeNotRecognised when forged, garbled or stale."""
        parts = payload.strip().upper().split(".")
        if len(parts) != 4 or parts[0] != PREFIX or not parts[2].isdigit():
            raise CodeNotRecognised("not a member card")
        body = ".".join(parts[:3])
        if not hmac.compare_digest(self.sign(body), parts[3]):
            raise CodeNotRecognised("this member card is not genuine")
        if int(parts[2]) not in (self.current_step(), self.current_step() - 1):
            raise CodeNotRecognised("this member card has expired: refresh it on the phone")
        try:
            return UUID(bytes=unb32(parts[1]))
        except ValueError:
            raise CodeNotRecognised("not a member card") from None


def card_secret(settings: Settings) -> bytes:
    """LIANJIE_CARD_SECRET, or (demo) a random secret kept in var/card-secret."""
    if settings.card_secret is not None:
        return settings.card_secret.get_secret_value().encode()
    path = Path(settings.var_dir) / SECRET_FILE
    log.warning("LIANJIE_CARD_SECRET is not set: using the demo secret in %s", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write aside, then link into place: concurrent starters agree on one secret.
        draft = path.with_name(f"{SECRET_FILE}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, secrets.token_hex(32).encode())
        os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_bytes().strip()
