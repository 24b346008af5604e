"""The callback's protocol: server check, signatures, safe mode, and refusing bad bodies
fast with nothing recorded."""

from __future__ import annotations

import base64
import gc
import threading
import time

import psycopg
import pytest
import xmltodict
from fastapi import FastAPI
from fastapi.testclient import TestClient
from wechatpy.crypto import WeChatCrypto

from domain.inbound import InboundMessage
from services.settings import Settings
from services.wechat import include_wechat
from tests.wechat.wechat_side import ACCOUNT, AES_KEY, TOKEN, WeChatSide, sign, to_xml

OTHER_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
DATABASE_GONE = psycopg.OperationalError("server closed the connection unexpectedly")


def head(app) -> int:
    return app.recorder.max_notification_id() or 0


def text_xml(openid="o-1", content="你好", msg_id=1) -> str:
    return to_xml(
        {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": 1794391200,
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
        }
    )


def test_the_server_check_echoes_echostr_when_signed(client):
    query = {"timestamp": "1794391200", "nonce": "n1", "echostr": "8041951785393853957"}
    query["signature"] = sign(TOKEN, query["timestamp"], query["nonce"])
    answer = client.get("/wechat/callback", params=query)
    assert (answer.status_code, answer.text) == (200, "8041951785393853957")


@pytest.mark.parametrize("signature", ["0" * 40, ""])
def test_the_server_check_is_refused_without_a_good_signature(client, signature):
    query = {"signature": signature, "timestamp": "1", "nonce": "n", "echostr": "e"}
    answer = client.get("/wechat/callback", params=query)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/wechat-bad-signature")


def test_plain_and_safe_mode_pushes_are_both_recorded(app, wechat, plain_wechat):
    wechat.text("o-safe", "安全模式")
    plain_wechat.text("o-plain", "明文模式")
    contents = {e.openid: e.content for e in app.logged(InboundMessage.Received)}
    assert contents == {"o-safe": "安全模式", "o-plain": "明文模式"}


def test_a_safe_mode_reply_is_encrypted_and_signed_for_wechat(app, wechat):
    app.create_reply_rule("hi", "exact", ["你好"], {"type": "text", "content": "您好！"})
    answer = wechat.text("o-1", "你好")
    assert answer.headers["content-type"].startswith("application/xml")
    outer = xmltodict.parse(answer.text)["xml"]
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    reply = wechat.reply(answer)  # checks MsgSignature and decrypts
    assert (reply["MsgType"], reply["Content"], reply["ToUserName"], reply["FromUserName"]) == (
        "text",
        "您好！",
        "o-1",
        ACCOUNT,
    )


def test_a_plain_mode_reply_is_plain_xml(app, plain_wechat):
    app.create_reply_rule("hi", "exact", ["你好"], {"type": "text", "content": "a ]]> b"})
    answer = plain_wechat.text("o-1", "你好")
    assert plain_wechat.reply(answer)["Content"] == "a ]]> b"  # CDATA cannot be broken out of


def test_a_bad_signature_is_refused_and_nothing_is_recorded(app, wechat):
    before = head(app)
    answer = wechat.text("o-1", "你好", query={"signature": "0" * 40})
    assert answer.status_code == 403
    assert head(app) == before


def test_a_bad_msg_signature_is_refused_and_nothing_is_recorded(app, wechat):
    before = head(app)
    answer = wechat.text("o-1", "你好", query={"msg_signature": "0" * 40})
    assert answer.status_code == 403
    assert answer.json()["type"].endswith("/wechat-bad-signature")
    assert head(app) == before


def post_encrypted(wechat: WeChatSide, encrypt: str):
    """A safe-mode push whose Encrypt is `encrypt`, correctly signed over it."""
    query = wechat.query()
    query |= {
        "encrypt_type": "aes",
        "msg_signature": sign(TOKEN, query["timestamp"], query["nonce"], encrypt),
    }
    body = to_xml({"ToUserName": ACCOUNT, "Encrypt": encrypt})
    return wechat.post(query, body.encode())


@pytest.mark.parametrize(
    "encrypt",
    [
        base64.b64encode(b"\x00" * 64).decode(),  # decrypts to garbage
        base64.b64encode(b"\x01" * 33).decode(),  # not a whole number of AES blocks
        "%%%not-base64%%%",
    ],
)
def test_bad_ciphertext_is_refused_and_nothing_is_recorded(app, wechat, encrypt):
    before = head(app)
    answer = post_encrypted(wechat, encrypt)
    assert answer.status_code == 403
    assert answer.json()["type"].endswith("/wechat-bad-ciphertext")
    assert head(app) == before


