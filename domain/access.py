"""AccessToken: a bearer token that expires and can be revoked.

The token's secret is never recorded: the aggregate's id is derived from its SHA-256,
so presenting the secret finds the aggregate and reading the log reveals no token.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.ids import derived_id

ROLES = ("operator", "staff", "follower")


class NotAuthenticated(DomainError):
    """No valid bearer token came with the request."""

    slug = "not-authenticated"
    title = "Not authenticated"


class TokenExpired(NotAuthenticated):
    """The bearer token's lifetime is over: log in again."""

    slug = "token-expired"
    title = "Token expired"


class Forbidden(DomainError):
    """The caller's role or store does not allow this."""

    slug = "forbidden"
    title = "Forbidden"


class LoginLocked(DomainError):
    """Too many failed logins for this username or from this address: wait `Retry-After`."""

    slug = "login-locked"
    title = "Too many failed logins"

    def __init__(self, retry_after: timedelta) -> None:
        seconds = max(1, math.ceil(retry_after.total_seconds()))
        super().__init__(f"too many failed logins: try again in {seconds} s")
        self.headers = {"Retry-After": str(seconds)}


@dataclass(frozen=True)
class FailedLogins:
    """Failed logins in a row for one key (a username or an address), the last one when."""

    count: int
    last_at: datetime


@dataclass(frozen=True)
class Lockout:
    """After `threshold` failures in a row a key waits `base`, doubled with every further
    failure up to `cap`; failures older than `forget_after` no longer count."""

    threshold: int
    base: timedelta
    cap: timedelta
    forget_after: timedelta = timedelta(days=1)

    def locked_until(self, failures: FailedLogins | None) -> datetime | None:
        if failures is None or failures.count < self.threshold:
            return None
        doublings = min(failures.count - self.threshold, 30)
        return failures.last_at + min(self.base * 2**doublings, self.cap)

    def check(self, failures: FailedLogins | None, now: datetime) -> None:
        """Raise LoginLocked while the key waits out its lockout."""
        until = self.locked_until(self.current(failures, now))
        if until is not None and now < until:
            raise LoginLocked(until - now)

    def current(self, failures: FailedLogins | None, now: datetime) -> FailedLogins | None:
        """The failures that still count at `now`."""
        if failures is None or now - failures.last_at >= self.forget_after:
            return None
        return failures


class AccessToken(Aggregate):
    """Who a token speaks for (role, subject, store) and until when."""

    @staticmethod
    def id_for(secret: str) -> UUID:
        return derived_id("access-token", hashlib.sha256(secret.encode()).hexdigest())

    class Issued(Aggregate.Created):
        role: str
        subject_id: UUID
        username: str | None
        store_id: UUID | None
        issued_at: datetime
        expires_at: datetime

    class Revoked(Aggregate.Event):
        at: datetime

        def apply(self, token: AccessToken) -> None:
            token.revoked_at = self.at

    def __init__(
        self,
        role: str,
        subject_id: UUID,
        username: str | None,
        store_id: UUID | None,
        issued_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.role = role
        self.subject_id = subject_id
        self.username = username
        self.store_id = store_id
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.revoked_at: datetime | None = None

    @classmethod
    def issue(
        cls,
        secret: str,
        role: str,
        subject_id: UUID,
        now: datetime,
        ttl: timedelta,
        *,
        username: str | None = None,
        store_id: UUID | None = None,
    ) -> AccessToken:
        """Issue a token for an account or a member, valid for `ttl` from now."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return cls._create(
            cls.Issued,
            id=cls.id_for(secret),
            role=role,
            subject_id=subject_id,
            username=username,
            store_id=store_id,
            issued_at=now,
            expires_at=now + ttl,
        )

    def revoke(self, now: datetime) -> None:
        """Log out: the token stops working everywhere; revoking twice changes nothing."""
        if self.revoked_at is None:
            self.trigger_event(self.Revoked, at=now)

    def check_valid(self, now: datetime) -> None:
        """Raise unless the token is neither revoked nor expired."""
        if self.revoked_at is not None:
            raise NotAuthenticated("this token was revoked: log in again")
        if now >= self.expires_at:
            raise TokenExpired(f"this token expired at {self.expires_at.isoformat()}")
