"""Fixtures for the outbound tests: a fake WeChat API, an app wired to it, a sender."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from services.app import Lianjie
from services.outbound.config import OutboxConfig
from services.outbound.sender import Sender
from services.outbound.wechat import WeChatGateway
from services.settings import Settings
from tests.outbound.fake_wechat import APPID, SECRET, FakeWeChat

NOTICE = "NOTICE-TEMPLATE"


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    server = FakeWeChat().start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, fake: FakeWeChat) -> Settings:
    return Settings(
        database_url=database_url,
        wechat_appid=APPID,
        wechat_secret=SECRET,
        wechat_api_base=fake.url,
        outbox_template_id=NOTICE,
        outbox_rate=1000,
        outbox_burst=1000,
        outbox_backoff_seconds=30,
        outbox_max_attempts=8,
        outbox_stale_seconds=60,
        wechat_timeout_seconds=0.5,
    )


def wired(settings: Settings, clock) -> Lianjie:
    """The application as bootstrap builds it, with the WeChat gateway as its QR issuer."""
    return Lianjie(
        settings.eventsourcing_env(),
        rules=settings.rules(),
        clock=clock,
        qr_issuer=WeChatGateway.from_settings(settings),
        public_url=settings.public_url,
    )


@pytest.fixture
def app(settings: Settings, clock) -> Iterator[Lianjie]:
    application = wired(settings, clock)
    yield application
    application.close()


@pytest.fixture
def new_sender(settings: Settings) -> Callable[..., Sender]:
    def build(application: Lianjie, gateway=None, **config) -> Sender:
        base = OutboxConfig.from_settings(settings)
        options = {**base.__dict__, **config}
        return Sender(
            application, gateway or WeChatGateway.from_settings(settings), OutboxConfig(**options)
        )

    return build


@pytest.fixture
def sender(app: Lianjie, new_sender) -> Sender:
    return new_sender(app)


def drain(sender: Sender, clock, rounds: int = 30, step=timedelta(hours=1)) -> None:
    """Run the sender, moving the clock on, until a round finds nothing to do."""
    for _ in range(rounds):
        if not sender.run_once():
            clock.advance(seconds=step.total_seconds())
            if not sender.run_once():
                return
    raise AssertionError("the sender kept finding work")
