"""Fixtures: the real Lianjie application behind a small FastAPI app with the callback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.app import Lianjie
from services.settings import Settings
from services.wechat import include_wechat
from tests.wechat.wechat_side import AES_KEY, APPID, TOKEN, WeChatSide


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        wechat_token=TOKEN,
        wechat_appid=APPID,
        wechat_aes_key=AES_KEY,
    )


@pytest.fixture
def client(app: Lianjie, settings: Settings) -> Iterator[TestClient]:
    api = FastAPI()
    include_wechat(api, app, settings)
    with TestClient(api) as test_client:
        yield test_client


@pytest.fixture
def wechat(client: TestClient, clock) -> WeChatSide:
    """WeChat in safe mode (AES), the mode a brand's account should run in."""
    return WeChatSide(client, clock, safe=True)


@pytest.fixture
def plain_wechat(client: TestClient, clock) -> WeChatSide:
    return WeChatSide(client, clock, safe=False)