def test_ciphertext_for_another_account_is_refused(app, wechat):
    for crypto in (
        WeChatCrypto(TOKEN, AES_KEY, "wx-another-app"),  # our key, another AppID
        WeChatCrypto(TOKEN, OTHER_AES_KEY, "wx0123456789abcdef"),  # another key
    ):
        sealed = xmltodict.parse(crypto.encrypt_message(text_xml(), "n", "1"))["xml"]
        assert post_encrypted(wechat, sealed["Encrypt"]).status_code == 403
    assert head(app) == 0


def test_safe_mode_without_an_aes_key_configured_is_refused(database_url, app, clock):
    api = FastAPI()
    include_wechat(api, app, Settings(database_url=database_url, wechat_token=TOKEN))
    with TestClient(api) as client:
        answer = WeChatSide(client, clock, safe=True).text("o-1", "你好")
    assert answer.status_code == 403
    assert head(app) == 0


def test_without_a_token_every_push_is_refused(database_url, app, clock):
    api = FastAPI()
    include_wechat(api, app, Settings(database_url=database_url))
    with TestClient(api) as client:
        assert WeChatSide(client, clock, safe=False).text("o-1", "你好").status_code == 403


def refused_fast(wechat: WeChatSide, body: bytes, safe: bool) -> dict:
    query, _ = wechat.seal(text_xml(), safe=False)
    if safe:
        encrypt = wechat.crypto.encrypt_message(body.decode(), query["nonce"], query["timestamp"])
        sealed = xmltodict.parse(encrypt)["xml"]
        query |= {"encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}
        body = to_xml({"ToUserName": ACCOUNT, "Encrypt": sealed["Encrypt"]}).encode()
    started = time.perf_counter()
    answer = wechat.post(query, body)
    assert time.perf_counter() - started < 0.5
    assert answer.status_code == 400, answer.text
    return answer.json()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o-1</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content>"
    "<MsgId>9</MsgId></xml>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o-1</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content>"
    "<MsgId>9</MsgId></xml>"
)
PI_TRICK = (
    '<?pi <![CDATA[ ?><!DOCTYPE xml [<!ENTITY a "b">]><xml><ToUserName>gh</ToUserName>'
    "<FromUserName>o-1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
    "<Content>&a; ]]></Content><MsgId>9</MsgId></xml>"
)
BAD_BODIES = {
    "billion laughs": BILLION_LAUGHS,
    "external entity": XXE,
    "doctype only": '<!DOCTYPE xml SYSTEM "http://evil.example/x.dtd"><xml></xml>',
    "lower-case doctype": text_xml().replace("<xml>", "<!doctype xml><xml>"),
    "declaration behind a processing instruction": PI_TRICK,
    "not well-formed": "<xml><ToUserName>gh</ToUserName><FromUserName>o-1",
    "not xml": "hello",
    "another root": text_xml().replace("xml>", "message>"),
    "no sender": text_xml().replace("<FromUserName><![CDATA[o-1]]></FromUserName>", ""),
    "no type": text_xml().replace("<MsgType><![CDATA[text]]></MsgType>", ""),
    "time not a number": text_xml().replace("1794391200", "yesterday"),
    "content with children": text_xml().replace(
        "<Content><![CDATA[你好]]></Content>", "<Content><a>1</a></Content>"
    ),
}


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_malformed_bodies_and_entity_tricks_are_refused_fast(app, wechat, name, safe):
    problem = refused_fast(wechat, BAD_BODIES[name].encode(), safe)
    assert problem["type"].endswith("/wechat-bad-body")
    assert head(app) == 0


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
def test_a_follower_may_write_doctype_and_entity_in_a_message(app, client, clock, safe):
    words = '<!DOCTYPE html><!ENTITY x SYSTEM "file:///etc/passwd"> <!-- hi --> &x;'
    answer = WeChatSide(client, clock, safe=safe).text("o-1", words)
    assert answer.status_code == 200
    [received] = app.logged(InboundMessage.Received)
    assert received.content == words


