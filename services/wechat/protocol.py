"""WeChat's callback protocol: signatures, safe-mode AES and XML in and out, via wechatpy.

Everything here is cheap and happens before the application is touched: an
oversized body, a bad signature, bad ciphertext or XML that is malformed or
declares a DOCTYPE or entities is refused, and nothing is recorded.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import LocationEvent, ScanEvent, SubscribeScanEvent
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import LocationMessage, TextMessage
from wechatpy.replies import ArticlesReply, TextReply
from wechatpy.utils import check_signature

from domain.inbound import Inbound
from services.settings import Settings

MAX_BODY = 64 * 1024
LATEST_SECOND = 4_102_444_800  # 2100-01-01: a CreateTime beyond is not a real push
MAX_DEPTH = 8  # WeChat nests 4 deep at most (SendPicsInfo > PicList > item > PicMd5Sum)
# Text a follower wrote ("<!DOCTYPE" included) sits in CDATA sections; comments are
# harmless. Outside both, `<!` opens a DOCTYPE, ENTITY, ELEMENT or ATTLIST declaration.
QUOTED = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.DOTALL)
DECLARATION = re.compile(rb"<!")
REQUIRED = ("FromUserName", "ToUserName", "MsgType", "CreateTime")
# Fields read as text: an element with attributes or children there is not WeChat's.
TEXT_FIELDS = (
    *REQUIRED,
    "MsgId",
    "Event",
    "EventKey",
    "Content",
    "Latitude",
    "Longitude",
    "Precision",
    "Location_X",
    "Location_Y",
    "Label",
)


class Rejected(Exception):
    """The push is refused before anything is recorded."""

    status = 400
    slug = "wechat-bad-request"
    title = "Bad WeChat request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadSignature(Rejected):
    """The signature (or msg_signature) does not match our token."""

    status = 403
    slug = "wechat-bad-signature"
    title = "Bad WeChat signature"


class BadCiphertext(Rejected):
    """The safe-mode ciphertext does not decrypt to a message for our AppID."""

    status = 403
    slug = "wechat-bad-ciphertext"
    title = "Bad WeChat ciphertext"


class BadBody(Rejected):
    """The body is too large, not well-formed XML, declares entities, or lacks a field."""

    slug = "wechat-bad-body"
    title = "Bad WeChat message"


@dataclass(frozen=True)
class CallbackQuery:
    """The query string WeChat signs its pushes with."""

    signature: str = ""
    timestamp: str = ""
    nonce: str = ""
    encrypt_type: str = ""
    msg_signature: str = ""

    @property
    def safe_mode(self) -> bool:
        return self.encrypt_type.lower() == "aes"


@dataclass(frozen=True)
class CallbackKeys:
    """The Official Account's token, AppID and EncodingAESKey (safe mode when set)."""

    token: str | None
    app_id: str | None = None
    aes_key: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CallbackKeys:
        keys = cls(
            token=secret(settings.wechat_token),
            app_id=settings.wechat_appid or None,
            aes_key=secret(settings.wechat_aes_key),
        )
        keys.crypto  # noqa: B018 -- a bad EncodingAESKey fails at start-up, not per message
        return keys

    @cached_property
    def crypto(self) -> WeChatCrypto | None:
        if not (self.token and self.aes_key):
            return None
        if not self.app_id or len(self.aes_key) != 43:
            raise ValueError("safe mode needs LIANJIE_WECHAT_APPID and a 43-character AES key")
        return WeChatCrypto(self.token, self.aes_key, self.app_id)

    def check(self, query: CallbackQuery) -> None:
        """The query's signature over (token, timestamp, nonce); BadSignature otherwise."""
        if not (self.token and query.signature and query.timestamp and query.nonce):
            raise BadSignature("signature, timestamp and nonce are required")
        try:
            check_signature(self.token, query.signature, query.timestamp, query.nonce)
        except InvalidSignatureException:
            raise BadSignature("the signature does not match") from None

    def open(self, query: CallbackQuery, body: bytes) -> str:
        """The message XML: the body itself, or in safe mode its decrypted Encrypt field."""
        if not query.safe_mode:
            if query.encrypt_type not in ("", "raw"):
                raise BadBody(f"unknown encrypt_type {query.encrypt_type!r}")
            return screened(body)
        if self.crypto is None:
            raise BadSignature("safe mode is not configured (LIANJIE_WECHAT_AES_KEY)")
        encrypt = xml_fields(screened(body)).get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise BadBody("a safe-mode body carries <Encrypt>")
        if not query.msg_signature:
            raise BadSignature("safe mode needs msg_signature")
        try:
            inner = self.crypto.decrypt_message(
                {"Encrypt": encrypt}, query.msg_signature, query.timestamp, query.nonce
            )
        except InvalidSignatureException:
            raise BadSignature("the msg_signature does not match") from None
        except (InvalidAppIdException, ValueError, TypeError, IndexError, struct.error):
            raise BadCiphertext("the ciphertext does not decrypt for this AppID") from None
        return screened(inner.encode("utf-8"))

    def seal(self, xml: str, query: CallbackQuery, timestamp: str) -> str:
        """The reply as WeChat expects it: plain, or encrypted and signed in safe mode."""
        if not query.safe_mode or self.crypto is None:
            return xml
        return self.crypto.encrypt_message(xml, query.nonce or "lianjie", timestamp)


