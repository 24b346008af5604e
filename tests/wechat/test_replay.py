"""A replay of 20,000 generated pushes (follows, scans, texts, and WeChat's retries)
through the callback: every push is in the log once, every unanswered one in the inbox.

LIANJIE_WECHAT_REPLAY sets the count (20,000 by default, as ./infra/test.sh runs it on
PostgreSQL; the SQLite run replays 2,000).
"""

from __future__ import annotations

import asyncio
import os
import random
import time

import httpx

from domain.inbound import InboundMessage
from projections.inbox import InboxView, count_waiting
from projections.runner import ProjectionRunner
from projections.sql import Database
from tests.wechat.wechat_side import ACCOUNT, CALLBACK, WeChatSide, to_xml

REPLAY = int(os.environ.get("LIANJIE_WECHAT_REPLAY", "20000"))
SQLITE_REPLAY = 2_000  # the full count runs on PostgreSQL, the production store
SENDERS = 16  # WeChat pushes many followers' messages at once
ANSWERED = "营业时间"
QUESTIONS = ["我的券怎么用？", "门店几点关门", "可以开发票吗", "[捂脸]", "退货流程"]


def generate(count: int, scenes: list[str], start: int) -> tuple[list[dict], list[dict]]:
    """Follows first (a third), then scans and texts by those followers, shuffled."""
    rng = random.Random(20261111)
    followers = [f"o-replay-{i:06d}" for i in range(max(1, count // 3))]
    follows = [
        event(openid, start + i, "subscribe", f"qrscene_{rng.choice(scenes)}" if i % 4 else "")
        for i, openid in enumerate(followers)
    ]
    later = []
    for i in range(count - len(follows)):
        openid, sent_at = rng.choice(followers), start + len(follows) + i
        if i % 4 == 0:
            later.append(event(openid, sent_at, "SCAN", rng.choice(scenes)))
        else:
            content = ANSWERED if i % 4 == 1 else rng.choice(QUESTIONS)
            later.append(text(openid, sent_at, content, msg_id=7_000_000_000 + i))
    rng.shuffle(later)
    return follows, later


def event(openid: str, sent_at: int, name: str, key: str) -> dict:
    return envelope(openid, sent_at, "event") | {"Event": name, "EventKey": key}


def text(openid: str, sent_at: int, content: str, msg_id: int) -> dict:
    return envelope(openid, sent_at, "text") | {"Content": content, "MsgId": msg_id}


def envelope(openid: str, sent_at: int, msg_type: str) -> dict:
    return {
        "ToUserName": ACCOUNT,
        "FromUserName": openid,
        "CreateTime": sent_at,
        "MsgType": msg_type,
    }


async def push_all(wechat: WeChatSide, pushes: list[dict]) -> list[int]:
    """Post the pushes SENDERS at a time, straight into the ASGI app (no server, no
    TestClient thread hops: they would cost more than the work measured)."""
    transport = httpx.ASGITransport(app=wechat.client.app)
    limit = asyncio.Semaphore(SENDERS)
    async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as client:

        async def post(fields: dict) -> int:
            params, body = wechat.seal(to_xml(fields), wechat.safe)
            async with limit:
                response = await client.post(CALLBACK, params=params, content=body)
            return response.status_code

        return await asyncio.gather(*(post(fields) for fields in pushes))


def test_a_replay_records_every_push_once_and_queues_every_unanswered_one(app, wechat, settings):
    count = REPLAY if settings.database_url.startswith("postgres") else min(REPLAY, SQLITE_REPLAY)
    stores = [app.open_store(f"门店{i}", "合肥") for i in range(5)]
    app.create_reply_rule("hours", "exact", [ANSWERED], {"type": "text", "content": "10:00-22:00"})
    follows, later = generate(count, [s.qr_scene for s in stores], wechat.now())
    retries = later[:: max(1, len(later) // 200)]  # WeChat's retries of ~200 pushes

    started = time.perf_counter()
    for phase in (follows, later + retries):
        statuses = asyncio.run(push_all(wechat, phase))
        assert set(statuses) == {200}
    elapsed = time.perf_counter() - started
    print(f"\nreplayed {count} pushes (+{len(retries)} retries) in {elapsed:.1f} s")

    received = list(app.logged(InboundMessage.Received))
    assert len(received) == len({e.key for e in received}) == len(follows) + len(later)
    unanswered = [f for f in later if f["MsgType"] == "text" and f["Content"] != ANSWERED]
    ProjectionRunner(app, [InboxView()]).run_once()
    db = Database(app.factory.tracking_recorder())
    queued = db.read("SELECT message_key FROM inbox_messages WHERE direction = 'in'")
    assert sorted(key for (key,) in queued) == sorted(f"msg:{f['MsgId']}" for f in unanswered)
    assert count_waiting(db)[0] == len({f["FromUserName"] for f in unanswered})
    answered = [f for f in later if f.get("Content") == ANSWERED]
    assert app.count_events(InboundMessage.Replied) == len(answered)
