"""The composition root: settings in, a wired application out."""

from __future__ import annotations

from services.app import Lianjie
from services.app.base import Clock, utc_now
from services.outbound.wechat import WeChatGateway
from services.settings import Settings


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now) -> Lianjie:
    """Build the application for these settings (read from the environment if not given)."""
    settings = settings or Settings()
    return Lianjie(
        settings.eventsourcing_env(),
        rules=settings.rules(),
        clock=clock,
        password_hasher=settings.password_hasher(),
        qr_issuer=WeChatGateway.from_settings(settings),
        public_url=settings.public_url,
    )
