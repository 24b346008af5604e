"""Fixtures: every application test runs on SQLite and on PostgreSQL.

`./infra/test.sh` starts a throwaway PostgreSQL and sets LIANJIE_TEST_POSTGRES_URL.
A PostgreSQL test never skips: without that variable it fails and says why.
LIANJIE_TEST_BACKENDS=sqlite (an explicit choice for quick local runs) deselects them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest

from services.app import Lianjie
from services.bootstrap import bootstrap
from services.settings import Settings

BACKENDS = [
    b.strip() for b in os.environ.get("LIANJIE_TEST_BACKENDS", "sqlite,postgres").split(",")
]


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 11, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "postgres" in BACKENDS:
        return
    deselected = [item for item in items if item.get_closest_marker("postgres_only")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


def postgres_base_url() -> str:
    url = os.environ.get("LIANJIE_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "LIANJIE_TEST_POSTGRES_URL is not set: run ./infra/test.sh, which starts PostgreSQL "
            "(or set LIANJIE_TEST_BACKENDS=sqlite to choose SQLite only)"
        )
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh schema of its own, dropped afterwards."""
    base = postgres_base_url()
    schema = f"t_{uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}schema={schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/lianjie.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> Iterator[Lianjie]:
    application = bootstrap(settings, clock=clock)
    yield application
    application.close()