def secret(value: Any) -> str | None:
    if value is None:
        return None
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return text or None


def screened(body: bytes) -> str:
    """The body as text, refused when empty, too large, not UTF-8 or declaring anything."""
    if not body.strip():
        raise BadBody("the body is empty")
    if len(body) > MAX_BODY:
        raise BadBody(f"bodies are at most {MAX_BODY} bytes")
    if DECLARATION.search(QUOTED.sub(b"", body)):
        raise BadBody("DOCTYPE, ENTITY and other declarations are refused")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8") from None


def xml_fields(xml: str) -> dict[str, Any]:
    """The children of the <xml> root; BadBody when the XML is not well-formed."""
    try:
        document = xmltodict.parse(xml, disable_entities=True)
    except (ExpatError, ValueError) as error:
        raise BadBody(f"malformed XML: {error}") from None
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise BadBody("the root element is <xml>")
    if nesting_exceeds(root, MAX_DEPTH):
        raise BadBody(f"elements nest at most {MAX_DEPTH} deep")
    return root


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Do parsed elements nest deeper than `limit`? (Level by level: no recursion.)"""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def flat(value: Any) -> str:
    """A field as text for the record: nested elements (ScanCodeInfo, ...) as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def inbound_from(xml: str) -> Inbound:
    """Parse a push with wechatpy into plain values; BadBody when a required field is off."""
    raw = xml_fields(xml)
    fields = {str(name): flat(value) for name, value in raw.items()}
    for name in REQUIRED:
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise BadBody(f"<{name}> is required")
    for name in TEXT_FIELDS:
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise BadBody(f"<{name}> holds text only")
    try:
        message = parse_message(xml)
        values = typed_values(message, fields)
    except (KeyError, AttributeError, TypeError, ValueError) as error:
        raise BadBody(f"unreadable field: {error}") from None
    if not 0 <= values["sent_at"] < LATEST_SECOND:
        raise BadBody("<CreateTime> is not a time WeChat could have sent")
    return Inbound(fields=fields, **values)


def typed_values(message: Any, fields: dict[str, str]) -> dict[str, Any]:
    msg_type = fields["MsgType"].strip().lower()
    event = fields.get("Event", "").strip().lower() or None
    values: dict[str, Any] = {
        "openid": message.source,
        "account": message.target,
        "msg_type": msg_type,
        "sent_at": message.time,
        "msg_id": message.id if msg_type != "event" else None,
        "event": event,
        "event_key": fields.get("EventKey") or None,
    }
    if isinstance(message, SubscribeScanEvent | ScanEvent):
        values["scene"] = message.scene_id or None
    if isinstance(message, TextMessage):
        values["content"] = message.content or ""
    if isinstance(message, LocationEvent):
        values.update(
            latitude=message.latitude, longitude=message.longitude, precision=message.precision
        )
    if isinstance(message, LocationMessage):
        values.update(latitude=float(message.location_x), longitude=float(message.location_y))
    return values


def cdata(text: str) -> str:
    """Text that cannot close the CDATA section wechatpy wraps it in."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def render_reply(reply: dict[str, Any], inbound: Inbound, created_at: int) -> str:
    """The passive reply XML: text or news, from the Official Account to the follower."""
    envelope = {"source": inbound.account, "target": inbound.openid, "time": created_at}
    if reply["type"] == "news":
        articles = [{name: cdata(value) for name, value in a.items()} for a in reply["articles"]]
        return ArticlesReply(articles=articles, **envelope).render()
    return TextReply(content=cdata(reply["content"]), **envelope).render()
