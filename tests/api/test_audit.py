"""Operator audit: each operator command is recorded, in its own transaction, with who
gave it and when; GET /api/audit lists them newest first, a page at a time."""

from uuid import UUID

import pytest

from domain.audit import OperatorAction
from tests.api.conftest import api_settings, assert_problem, bearer, hire, login


@pytest.fixture
def settings(database_url, tmp_path):
    return api_settings(database_url, tmp_path, embedded_worker=True)


def audit(client, app, headers, **params) -> list[dict]:
    after = {"Lianjie-After": str(app.recorder.max_notification_id())}
    response = client.get("/api/audit", headers=headers | after, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def operator_day(client, operator, store) -> None:
    """A day of an operator's work: stores, staff, a campaign's life, an import, a rule."""
    campaign = client.post(
        "/api/campaigns",
        json={"name": "满30减3", "kind": "scan_gift", "reward": {"type": "points", "points": 5}},
        headers=operator,
    ).json()
    for step in ("start", "pause", "end"):
        client.post(f"/api/campaigns/{campaign['id']}/{step}", headers=operator)
    client.patch(f"/api/stores/{store['id']}", json={"name": "徐汇旗舰店"}, headers=operator)
    hire(client, operator, store["id"], "clerk-7")
    csv = {"Content-Type": "text/csv"}
    imported = "openid,region,phone,tags\no-old-1,合肥,,老顾客\n".encode()
    client.post("/api/imports/members", content=imported, headers=operator | csv)
    rule = {"name": "hi", "match": "exact", "keywords": ["你好"]}
    rule["reply"] = {"type": "text", "content": "您好"}
    client.post("/api/wechat/reply-rules", json=rule, headers=operator)


def test_every_operator_command_is_listed_with_who_and_when(client, app, clock, operator, store):
    operator_day(client, operator, store)
    entries = audit(client, app, operator)
    assert [e["action"] for e in reversed(entries)] == [
        "open_store",
        "create_campaign",
        "start_campaign",
        "pause_campaign",
        "end_campaign",
        "update_store",
        "create_staff",
        "import_members",
        "create_rule",
    ]
    assert {(e["actor"], e["at"][:19]) for e in entries} == {("admin", "2026-11-11T10:00:00")}
    me = client.get("/api/auth/me", headers=operator).json()
    assert {e["actor_id"] for e in entries} == {me["id"]}
    started = next(e for e in entries if e["action"] == "start_campaign")
    assert [c["event"] for c in started["changes"]] == ["Campaign.Started"]
    staffed = next(e for e in entries if e["action"] == "create_staff")
    assert {c["event"] for c in staffed["changes"]} == {"Account.Registered", "Store.StaffAssigned"}
    print(f"{len(entries)} operator commands audited:", [e["action"] for e in entries])


def test_the_audit_record_is_saved_with_the_change_and_only_then(client, app, operator, store):
    before = app.count_events(OperatorAction.Recorded)
    closed = client.post(f"/api/stores/{store['id']}/close", headers=operator)
    again = client.post(f"/api/stores/{store['id']}/close", headers=operator)  # refused
    refused = client.post("/api/stores", json={"name": "", "region": "上海"}, headers=operator)
    assert (closed.status_code, again.status_code, refused.status_code) == (200, 409, 422)
    assert app.count_events(OperatorAction.Recorded) == before + 1
    recorded = list(app.logged(OperatorAction.Recorded))[-1]
    assert recorded.changes == [{"event": "Store.Closed", "id": store["id"]}]
    # Saved in one go with the change: the two sit side by side in the log.
    log = [(n.originator_id, n.topic) for n in app.recorder.select_notifications(0, 10_000)]
    closed_at = log.index((UUID(store["id"]), "domain.store:Store.Closed"))
    assert log[closed_at + 1][0] == recorded.originator_id


def test_pages_and_one_operators_actions(client, app, clock, operator):
    client.post(
        "/api/operators", json={"username": "ops-2", "password": "ops-password"}, headers=operator
    )
    second = login(client, "ops-2", "ops-password")
    for name in ("一店", "二店", "三店"):
        clock.advance(minutes=1)
        client.post("/api/stores", json={"name": name, "region": "上海"}, headers=second)
    newest = audit(client, app, operator, limit=2)
    assert [e["changes"][0]["event"] for e in newest] == ["Store.Opened", "Store.Opened"]
    assert [e["at"][11:16] for e in newest] == ["10:03", "10:02"]
    assert [e["at"][11:16] for e in audit(client, app, operator, limit=2, offset=2)] == [
        "10:01",
        "10:00",
    ]
    ops_2 = client.get("/api/auth/me", headers=second).json()["id"]
    assert [e["actor"] for e in audit(client, app, operator, actor_id=ops_2)] == ["ops-2"] * 3


def test_staff_followers_and_strangers_cannot_read_the_audit(client, staff, follower):
    assert_problem(client.get("/api/audit", headers=staff), 403, "forbidden")
    assert_problem(client.get("/api/audit", headers=follower.headers), 403, "forbidden")
    assert_problem(client.get("/api/audit", headers=bearer("made-up")), 401, "not-authenticated")


def test_what_staff_followers_and_policies_do_is_not_an_operator_action(client, app, staff, coupon):
    before = app.count_events(OperatorAction.Recorded)
    client.post(f"/api/till/coupons/{coupon}/redeem", headers=staff)
    app.follow("o-bob")  # WeChat and the policies act through the application directly
    assert app.count_events(OperatorAction.Recorded) == before
