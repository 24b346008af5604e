"""WeChat's side of the callback: XML built as WeChat builds it, signed, and in safe
mode AES-encrypted with wechatpy's WeChatCrypto, posted through a TestClient."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

import xmltodict
from fastapi.testclient import TestClient
from httpx import Response
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "lianjie-test-token"
APPID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
ACCOUNT = "gh_lianjie_test"
CALLBACK = "/wechat/callback"
MSG_IDS = itertools.count(6_000_000_000_000_000_001)  # unique across WeChatSides
NUMERIC = ("CreateTime", "MsgId", "Latitude", "Longitude", "Precision")


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def to_xml(fields: dict[str, Any]) -> str:
    """Fields as WeChat writes them: numbers bare, text in CDATA."""
    lines = []
    for name, value in fields.items():
        if name in NUMERIC:
            lines.append(f"<{name}>{value}</{name}>")
        else:
            lines.append(f"<{name}><![CDATA[{value}]]></{name}>")
    return "<xml>\n" + "\n".join(lines) + "\n</xml>"


class WeChatSide:
    """Pushes messages and events to /wechat/callback the way WeChat's servers do."""

    def __init__(self, client: TestClient, clock: Any, safe: bool = True) -> None:
        self.client = client
        self.clock = clock
        self.safe = safe
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
        self.last: tuple[dict[str, str], bytes] | None = None

    def now(self) -> int:
        return int(self.clock.now.timestamp())

    def envelope(self, openid: str, msg_type: str) -> dict[str, Any]:
        self.clock.advance(seconds=1)  # one push a second, as a follower would
        return {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": self.now(),
            "MsgType": msg_type,
        }

    # Messages and events ------------------------------------------------------------

    def text(self, openid: str, content: str, **options: Any) -> Response:
        fields = self.envelope(openid, "text") | {"Content": content}
        return self.push(fields | {"MsgId": next(MSG_IDS)}, **options)

    def image(self, openid: str, url: str = "http://mmbiz.qpic.cn/x.jpg") -> Response:
        fields = self.envelope(openid, "image") | {"PicUrl": url, "MediaId": "media-1"}
        return self.push(fields | {"MsgId": next(MSG_IDS)})

    def location_message(self, openid: str, x: float, y: float, label: str) -> Response:
        fields = self.envelope(openid, "location")
        fields |= {"Location_X": x, "Location_Y": y, "Scale": 15, "Label": label}
        return self.push(fields | {"MsgId": next(MSG_IDS)})

    def event(self, openid: str, event: str, **extra: Any) -> Response:
        options = {k: extra.pop(k) for k in ("safe", "query") if k in extra}
        return self.push(self.envelope(openid, "event") | {"Event": event, **extra}, **options)

    def subscribe(self, openid: str, scene: str | None = None, **options: Any) -> Response:
        if scene is None:
            return self.event(openid, "subscribe", EventKey="", **options)
        return self.event(
            openid,
            "subscribe",
            EventKey=f"qrscene_{scene}",
            Ticket="gQH47joAAAAAAAAAASxodHRw",
            **options,
        )

    def scan(self, openid: str, scene: str, **options: Any) -> Response:
        return self.event(
            openid, "SCAN", EventKey=scene, Ticket="gQH47joAAAAAAAAAASxodHRw", **options
        )

    def unsubscribe(self, openid: str) -> Response:
        return self.event(openid, "unsubscribe", EventKey="")

    def click(self, openid: str, key: str) -> Response:
        return self.event(openid, "CLICK", EventKey=key)

    def location(self, openid: str, latitude: float, longitude: float) -> Response:
        return self.event(
            openid, "LOCATION", Latitude=latitude, Longitude=longitude, Precision=119.385040
        )

    # The wire ------------------------------------------------------------------------

    def query(self, body_to_sign: str | None = None) -> dict[str, str]:
        timestamp, nonce = str(self.now()), secrets.token_hex(5)
        query = {
            "signature": sign(TOKEN, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": "o-ignored",
        }
        return query

    def seal(self, xml: str, safe: bool) -> tuple[dict[str, str], bytes]:
        query = self.query()
        if not safe:
            return query, xml.encode("utf-8")
        sealed = xmltodict.parse(
            self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
        )["xml"]
        query |= {"encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}
        body = to_xml({"ToUserName": ACCOUNT, "Encrypt": sealed["Encrypt"]})
        return query, body.encode("utf-8")

    def push(
        self, fields: dict[str, Any], safe: bool | None = None, query: dict | None = None
    ) -> Response:
        params, body = self.seal(to_xml(fields), self.safe if safe is None else safe)
        params |= query or {}
        self.last = (params, body)
        return self.post(params, body)

    def retry(self) -> Response:
        """WeChat's retry: the very same request again."""
        assert self.last is not None
        return self.post(*self.last)

    def post(self, params: dict[str, str], body: bytes) -> Response:
        return self.client.post(
            CALLBACK,
            params=params,
            content=body,
            headers={"Content-Type": "text/xml"},
        )

    def reply(self, response: Response) -> dict[str, Any] | None:
        """The passive reply in a response, decrypted in safe mode; None for `success`."""
        assert response.status_code == 200, response.text
        if response.text == "success":
            return None
        outer = xmltodict.parse(response.text)["xml"]
        if "Encrypt" in outer:
            signature = sign(TOKEN, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
            assert signature == outer["MsgSignature"]
            xml = self.crypto.decrypt_message(
                response.text, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]
            )
            outer = xmltodict.parse(xml)["xml"]
        return outer
