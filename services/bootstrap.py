"""The composition root: settings in, a wired application out."""

from __future__ import annotations

from eventsourcing.postgres import PostgresDatastore

from services.app import Lianjie
from services.app.base import Clock, utc_now
from services.app.coalescing import CoalescingWriter
from services.outbound.wechat import WeChatGateway
from services.redaction import install_log_redaction
from services.settings import Settings


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now) -> Lianjie:
    """Build the application for these settings (read from the environment if not given)."""
    settings = settings or Settings()
    install_log_redaction()  # WeChat's credentials travel in URLs that HTTP clients log
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


def bound_database_waits(application: Lianjie, settings: Settings) -> None:
    """Make waits on an unreachable PostgreSQL end: eventsourcing only takes whole seconds
    for the pool and sets no libpq connect timeout (a blackholed host would hang forever)."""
    datastore = getattr(application.recorder, "datastore", None)
    if isinstance(datastore, PostgresDatastore):
        datastore.pool.timeout = settings.db_pool_wait_seconds
        datastore.pool.kwargs["connect_timeout"] = settings.db_connect_timeout_seconds
