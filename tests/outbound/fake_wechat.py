"""A local fake of WeChat's API: token, customer-service and template sends, QR codes.

A threaded HTTP server on 127.0.0.1:0 that records every message it accepts. Like
WeChat, it sends a template message once per (openid, client_msg_id) and answers a
repeat with the first msgid. It can fail every Nth call with an errcode, refuse
customer-service messages to followers outside the 48-hour window (45015), and
hold a chosen delivery (recorded, not yet answered) so a test can kill the sender
exactly between WeChat accepting a message and the sender recording it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APPID, SECRET = "wx-fake-appid", "fake-secret"
TOKEN = "fake-access-token"
SEND_PATHS = {
    "/cgi-bin/message/custom/send": "customer_service",
    "/cgi-bin/message/template/send": "template",
}


@dataclass(frozen=True)
class Received:
    channel: str  # customer_service or template
    touser: str
    body: dict[str, Any]
    at: float  # time.monotonic() when accepted


@dataclass
class FakeWeChat:
    """The fake's state and knobs; `start()` serves it, `url` is its API base."""

    fail_every: int = 0  # every Nth message or QR call fails with `fail_errcode`
    fail_errcode: int = -1  # WeChat's "system busy, try again"
    out_of_window: set[str] = field(default_factory=set)  # openids refused with 45015
    hold: Callable[[Received, int], bool] | None = None  # (delivery, count) -> hold it?
    received: list[Received] = field(default_factory=list)
    duplicates: list[Received] = field(default_factory=list)
    qrcodes: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    failures: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.held = threading.Event()
        self.release = threading.Event()
        self.msgids: dict[tuple[str, str], int] = {}
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> FakeWeChat:
        fake = self

        class Handler(FakeHandler):
            wechat = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def counts(self) -> Counter[str]:
        """Messages each openid received (template repeats de-duplicated, as WeChat does)."""
        with self.lock:
            return Counter(r.touser for r in self.received)

    def answer(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], Received | None]:
        """The JSON answer to an authenticated POST, and the delivery to hold, if any."""
        with self.lock:
            self.calls += 1
            if self.fail_every and self.calls % self.fail_every == 0:
                self.failures += 1
                return {"errcode": self.fail_errcode, "errmsg": "system error"}, None
            if path == "/cgi-bin/qrcode/create":
                return self.qrcode(body), None
            channel = SEND_PATHS.get(path)
            if channel is None:
                return {"errcode": 404, "errmsg": f"no fake for {path}"}, None
            delivery = Received(channel, str(body.get("touser")), body, time.monotonic())
            if channel == "customer_service" and delivery.touser in self.out_of_window:
                return {"errcode": 45015, "errmsg": "response out of time limit"}, None
            dedupe = (delivery.touser, str(body.get("client_msg_id") or ""))
            if channel == "template" and dedupe[1] and dedupe in self.msgids:
                self.duplicates.append(delivery)
                return {"errcode": 0, "errmsg": "ok", "msgid": self.msgids[dedupe]}, None
            self.received.append(delivery)
            answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
            if channel == "template":
                answer["msgid"] = self.msgids[dedupe] = 1000 + len(self.received)
            held = self.hold and not self.held.is_set() and self.hold(delivery, len(self.received))
            return answer, delivery if held else None

    def qrcode(self, body: dict[str, Any]) -> dict[str, Any]:
        self.qrcodes.append(body)
        n = len(self.qrcodes)
        answer: dict[str, Any] = {
            "ticket": f"gQ-ticket-{n}==",
            "url": f"http://weixin.qq.com/q/{n}",
        }
        if "expire_seconds" in body:
            answer["expire_seconds"] = body["expire_seconds"]
        return answer


class FakeHandler(BaseHTTPRequestHandler):
    wechat: FakeWeChat

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/cgi-bin/token":
            return self.reply({"errcode": 404, "errmsg": "not found"})
        if (query.get("appid"), query.get("secret")) != (APPID, SECRET):
            return self.reply({"errcode": 40125, "errmsg": "invalid appsecret"})
        return self.reply({"access_token": TOKEN, "expires_in": 7200})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if parse_qs(url.query).get("access_token", [""])[0] != TOKEN:
            return self.reply({"errcode": 40001, "errmsg": "invalid credential"})
        answer, held = self.wechat.answer(url.path, body)
        if held is not None:
            self.wechat.held.set()
            self.wechat.release.wait(timeout=60)
        self.reply(answer)

    def reply(self, answer: dict[str, Any]) -> None:
        data = json.dumps(answer).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the sender was killed while we held its request
            pass
