"""Crypto-shredding (PIPL erasure): personal fields sealed with a per-member key.

Events declare their personal fields (`domain/personal.py`). `SealingMapper` moves those
fields out of the stored state into one AES-GCM ciphertext under the member's data
key, tagged with the key's id; reading opens it again. Erasing a member deletes their
keys, after which the fields read as ERASED everywhere, while the rest of the event
(ids, amounts, times) replays as before. Events without personal fields, and events
stored before this existed (plaintext), pass through untouched.

Keys live in `member_data_keys` in the event store's database. A new key is committed
before the event that uses it is stored, so every stored ciphertext names a key that
exists (or existed: a missing key means erased). Each process caches keys for
`KEY_CACHE_SECONDS` (30 s by default): another process stops decrypting an erased
member's fields at most that long after the erasure.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

from domain.personal import ERASED, PersonalData
from projections.runner import DDL_LOCK
from projections.sql import Database, Row, tracking_recorder

SEALED = "_sealed"  # the state entry holding "<key id hex>.<base64 nonce + ciphertext>"
SEALED_KEY = re.compile(rb'"_sealed":\s*"([0-9a-f]{32})\.')  # its key id, found without decoding
NONCE_BYTES = 12
MAX_CACHED_KEYS = 2_000_000
KEYS_TABLE = (
    "CREATE TABLE IF NOT EXISTS member_data_keys (key_id TEXT PRIMARY KEY, "
    "member_id TEXT NOT NULL, data_key {blob} NOT NULL, created_at TEXT NOT NULL)"
)
KEYS_INDEX = "CREATE INDEX IF NOT EXISTS member_data_keys_member ON member_data_keys (member_id)"
INSERT_KEY = (
    "INSERT INTO member_data_keys (key_id, member_id, data_key, created_at) VALUES (%s, %s, %s, %s)"
)
IDS_PER_QUERY = 1_000


class TimedCache:
    """Values kept for `ttl` seconds; cleared whole when it grows past its bound."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self.entries: dict[UUID, tuple[float, Any]] = {}

    def get(self, key: UUID) -> tuple[bool, Any]:
        found = self.entries.get(key)
        if found is None or found[0] < self.clock():
            return False, None
        return True, found[1]

    def put(self, key: UUID, value: Any) -> None:
        if len(self.entries) >= MAX_CACHED_KEYS:
            self.entries.clear()
        self.entries[key] = (self.clock() + self.ttl, value)

    def drop(self, key: UUID) -> None:
        self.entries.pop(key, None)


class DataKeys:
    """Per-member AES-256 data keys in the event store's database, briefly cached (as ciphers)."""

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.by_member = TimedCache(ttl)  # member id -> (key id, cipher)
        self.by_id = TimedCache(ttl)  # key id -> cipher, or None once erased
        self.lock = threading.Lock()
        self.create_table()

    def create_table(self) -> None:
        with self.db.transaction(commit=True) as sql:
            if self.db.postgres:  # processes starting together must not race on CREATE TABLE
                sql.run("SELECT pg_advisory_xact_lock(%s)", [DDL_LOCK])
            sql.run(KEYS_TABLE.format(blob="BYTEA" if self.db.postgres else "BLOB"))
            sql.run(KEYS_INDEX)

    def current(self, member_id: UUID) -> tuple[UUID, AESGCM]:
        """The member's key to seal new data with; made (and committed) when they have none."""
        with self.lock:
            cached, found = self.by_member.get(member_id)
        if cached:
            return found
        rows = self.db.read(
            "SELECT key_id, data_key FROM member_data_keys WHERE member_id = %s "
            "ORDER BY created_at, key_id LIMIT 1",
            [str(member_id)],
        )
        key_id, key = (UUID(rows[0][0]), bytes(rows[0][1])) if rows else self.create(member_id)
        return self.remember(member_id, key_id, key)

    def create(self, member_id: UUID) -> tuple[UUID, bytes]:
        key_id, key = uuid4(), AESGCM.generate_key(bit_length=256)
        with self.db.transaction(commit=True) as sql:
            sql.run(INSERT_KEY, [str(key_id), str(member_id), key, datetime.now(UTC).isoformat()])
        return key_id, key

    def remember(self, member_id: UUID, key_id: UUID, key: bytes) -> tuple[UUID, AESGCM]:
        found = (key_id, AESGCM(key))
        with self.lock:
            self.by_member.put(member_id, found)
            self.by_id.put(key_id, found[1])
        return found

    def prepare(self, member_ids: Iterable[UUID]) -> None:
        """Have the keys to seal these members' data with at hand, making the missing ones
        in one transaction: sealing many members' old events at once (`lianjie seal-log`)
        would otherwise spend its time on a query and a commit per member."""
        wanted = sorted({str(member_id) for member_id in member_ids})
        rows = self.keys_where_in(
            "member_id", wanted, "member_id, key_id, data_key", "created_at, key_id"
        )
        found: dict[str, tuple[UUID, bytes]] = {}
        for member, key_id, key in rows:
            found.setdefault(member, (UUID(key_id), bytes(key)))  # the oldest, as `current` takes
        made = {m: (uuid4(), AESGCM.generate_key(bit_length=256)) for m in wanted if m not in found}
        if made:
            now = datetime.now(UTC).isoformat()
            with self.db.transaction(commit=True) as sql:
                sql.run_many(INSERT_KEY, [(str(k), m, key, now) for m, (k, key) in made.items()])
        for member, (key_id, key) in (found | made).items():
            self.remember(UUID(member), key_id, key)

    def cipher(self, key_id: UUID) -> AESGCM | None:
        """The cipher of the key with this id, or None when the key was erased."""
        with self.lock:
            cached, found = self.by_id.get(key_id)
        if cached:
            return found
        return self.fetch([str(key_id)])[str(key_id)]

    def load(self, key_ids: Iterable[UUID]) -> None:
        """Cache the keys with these ids that are not cached: readers meet many members'
        keys in a row (a page of the log), so they are fetched together."""
        with self.lock:
            missing = sorted({str(k) for k in key_ids if not self.by_id.get(k)[0]})
        self.fetch(missing)

    def fetch(self, key_ids: list[str]) -> dict[str, AESGCM | None]:
        """These keys' ciphers from the database, in one query per thousand, cached. A key
        that is not found was erased: a key is committed before the first event sealed
        under it."""
        found: dict[str, AESGCM | None] = dict.fromkeys(key_ids)
        rows = self.keys_where_in("key_id", key_ids, "key_id, data_key")
        found.update((key_id, AESGCM(bytes(key))) for key_id, key in rows)
        with self.lock:
            for key_id, cipher in found.items():
                self.by_id.put(UUID(key_id), cipher)
        return found

    def keys_where_in(
        self, column: str, values: list[str], selected: str, order: str = ""
    ) -> list[Row]:
        """The `selected` columns of the keys whose `column` is one of `values` (in `order`,
        when given). PostgreSQL takes the values as one array: it runs `= ANY` two to three
        times faster than a list of a thousand parameters. SQLite takes a list per thousand
        (each page of rows in `order`)."""
        ordered = f" ORDER BY {order}" if order else ""
        select = f"SELECT {selected} FROM member_data_keys WHERE {column}"
        if self.db.postgres:
            return self.db.read(f"{select} = ANY(%s){ordered}", [values]) if values else []
        rows: list[Row] = []
        for start in range(0, len(values), IDS_PER_QUERY):
            chunk = values[start : start + IDS_PER_QUERY]
            marks = ", ".join(["%s"] * len(chunk))
            rows += self.db.read(f"{select} IN ({marks}){ordered}", chunk)
        return rows

    def erase(self, member_id: UUID) -> int:
        """Delete every key of the member (this process forgets them at once); how many."""
        with self.db.transaction(commit=True) as sql:
            rows = sql.rows(
                "DELETE FROM member_data_keys WHERE member_id = %s RETURNING key_id",
                [str(member_id)],
            )
        with self.lock:
            self.by_member.drop(member_id)
            for (key_id,) in rows:
                self.by_id.put(UUID(key_id), None)
        return len(rows)


