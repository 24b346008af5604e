"""The record day as WeChat pushes it: follows and interactions, signed and AES-encrypted.

57,805 follows and 173,734 other interactions: scans of store posters by followers,
text messages, menu clicks and shares. WeChat pushes no event when a follower shares
an article, so shares arrive as taps on the menu's 邀请好友 button (a CLICK with key
`INVITE_FRIENDS`). Followers arrive through store posters (`qrscene_store:<id>`) or
search (no scene); every interaction comes from someone who followed earlier that day.

Each push is built the way WeChat builds it (XML with CDATA, as in safe mode): the
message is encrypted with wechatpy's WeChatCrypto under the account's EncodingAESKey,
wrapped in `<xml><ToUserName/><Encrypt/></xml>`, and the query carries `signature`
over (token, timestamp, nonce) and `msg_signature` over the ciphertext as well.
"""

from __future__ import annotations

import itertools
import random
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from uuid import UUID

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from infra.bench.load import Call

ACCOUNT = "gh_lianjie_bench"
CALLBACK = "/wechat/callback"
NUMERIC = ("CreateTime", "MsgId")
TEXTS = ("几点关门", "有停车位吗", "会员卡怎么用", "优惠券在哪里", "你好", "谢谢")
MENU_KEYS = ("MEMBER_CARD", "MY_COUPONS", "STORE_LIST")
SHARE_KEY = "INVITE_FRIENDS"
FIRST_MSG_ID = 7_000_000_000_000_000_001


@dataclass(frozen=True)
class Mix:
    """How many of each push; the record day's by default."""

    follows: int = 57_805
    scans: int = 69_494
    texts: int = 52_120
    clicks: int = 34_747
    shares: int = 17_373  # with the rest: 173,734 interactions

    @property
    def interactions(self) -> int:
        return self.scans + self.texts + self.clicks + self.shares

    @property
    def total(self) -> int:
        return self.follows + self.interactions

    def scaled(self, fraction: float) -> Mix:
        """The same day at `fraction` of its size (at least one of each)."""
        return Mix(*(max(1, round(n * fraction)) for n in self.counts()))

    def counts(self) -> tuple[int, int, int, int, int]:
        return self.follows, self.scans, self.texts, self.clicks, self.shares


@dataclass(frozen=True)
class Account:
    """The Official Account's callback keys (LIANJIE_WECHAT_TOKEN, _APPID, _AES_KEY)."""

    token: str
    app_id: str
    aes_key: str

    @classmethod
    def fresh(cls) -> Account:
        aes_key = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43))
        return cls(secrets.token_hex(16), "wx" + secrets.token_hex(8), aes_key)

    def env(self) -> dict[str, str]:
        return {
            "LIANJIE_WECHAT_TOKEN": self.token,
            "LIANJIE_WECHAT_APPID": self.app_id,
            "LIANJIE_WECHAT_AES_KEY": self.aes_key,
        }


class Day:
    """The day's pushes in order, each as the HTTP call WeChat would make."""

    def __init__(self, mix: Mix, stores: list[UUID], start: datetime, run: str, seed: int = 1):
        self.mix = mix
        self.scenes = [f"store:{store}" for store in stores]
        self.start = int(start.timestamp())
        self.run = run
        self.rng = random.Random(seed)
        self.msg_ids = itertools.count(FIRST_MSG_ID)
        self.last_time: dict[str, int] = {}

    def pushes(self) -> Iterator[dict[str, str | int]]:
        """Follows and interactions interleaved in the proportions of the mix."""
        left = dict(
            zip(("follow", "scan", "text", "click", "share"), self.mix.counts(), strict=True)
        )
        followed = 0
        for step in range(self.mix.total):
            if followed == 0:
                kind = "follow"
            else:
                kind = self.rng.choices(list(left), weights=list(left.values()))[0]
            left[kind] -= 1
            if kind == "follow":
                followed += 1
                yield self.follow(f"rd-{self.run}-{followed}", step)
            else:
                yield self.interaction(kind, f"rd-{self.run}-{self.rng.randint(1, followed)}", step)

    def follow(self, openid: str, step: int) -> dict[str, str | int]:
        fields = self.envelope(openid, "event", step) | {"Event": "subscribe", "EventKey": ""}
        if self.rng.random() < 0.8:
            fields |= {
                "EventKey": f"qrscene_{self.rng.choice(self.scenes)}",
                "Ticket": "gQH47joAAAAAAAAAASxodHRw",
            }
        return fields

    def interaction(self, kind: str, openid: str, step: int) -> dict[str, str | int]:
        if kind == "text":
            fields = self.envelope(openid, "text", step)
            return fields | {"Content": self.rng.choice(TEXTS), "MsgId": next(self.msg_ids)}
        fields = self.envelope(openid, "event", step)
        if kind == "scan":
            scene = self.rng.choice(self.scenes)
            return fields | {
                "Event": "SCAN",
                "EventKey": scene,
                "Ticket": "gQH47joAAAAAAAAAASxodHRw",
            }
        key = SHARE_KEY if kind == "share" else self.rng.choice(MENU_KEYS)
        return fields | {"Event": "CLICK", "EventKey": key}

    def envelope(self, openid: str, msg_type: str, step: int) -> dict[str, str | int]:
        # Spread over 24 hours; a follower's own pushes never share a second (WeChat keys
        # events by sender and CreateTime).
        when = max(self.start + step * 86_400 // self.mix.total, self.last_time.get(openid, 0) + 1)
        self.last_time[openid] = when
        return {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": when,
            "MsgType": msg_type,
        }


class Sealer:
    """Signs and encrypts a push as WeChat does in safe mode."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.crypto = WeChatCrypto(account.token, account.aes_key, account.app_id)

    def call(self, fields: dict[str, str | int], timestamp: int) -> Call:
        nonce = secrets.token_hex(5)
        sealed = xmltodict.parse(
            self.crypto.encrypt_message(to_xml(fields), nonce, str(timestamp))
        )["xml"]
        query = {
            "signature": sign(self.account.token, str(timestamp), nonce),
            "timestamp": str(timestamp),
            "nonce": nonce,
            "openid": str(fields["FromUserName"]),
            "encrypt_type": "aes",
            "msg_signature": sealed["MsgSignature"],
        }
        body = to_xml({"ToUserName": ACCOUNT, "Encrypt": sealed["Encrypt"]}).encode()
        headers = (("Content-Type", "text/xml"),)
        return Call("POST", f"{CALLBACK}?{urlencode(query)}", headers, body)


def to_xml(fields: dict[str, str | int]) -> str:
    """Fields as WeChat writes them: numbers bare, text in CDATA."""
    lines = [
        f"<{name}>{value}</{name}>" if name in NUMERIC else f"<{name}><![CDATA[{value}]]></{name}>"
        for name, value in fields.items()
    ]
    return "<xml>" + "".join(lines) + "</xml>"


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def record_day(
    account: Account, mix: Mix, stores: list[UUID], now: datetime, run: str
) -> list[Call]:
    """Every push of the day, sealed ahead of time so the replay spends no CPU on it."""
    sealer, timestamp = Sealer(account), int(now.timestamp())
    return [sealer.call(fields, timestamp) for fields in Day(mix, stores, now, run).pushes()]
