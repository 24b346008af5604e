"""Failed logins per username and per address, shared by every process through the database.

Failures are kept in a small table of the event store's database, not as events: a
failed login is not a business fact, unknown usernames must lock exactly like known
ones (or the lockout would tell which usernames exist), an attacker must not be able
to grow the permanent log, and addresses are personal data that has no place in an
immutable log. Keys are stored as SHA-256 digests; a row is one key's count.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from eventsourcing.application import Application

from domain.access import FailedLogins, Lockout
from projections.sql import Database, iso, tracking_recorder

TABLE = (
    "CREATE TABLE IF NOT EXISTS login_failures "
    "(key TEXT PRIMARY KEY, failures BIGINT NOT NULL, last_at TEXT NOT NULL)"
)
RECORD = (
    "INSERT INTO login_failures (key, failures, last_at) VALUES (%s, 1, %s) "
    "ON CONFLICT (key) DO UPDATE SET last_at = EXCLUDED.last_at, failures = CASE "
    "WHEN login_failures.last_at <= %s THEN 1 ELSE login_failures.failures + 1 END"
)


@dataclass(frozen=True)
class LoginLockouts:
    """A lockout per username (strict) and per client address (looser: a store's Wi-Fi)."""

    by_username: Lockout = field(
        default_factory=lambda: Lockout(5, timedelta(seconds=30), timedelta(minutes=15))
    )
    by_address: Lockout = field(
        default_factory=lambda: Lockout(50, timedelta(seconds=30), timedelta(minutes=15))
    )


@dataclass(frozen=True)
class LoginKeys:
    """What one login attempt counts against."""

    username: str
    address: str | None

    def by_lockout(self, lockouts: LoginLockouts) -> list[tuple[str, Lockout]]:
        keys = [(digest("username", self.username.casefold()), lockouts.by_username)]
        if self.address:
            keys.append((digest("address", self.address), lockouts.by_address))
        return keys


def digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


class FailedLoginTable:
    """Reads, counts and clears failed logins; every process sees the same counts."""

    def __init__(self, app: Application, lockouts: LoginLockouts) -> None:
        self.app = app
        self.lockouts = lockouts

    @cached_property
    def db(self) -> Database:
        db = Database(tracking_recorder(self.app))
        with db.transaction(commit=True) as sql:
            sql.run(TABLE)
        return db

    def check(self, keys: LoginKeys, now: datetime) -> None:
        """Raise LoginLocked when the username or the address waits out a lockout."""
        for key, lockout in keys.by_lockout(self.lockouts):
            lockout.check(self.failures(key), now)

    def failed(self, keys: LoginKeys, now: datetime) -> None:
        """Count one more failure for the username and the address."""
        with self.db.transaction(commit=True) as sql:
            for key, lockout in keys.by_lockout(self.lockouts):
                sql.run(RECORD, (key, iso(now), iso(now - lockout.forget_after)))

    def succeeded(self, keys: LoginKeys, now: datetime) -> None:
        """Forget the username's failures (and every key's that no longer count); the
        address keeps its count, or a good login of the attacker's own would reset it."""
        username_key = keys.by_lockout(self.lockouts)[0][0]
        forgotten = now - max(
            self.lockouts.by_username.forget_after, self.lockouts.by_address.forget_after
        )
        with self.db.transaction(commit=True) as sql:
            sql.run(
                "DELETE FROM login_failures WHERE key = %s OR last_at < %s",
                (username_key, iso(forgotten)),
            )

    def failures(self, key: str) -> FailedLogins | None:
        rows = self.db.read("SELECT failures, last_at FROM login_failures WHERE key = %s", (key,))
        if not rows:
            return None
        count, last_at = rows[0]
        return FailedLogins(int(count), datetime.fromisoformat(last_at))