class SealingMapper(Mapper):
    """Seals declared personal fields on the way into the store and opens them on the way out."""

    def __init__(self, transcoder: Transcoder, keys: DataKeys) -> None:
        super().__init__(transcoder)
        self.keys = keys

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        declared: PersonalData | None = getattr(type(domain_event), "personal_data", None)
        if declared is None:
            return super().to_stored_event(domain_event)
        return self.sealed(domain_event, declared.subject(domain_event))

    def sealed(self, domain_event: Any, subject: UUID) -> StoredEvent:
        """The event stored with its personal fields sealed under this member's key."""
        state = dict(vars(domain_event))
        personal = {name: state.pop(name) for name in type(domain_event).personal_data.fields}
        key_id, cipher = self.keys.current(subject)
        nonce = os.urandom(NONCE_BYTES)
        sealed = cipher.encrypt(nonce, self.transcoder.encode(personal), bound(state))
        state[SEALED] = f"{key_id.hex}.{base64.b64encode(nonce + sealed).decode()}"
        return super().to_stored_event(with_state(domain_event, state))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        if SEALED in vars(event):  # else plaintext: stored before sealing, or nothing personal
            state = dict(vars(event))
            state.update(self.opened(state.pop(SEALED), state, type(event).personal_data))
            event = with_state(event, state)
        return event

    def load_keys_of(self, stored_events: Iterable[StoredEvent]) -> None:
        """Have the keys of these events' sealed fields at hand, fetched together."""
        self.keys.load(
            UUID(found.group(1).decode())
            for stored in stored_events
            if (found := SEALED_KEY.search(stored.state))
        )

    def opened(self, sealed: str, state: dict, declared: PersonalData) -> dict[str, Any]:
        key_hex, _, payload = sealed.partition(".")
        cipher = self.keys.cipher(UUID(key_hex))
        if cipher is None:
            return dict.fromkeys(declared.fields, ERASED)
        raw = base64.b64decode(payload)
        plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], bound(state))
        return self.transcoder.decode(plain)


def bound(state: dict) -> bytes:
    """What a ciphertext is bound to: its event, so it cannot be moved to another one."""
    return f"{state['originator_id']}:{state['originator_version']}".encode()


def with_state(event: Any, state: dict) -> Any:
    """An event of the same class with this state (events are frozen)."""
    copy = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", state)
    return copy


class PersonalDataProtection(Application):
    """Installs the sealing mapper; `personal_data` erases a member's keys."""

    personal_data: DataKeys

    def construct_mapper(self) -> Mapper:
        ttl = float(self.env.get("KEY_CACHE_SECONDS") or 30)
        self.personal_data = DataKeys(Database(tracking_recorder(self)), ttl)
        return SealingMapper(self.construct_transcoder(), self.personal_data)
