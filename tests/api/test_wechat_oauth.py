"""WeChat web OAuth against a local server that plays WeChat's OAuth endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from tests.api.conftest import api_settings, assert_problem, bearer

APPID, SECRET = "wx-test-appid", "wx-test-secret"
CODES = {"code-for-alice": "o-alice", "code-for-stranger": "o-stranger"}


class FakeWeChat(BaseHTTPRequestHandler):
    """GET /sns/oauth2/access_token answers like WeChat: a token and openid, or an errcode."""

    seen: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        FakeWeChat.seen.append(query)
        if url.path != "/sns/oauth2/access_token":
            self.answer(404, {"errcode": 404, "errmsg": "not found"})
        elif query.get("appid") != [APPID] or query.get("secret") != [SECRET]:
            self.answer(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
        elif query.get("code", [""])[0] not in CODES:
            self.answer(200, {"errcode": 40029, "errmsg": "invalid code"})
        else:
            openid = CODES[query["code"][0]]
            token = {"access_token": "at", "expires_in": 7200, "refresh_token": "rt"}
            self.answer(200, token | {"openid": openid, "scope": "snsapi_base"})

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def wechat_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWeChat)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def wechat_client(database_url, tmp_path, app, base: str) -> TestClient:
    settings = api_settings(
        database_url,
        tmp_path,
        dev_login=False,
        wechat_appid=APPID,
        wechat_secret=SECRET,
        wechat_api_base=base,
    )
    return TestClient(create_app(settings, application=app))


def test_a_wechat_code_becomes_a_follower_token(database_url, tmp_path, app, wechat_base):
    client = wechat_client(database_url, tmp_path, app, wechat_base)
    alice = app.follow("o-alice").member_id
    response = client.get("/api/auth/wechat/callback", params={"code": "code-for-alice"})
    body = response.json()
    assert (response.status_code, body["member_id"], body["token_type"]) == (
        200,
        str(alice),
        "bearer",
    )
    assert FakeWeChat.seen[-1]["grant_type"] == ["authorization_code"]
    me = client.get("/api/me", headers=bearer(body["access_token"])).json()
    assert me["openid"] == "o-alice"


def test_wechat_refusals(database_url, tmp_path, app, wechat_base):
    client = wechat_client(database_url, tmp_path, app, wechat_base)
    bad = client.get("/api/auth/wechat/callback", params={"code": "forged"})
    assert_problem(bad, 401, "wechat-login-failed")
    stranger = client.get("/api/auth/wechat/callback", params={"code": "code-for-stranger"})
    assert_problem(stranger, 404, "member-not-found")  # WeChat knows them; they never followed
    assert_problem(client.get("/api/auth/wechat/callback"), 422, "invalid-request")


def test_an_unreachable_wechat_is_502(database_url, tmp_path, app, wechat_base):
    client = wechat_client(database_url, tmp_path, app, wechat_base + "missing/")
    response = client.get("/api/auth/wechat/callback", params={"code": "code-for-alice"})
    assert_problem(response, 502, "wechat-unavailable")
    closed = wechat_client(database_url, tmp_path, app, "http://127.0.0.1:9/")
    response = closed.get("/api/auth/wechat/callback", params={"code": "code-for-alice"})
    assert_problem(response, 502, "wechat-unavailable")


def test_wechat_login_is_404_when_not_configured(client):
    response = client.get("/api/auth/wechat/callback", params={"code": "code-for-alice"})
    assert_problem(response, 404, "not-found")
