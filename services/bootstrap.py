"""The composition root: settings in, a wired application out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing.postgres import PostgresDatastore

from services.app import Lianjie
from services.app.base import Clock, utc_now
from services.app.coalescing import CoalescingWriter
from services.outbound.wechat import WeChatGateway
from services.redaction import install_log_redaction
from services.settings import Settings, pop_query_param

# Not the views' DDL lock: setting up takes that one too, from other connections.
SETUP_LOCK = 7_216_043


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now) -> Lianjie:
    """Build the application for these settings (read from the environment if not given)."""
    settings = settings or Settings()
    install_log_redaction()  # WeChat's credentials travel in URLs that HTTP clients log
    with schema_setup_lock(settings.database_url, settings.db_connect_timeout_seconds):
        application = Lianjie(
            settings.eventsourcing_env(),
            rules=settings.rules(),
            clock=clock,
            password_hasher=settings.password_hasher(),
            login_lockouts=settings.login_lockouts(),
            qr_issuer=WeChatGateway.from_settings(settings),
            public_url=settings.public_url,
        )
    bound_database_waits(application, settings)
    if settings.coalesce_writes:
        application.writer = CoalescingWriter(
            application,
            window_seconds=settings.coalesce_window_ms / 1000,
            max_batch=settings.coalesce_max_batch,
            cache_size=settings.aggregate_cache_size,
        )
    return application


@contextmanager
def schema_setup_lock(database_url: str, connect_timeout: float) -> Iterator[None]:
    """Processes starting together on PostgreSQL set their schema up one at a time: the
    library's CREATE OR REPLACE of its functions fails ("tuple concurrently updated")
    when two run at once."""
    if not database_url.startswith("postgresql"):
        yield
        return
    _, url = pop_query_param(database_url, "schema")
    with psycopg.connect(url, autocommit=True, connect_timeout=round(connect_timeout)) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [SETUP_LOCK])
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [SETUP_LOCK])


def bound_database_waits(application: Lianjie, settings: Settings) -> None:
    """Make waits on an unreachable PostgreSQL end: eventsourcing only takes whole seconds
    for the pool and sets no libpq connect timeout (a blackholed host would hang forever)."""
    datastore = getattr(application.recorder, "datastore", None)
    if isinstance(datastore, PostgresDatastore):
        datastore.pool.timeout = settings.db_pool_wait_seconds
        datastore.pool.kwargs["connect_timeout"] = settings.db_connect_timeout_seconds
