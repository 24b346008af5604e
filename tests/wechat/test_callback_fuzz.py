"""The callback fuzzed with hypothesis: whatever a correctly signed push carries (garbage,
malformed, oversized, deeply nested or entity-expanding XML, other encodings, a safe-mode
ciphertext of garbage), the answer is a 4xx or a valid reply, never a 5xx, and a refused
push records nothing. Signatures and ciphertexts are real (wechatpy's crypto)."""

from __future__ import annotations

import itertools
import time
import xml.dom.minidom
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from services.wechat import include_wechat
from tests.wechat.wechat_side import ACCOUNT, AES_KEY, APPID, CALLBACK, TOKEN, sign, to_xml

EXAMPLES = 300  # per test; about 10 s for the file on both stores
NONCES = itertools.count()
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "lol">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]><xml><Content>&j;</Content></xml>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>&x;</FromUserName></xml>"
)
FIELD_NAMES = st.sampled_from(
    ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event",
     "EventKey", "Latitude", "Longitude", "Precision", "Location_X", "Location_Y", "Label",
     "Ticket", "PicUrl", "Encrypt", "x"]
)  # fmt: skip
MSG_TYPES = st.sampled_from(["text", "event", "image", "location", "voice", "TEXT", "", "?"])
EVENTS = st.sampled_from(["subscribe", "unsubscribe", "SCAN", "CLICK", "LOCATION", "VIEW", "?"])


def message(**fields: str) -> str:
    envelope = {"ToUserName": ACCOUNT, "FromUserName": "o-fuzz", "CreateTime": "1794391200"}
    return to_xml(envelope | fields)


def nested(depth: int) -> str:
    return "<xml>" + "<a>" * depth + "x" + "</a>" * depth + "</xml>"


garbage_fields = st.dictionaries(FIELD_NAMES, st.text(max_size=40), max_size=8).map(to_xml)
odd_messages = st.builds(
    lambda kind, event, key, content, stamp: message(
        MsgType=kind, Event=event, EventKey=key, Content=content, CreateTime=stamp, MsgId="1"
    ),
    MSG_TYPES,
    EVENTS,
    st.text(max_size=60) | st.sampled_from(["qrscene_store:x", "ref:", "campaign:not-a-uuid"]),
    st.text(max_size=60),
    st.text(max_size=12) | st.integers(-(2**70), 2**70).map(str),
)
xml_texts = st.one_of(
    garbage_fields,
    odd_messages,
    st.text(max_size=300),
    st.sampled_from([LAUGHS, EXTERNAL, "<xml>", "<xml><a></xml>", "<notxml/>", "<xml/>"]),
    st.integers(100, 100_000).map(nested),
)
encodings = st.sampled_from(["gbk", "utf-16", "utf-16-le", "utf-32", "gb18030", "latin-1"])
bodies = st.one_of(
    xml_texts.map(str.encode),
    st.binary(max_size=500),
    st.tuples(odd_messages, encodings).map(
        lambda pair: pair[0].replace("o-fuzz", "粉丝").encode(pair[1], errors="replace")
    ),
    st.tuples(xml_texts, st.binary(min_size=1, max_size=4)).map(
        lambda pair: pair[0].encode() + b"\xff\xfe" + pair[1]  # not UTF-8 at all
    ),
    st.integers(64 * 1024 + 1, 300_000).map(lambda size: b"<xml>" + b"a" * size + b"</xml>"),
)


@pytest.fixture
def lenient_client(app, settings) -> Iterator[TestClient]:
    api = FastAPI()
    include_wechat(api, app, settings)
    with TestClient(api, raise_server_exceptions=False) as test_client:
        yield test_client


def signed_query() -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), f"fuzz{next(NONCES)}"
    return {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def sealed(plaintext: bytes, query: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """A safe-mode push whose ciphertext (valid, for our AppID) holds `plaintext`."""
    encrypt = PrpCrypto(WeChatCrypto(TOKEN, AES_KEY, APPID).key).encrypt(plaintext, APPID)
    encrypt_text = encrypt.decode()
    signature = sign(TOKEN, query["timestamp"], query["nonce"], encrypt_text)
    query = query | {"encrypt_type": "aes", "msg_signature": signature}
    return query, to_xml({"ToUserName": ACCOUNT, "Encrypt": encrypt_text}).encode()


def check_answer(app, client: TestClient, query: dict[str, str], body: bytes) -> int:
    """Post a push; its answer is a 4xx (nothing recorded) or a well-formed reply."""
    head = app.recorder.max_notification_id()
    answer = client.post(CALLBACK, params=query, content=body, headers={"Content-Type": "text/xml"})
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert app.recorder.max_notification_id() == head, "a refused push recorded something"
    elif answer.text != "success":
        xml.dom.minidom.parseString(answer.text)  # a well-formed passive reply
    return answer.status_code


def fuzz(strategy, check) -> Counter[int]:
    """Run `check` (which answers a status) on EXAMPLES examples; the statuses seen."""
    statuses: Counter[int] = Counter()

    @given(strategy)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(example) -> None:
        statuses[check(example)] += 1

    run()
    print("answers by status:", dict(sorted(statuses.items())))
    return statuses


def test_plain_pushes_of_anything_are_refused_or_answered(app, lenient_client):
    statuses = fuzz(bodies, lambda body: check_answer(app, lenient_client, signed_query(), body))
    assert statuses[200] and statuses[400]  # both kinds were explored


def test_safe_mode_ciphertexts_of_anything_are_refused_or_answered(app, lenient_client):
    def check(plaintext: bytes) -> int:
        return check_answer(app, lenient_client, *sealed(plaintext, signed_query()))

    statuses = fuzz(bodies.filter(lambda body: len(body) < 48 * 1024), check)
    assert statuses[200] and statuses[400]


def test_billion_laughs_external_entities_and_deep_nesting_are_refused_fast(app, lenient_client):
    for document in (LAUGHS, EXTERNAL, nested(9000)):
        for query, body in (
            (signed_query(), document.encode()),
            sealed(document.encode(), signed_query()),
        ):
            started = time.perf_counter()
            assert check_answer(app, lenient_client, query, body) == 400
            assert time.perf_counter() - started < 2  # expanded, the laughs would take far longer
