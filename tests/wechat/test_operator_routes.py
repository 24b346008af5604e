"""The operator's /api/wechat routes: thin, behind the operator dependency the API passes."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from domain.errors import DomainError, NotFound
from projections.inbox import InboxView
from projections.runner import ProjectionRunner
from services.wechat import include_wechat
from tests.wechat.wechat_side import WeChatSide

AGENT = uuid4()


def operator(x_agent: str | None = Header(None)) -> SimpleNamespace:
    """Stands in for the API's bearer-token check."""
    if not x_agent:
        raise HTTPException(403, "operators only")
    return SimpleNamespace(subject_id=UUID(x_agent))


@pytest.fixture
def api(app, settings, clock) -> Iterator[tuple[TestClient, WeChatSide]]:
    fastapi = FastAPI()

    @fastapi.exception_handler(DomainError)
    def domain_error(request: Request, error: DomainError) -> JSONResponse:
        status = 404 if isinstance(error, NotFound) else 409
        return JSONResponse({"type": error.slug, "detail": error.detail}, status_code=status)

    include_wechat(fastapi, app, settings, operator=operator)
    with TestClient(fastapi, headers={"X-Agent": str(AGENT)}) as client:
        yield client, WeChatSide(client, clock)


def test_rules_are_created_paused_and_their_recipients_corrected(api):
    client, wechat = api
    created = client.post(
        "/api/wechat/reply-rules",
        json={
            "name": "错误回复",
            "match": "contains",
            "keywords": ["券"],
            "reply": {"type": "text", "content": "全场免单"},
        },
    )
    assert created.status_code == 201
    rule_id = created.json()["id"]
    wechat.subscribe("o-1")
    assert wechat.reply(wechat.text("o-1", "有券吗"))["Content"] == "全场免单"
    paused = client.post(f"/api/wechat/reply-rules/{rule_id}/pause")
    assert paused.json()["active"] is False
    assert wechat.reply(wechat.text("o-1", "有券吗")) is None
    recipients = client.get(f"/api/wechat/reply-rules/{rule_id}/recipients").json()["items"]
    assert [(r["openid"], r["replies"]) for r in recipients] == [("o-1", 1)]
    headers = {"Idempotency-Key": "fix-1"}
    body = {"text": "更正：并无免单活动"}
    first = client.post(
        f"/api/wechat/reply-rules/{rule_id}/corrections", json=body, headers=headers
    )
    again = client.post(
        f"/api/wechat/reply-rules/{rule_id}/corrections", json=body, headers=headers
    )
    assert first.status_code == 201 and first.json() == again.json()
    assert first.json()["recipients"] == 1
    assert [r["active"] for r in client.get("/api/wechat/reply-rules").json()["items"]] == [False]


def test_flows_are_defined_and_started_by_a_rule(api):
    client, wechat = api
    flow = client.post(
        "/api/wechat/qa-flows",
        json={
            "name": "老顾客问答",
            "questions": [
                {
                    "prompt": "你是我们的老顾客吗？回复 A 是 B 不是",
                    "options": {"A": "老顾客", "B": "新顾客"},
                }
            ],
        },
    ).json()
    client.post(
        "/api/wechat/reply-rules",
        json={
            "name": "问答",
            "match": "exact",
            "keywords": ["问答"],
            "reply": {"type": "flow", "flow_id": flow["id"]},
        },
    )
    wechat.subscribe("o-1")
    assert "老顾客吗" in wechat.reply(wechat.text("o-1", "问答"))["Content"]
    assert wechat.reply(wechat.text("o-1", "B"))["Content"] == "谢谢参与！"
    assert [f["name"] for f in client.get("/api/wechat/qa-flows").json()["items"]] == ["老顾客问答"]


def test_the_inbox_is_listed_taken_answered_and_closed(api, app):
    client, wechat = api
    runner = ProjectionRunner(app, [InboxView()])
    for openid in ("o-1", "o-2"):
        wechat.subscribe(openid)
        wechat.text(openid, f"{openid} 的问题")
    runner.run_once()
    waiting = client.get("/api/wechat/inbox").json()["items"]
    assert [w["openid"] for w in waiting] == ["o-1", "o-2"]
    first, second = (w["conversation_id"] for w in waiting)
    assert client.post(f"/api/wechat/inbox/{first}/assign", json={}).json()["agent_id"] == str(
        AGENT
    )
    runner.run_once()
    assert [w["openid"] for w in client.get("/api/wechat/inbox?mine=true").json()["items"]] == [
        "o-1"
    ]
    canned = client.post(
        "/api/wechat/canned-replies", json={"title": "稍等", "text": "请稍等"}
    ).json()
    sent = client.post(f"/api/wechat/inbox/{first}/answer", json={"canned_reply_id": canned["id"]})
    assert (sent.status_code, sent.json()["text"]) == (201, "请稍等")
    closed = client.post(f"/api/wechat/inbox/{second}/close", json={"reason": "spam"})
    assert closed.json()["status"] == "closed"
    runner.run_once()
    assert client.get("/api/wechat/inbox").json()["items"] == []
    messages = client.get(f"/api/wechat/inbox/{first}/messages").json()["items"]
    assert [(m["direction"], m["text"]) for m in messages] == [
        ("in", "o-1 的问题"),
        ("out", "请稍等"),
    ]
    assert client.delete(f"/api/wechat/canned-replies/{canned['id']}").status_code == 204
    assert client.get("/api/wechat/canned-replies").json()["items"] == []


def test_domain_errors_and_strangers_are_refused(api):
    client, _ = api
    assert client.post(f"/api/wechat/reply-rules/{uuid4()}/pause").status_code == 404
    assert client.post(f"/api/wechat/inbox/{uuid4()}/close", json={}).status_code == 404
    assert client.get("/api/wechat/inbox", headers={"X-Agent": ""}).status_code == 403