def test_a_body_over_64_kb_is_refused_fast_declared_or_streamed(app, wechat):
    query, _ = wechat.seal(text_xml(), safe=False)
    huge = text_xml(content="长" * 30_000).encode()  # 90 KB of UTF-8
    refused_fast(wechat, huge, safe=False)

    def chunks():  # no Content-Length: the cap applies while streaming
        yield huge[:40_000]
        yield huge[40_000:]
        yield b"x" * 10_000_000

    answer = wechat.client.post("/wechat/callback", params=query, content=chunks())
    assert answer.status_code == 400
    assert head(app) == 0


def test_a_body_just_under_64_kb_is_taken(app, plain_wechat):
    answer = plain_wechat.text("o-1", "长" * 21_000)  # 63 KB of UTF-8
    assert answer.status_code == 200
    assert len(list(app.logged(InboundMessage.Received))) == 1


def answered_before_done(app, settings, clock, receive, done, what: str) -> None:
    """A text push whose work (`receive`, let go only after the answer) outlasts the reply
    window: WeChat gets `success`; then wait, with the event loop still running, for `done`.
    Work that meets a storage fault is tried again twice, 10 ms apart."""
    release = threading.Event()

    def late(inbound):
        release.wait(5)
        return receive(inbound)

    app.receive_wechat_message = late
    api = FastAPI()
    include_wechat(api, app, settings, reply_within=0.05, late_retry_delays=(0.01, 0.01))
    with TestClient(api) as client:
        answer = WeChatSide(client, clock).text("o-1", "你好")
        assert answer.text == "success"
        release.set()
        deadline = time.monotonic() + 5
        while not done():
            assert time.monotonic() < deadline, f"the late {what} never came"
            time.sleep(0.01)
        time.sleep(0.1)  # the event loop copies the outcome to its own future meanwhile


def test_a_reply_not_ready_within_the_window_answers_success_and_goes_to_the_outbox(
    app, settings, clock
):
    app.create_reply_rule("hi", "exact", ["你好"], {"type": "text", "content": "您好！"})

    def deferred() -> bool:
        return bool(list(app.logged(InboundMessage.ReplyDeferred)))

    answered_before_done(app, settings, clock, app.receive_wechat_message, deferred, "reply")
    [deferred] = app.logged(InboundMessage.ReplyDeferred)
    assert (deferred.openid, deferred.reply["content"]) == ("o-1", "您好！")
    assert deferred.outbox_key.startswith("passive:msg:")


def test_a_push_failing_after_the_window_is_logged_once_and_without_a_traceback(
    app, settings, clock, caplog
):
    def failing(inbound):
        raise RuntimeError("the store went away")

    def logged() -> bool:
        return any("failed after the window" in r.getMessage() for r in caplog.records)

    answered_before_done(app, settings, clock, failing, logged, "failure log")
    gc.collect()  # an unretrieved asyncio future logs its exception when collected
    failures = [r for r in caplog.records if r.exc_info or "never retrieved" in r.getMessage()]
    assert failures == []
    assert sum("failed after the window" in r.getMessage() for r in caplog.records) == 1


def test_a_push_meeting_a_storage_fault_after_the_window_is_tried_again_until_recorded(
    app, settings, clock, caplog
):
    app.create_reply_rule("hi", "exact", ["你好"], {"type": "text", "content": "您好！"})
    receive, faults = app.receive_wechat_message, [DATABASE_GONE, DATABASE_GONE]

    def database_back_on_the_third_try(inbound):
        if faults:
            raise faults.pop()
        return receive(inbound)

    def deferred() -> bool:
        return bool(list(app.logged(InboundMessage.ReplyDeferred)))

    answered_before_done(app, settings, clock, database_back_on_the_third_try, deferred, "reply")
    assert len(list(app.logged(InboundMessage.Received))) == 1
    [deferred] = app.logged(InboundMessage.ReplyDeferred)
    assert (deferred.openid, deferred.reply["content"]) == ("o-1", "您好！")
    assert sum("trying again" in r.getMessage() for r in caplog.records) == 2
    assert not any("failed after the window" in r.getMessage() for r in caplog.records)


def test_a_storage_fault_outlasting_the_tries_is_logged_once_for_replay(
    app, settings, clock, caplog
):
    def database_never_back(inbound):
        raise DATABASE_GONE

    def logged() -> bool:
        return any("failed after the window" in r.getMessage() for r in caplog.records)

    answered_before_done(app, settings, clock, database_never_back, logged, "failure log")
    assert sum("trying again" in r.getMessage() for r in caplog.records) == 2
    assert sum("failed after the window" in r.getMessage() for r in caplog.records) == 1
    assert list(app.logged(InboundMessage.Received)) == []
