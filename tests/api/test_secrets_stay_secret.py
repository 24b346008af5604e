"""Secrets never reach a log record, an error answer or the event log.

One realistic flow with every log captured at DEBUG: password logins (right and wrong),
staff accounts, WeChat pushes in safe mode (AES) with one forged, outbox sends and a QR
code against the local fake WeChat API that fails every other call, a WeChat web login
WeChat refuses, and a 500 whose cause is a real HTTP client error naming WeChat's token
URL. Then every record, every 4xx/5xx body and header and every stored event is scanned
for each secret.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from wechatpy.crypto import WeChatCrypto

from services.app.qrcodes import WeChatQrUnavailable
from services.bootstrap import bootstrap
from services.outbound.config import OutboxConfig
from services.outbound.sender import Sender
from services.outbound.wechat import OutboxWeChatClient, WeChatGateway
from tests.api.conftest import ADMIN, ADMIN_PASSWORD, STAFF_PASSWORD, api_settings, bearer
from tests.outbound.conftest import drain
from tests.outbound.fake_wechat import APPID, SECRET, FakeWeChat
from tests.outbound.fake_wechat import TOKEN as ACCESS_TOKEN
from tests.wechat.wechat_side import AES_KEY, TOKEN, WeChatSide

CARD_SECRET = "hmac-card-key-5b1f0c9e"
WRONG_PASSWORD = "guess-7c41d2aa"
OAUTH_CODE = "oauth-code-0a9b8c7d"
SECRETS = {
    "admin password": ADMIN_PASSWORD,
    "staff password": STAFF_PASSWORD,
    "a wrong password": WRONG_PASSWORD,
    "member-card HMAC key": CARD_SECRET,
    "WeChat callback token": TOKEN,
    "WeChat AES key": AES_KEY,
    "WeChat app secret": SECRET,
    "WeChat access token": ACCESS_TOKEN,
    "WeChat OAuth code": OAUTH_CODE,
}


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    server = FakeWeChat(fail_every=2).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url, tmp_path, fake):
    return api_settings(
        database_url,
        tmp_path,
        card_secret=CARD_SECRET,
        wechat_token=TOKEN,
        wechat_aes_key=AES_KEY,
        wechat_appid=APPID,
        wechat_secret=SECRET,
        wechat_api_base=fake.url,
        wechat_timeout_seconds=0.5,
    )


@pytest.fixture
def app(settings, clock):
    application = bootstrap(settings, clock)  # wired to the fake WeChat API, as in production
    yield application
    application.close()


@pytest.fixture
def client(api) -> Iterator[TestClient]:
    with TestClient(api, raise_server_exceptions=False) as test_client:  # 500s as answers
        yield test_client


class Answers:
    """Every error answer the flow got: status, headers and body."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.errors: list[str] = []

    def __call__(self, method: str, url: str, **kwargs):
        response = self.client.request(method, url, **kwargs)
        if response.status_code >= 400:
            self.errors.append(f"{response.status_code} {response.headers} {response.text}")
        return response


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def a_realistic_day(call: Answers, app, settings, clock, monkeypatch) -> None:
    call("POST", "/api/auth/token", json={"username": ADMIN, "password": WRONG_PASSWORD})
    ops = call("POST", "/api/auth/token", json={"username": ADMIN, "password": ADMIN_PASSWORD})
    operator = bearer(ops.json()["access_token"])
    store = call("POST", "/api/stores", json={"name": "徐汇店", "region": "上海"}, headers=operator)
    staff = {"username": "clerk-1", "password": STAFF_PASSWORD, "store_id": store.json()["id"]}
    call("POST", "/api/staff", json=staff, headers=operator)
    call("POST", "/api/auth/token", json={"username": "clerk-1", "password": STAFF_PASSWORD})

    wechat = WeChatSide(call.client, clock, safe=True)
    wechat.crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    assert wechat.subscribe("o-alice", store.json()["qr_scene"]).status_code == 200
    assert wechat.text("o-alice", "你好").status_code == 200
    forged = wechat.text("o-alice", "伪造", query={"msg_signature": "0" * 40})
    assert forged.status_code == 403
    call.errors.append(forged.text)

    for n in range(4):
        app.queue_outbound("o-alice", "text", {"content": f"第{n}条"}, key=f"day:{n}")
    sender = Sender(
        app, WeChatGateway.from_settings(settings), OutboxConfig.from_settings(settings)
    )
    drain(sender, clock)
    for _ in range(2):  # the fake fails every other call
        with contextlib.suppress(WeChatQrUnavailable):
            app.qr_for_scene(store.json()["qr_scene"])
    refused = call("GET", "/api/auth/wechat/callback", params={"code": OAUTH_CODE})
    assert refused.status_code in (401, 502)

    unreachable = OutboxWeChatClient(APPID, SECRET, f"http://127.0.0.1:{closed_port()}/", 0.5)
    monkeypatch.setattr(app, "list_staff", lambda *_: unreachable.fetch_access_token())
    assert call("GET", "/api/staff", headers=operator).status_code == 500


def leaks(texts: list[str]) -> list[str]:
    return [name for name, secret in SECRETS.items() if any(secret in t for t in texts)]


def test_no_secret_in_logs_errors_or_the_event_log(
    client, app, settings, clock, fake, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    call = Answers(client)
    a_realistic_day(call, app, settings, clock, monkeypatch)

    formatter = logging.Formatter()
    records = [
        record.getMessage()
        + (formatter.formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    ]
    events = [
        n.topic + n.state.decode("utf-8", "replace")
        for n in app.recorder.select_notifications(0, 100_000)
    ]
    assert fake.failures and fake.received and fake.qrcodes  # WeChat was called, and failed
    assert any("access_token=" in r for r in records)  # the HTTP client did log its URLs
    assert leaks(records) == []
    assert leaks(call.errors) == []
    assert leaks(events) == []
    assert leaks([repr(settings), str(settings), str(settings.model_dump())]) == []
    print(
        f"scanned {len(records)} log records, {len(call.errors)} error answers and "
        f"{len(events)} events for {len(SECRETS)} secrets: none found"
    )
