"""Operators set up stores and campaigns."""

from uuid import UUID

import pytest

from tests.api.conftest import PUBLIC_URL, assert_problem, running_campaign

NO_SUCH_ID = "00000000-0000-4000-8000-000000000000"
COUPON = {"type": "coupon", "title": "¥3 代金券", "value_fen": 300}


def test_a_store_is_opened_with_its_qr_scene(client, operator):
    body = {"name": "合肥万达店", "region": "合肥"}
    response = client.post("/api/stores", json=body, headers=operator)
    store = response.json()
    assert response.status_code == 201
    assert (store["name"], store["region"], store["is_open"]) == ("合肥万达店", "合肥", True)
    assert store["qr_scene"] == f"store:{UUID(store['id'])}"
    assert store["follow_url"] == f"{PUBLIC_URL}/follow?scene={store['qr_scene']}"


def test_stores_are_listed_looked_up_updated_and_closed(client, operator):
    ids = [
        client.post(
            "/api/stores", json={"name": f"店{i}", "region": "河北"}, headers=operator
        ).json()["id"]
        for i in range(3)
    ]
    listed = client.get("/api/stores", headers=operator).json()["items"]
    assert [s["id"] for s in listed] == ids
    page = client.get("/api/stores", headers=operator, params={"offset": 1, "limit": 1}).json()
    assert [s["id"] for s in page["items"]] == ids[1:2]
    renamed = client.patch(f"/api/stores/{ids[0]}", json={"name": "新店名"}, headers=operator)
    assert (renamed.json()["name"], renamed.json()["region"]) == ("新店名", "河北")
    assert client.get(f"/api/stores/{ids[0]}", headers=operator).json()["name"] == "新店名"
    closed = client.post(f"/api/stores/{ids[1]}/close", headers=operator)
    assert closed.json()["is_open"] is False
    again = client.post(f"/api/stores/{ids[1]}/close", headers=operator)
    assert_problem(again, 409, "store-closed")
    missing = client.get(f"/api/stores/{NO_SUCH_ID}", headers=operator)
    assert_problem(missing, 404, "store-not-found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "region": "合肥"}, "name"),
        ({"name": "A", "region": "合肥", "colour": "red"}, "colour"),
        ({"name": 42, "region": "合肥"}, "name"),
        ({"name": "A\x00B", "region": "合肥"}, "name"),
        ({"region": "合肥"}, "name"),
    ],
)
def test_bad_store_bodies_are_422_naming_the_field(client, operator, body, field):
    response = client.post("/api/stores", json=body, headers=operator)
    problem = assert_problem(response, 422, "invalid-request")
    assert field in problem["detail"]
    assert any(error["loc"][-1] == field for error in problem["errors"])


def test_a_body_that_is_not_json_is_422(client, operator):
    response = client.post(
        "/api/stores", content=b"{not json", headers=operator | {"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "invalid-request")


def test_a_campaign_is_defined_in_draft_with_every_field(client, operator, store):
    body = {
        "name": "双十一抽奖",
        "kind": "lucky_draw",
        "reward": COUPON,
        "stock": 20,
        "per_member_limit": 2,
        "starts_at": "2026-11-11T00:00:00+08:00",
        "ends_at": "2026-11-12T00:00:00+08:00",
        "store_ids": [store["id"]],
        "coupon_valid_days": 7,
    }
    response = client.post("/api/campaigns", json=body, headers=operator)
    campaign = response.json()
    assert (response.status_code, campaign["status"]) == (201, "draft")
    assert {k: campaign[k] for k in ("name", "kind", "reward", "stock", "store_ids")} == {
        k: body[k] for k in ("name", "kind", "reward", "stock", "store_ids")
    }
    assert campaign["starts_at"].startswith("2026-11-10T16:00:00")
    fetched = client.get(f"/api/campaigns/{campaign['id']}", headers=operator).json()
    assert fetched == campaign


def test_a_campaign_starts_pauses_and_ends(client, operator):
    campaign = running_campaign(client, operator)
    assert campaign["status"] == "running"
    paused = client.post(f"/api/campaigns/{campaign['id']}/pause", headers=operator)
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    ended = client.post(f"/api/campaigns/{campaign['id']}/end", headers=operator)
    assert ended.json()["status"] == "ended"
    restart = client.post(f"/api/campaigns/{campaign['id']}/start", headers=operator)
    assert_problem(restart, 409, "campaign-status-conflict")
    missing = client.post(f"/api/campaigns/{NO_SUCH_ID}/start", headers=operator)
    assert_problem(missing, 404, "campaign-not-found")


def test_campaigns_are_listed_by_status(client, operator):
    draft = client.post(
        "/api/campaigns",
        json={"name": "草稿", "kind": "follow_gift", "reward": {"type": "points", "points": 10}},
        headers=operator,
    ).json()
    running = running_campaign(client, operator)
    every = client.get("/api/campaigns", headers=operator).json()["items"]
    assert [c["id"] for c in every] == [draft["id"], running["id"]]
    only = client.get("/api/campaigns", params={"status": "running"}, headers=operator).json()
    assert [c["id"] for c in only["items"]] == [running["id"]]
    bad = client.get("/api/campaigns", params={"status": "lost"}, headers=operator)
    assert_problem(bad, 422, "invalid-request")


@pytest.mark.parametrize(
    ("change", "status", "slug"),
    [
        ({"kind": "garage_sale"}, 422, "invalid-request"),
        ({"reward": {"type": "points", "points": 5, "title": "x"}}, 422, "invalid-request"),
        ({"reward": {"type": "cash", "value_fen": 5}}, 422, "invalid-request"),
        ({"starts_at": "2026-11-11T00:00:00"}, 422, "invalid-request"),  # no time zone
        ({"stock": 0}, 422, "invalid-request"),
        ({"per_member_limit": "many"}, 422, "invalid-request"),
        (
            {"starts_at": "2026-11-12T00:00:00Z", "ends_at": "2026-11-11T00:00:00Z"},
            422,
            "invalid-campaign",
        ),
        ({"points_cost": 100}, 422, "invalid-campaign"),  # only points_exchange costs points
    ],
)
def test_bad_campaigns_are_refused(client, operator, change, status, slug):
    body = {"name": "测试", "kind": "scan_gift", "reward": COUPON} | change
    assert_problem(client.post("/api/campaigns", json=body, headers=operator), status, slug)


def test_operators_look_members_up_by_id_and_openid(client, operator, follower):
    by_id = client.get(f"/api/members/{follower.member_id}", headers=operator).json()
    by_openid = client.get(f"/api/members/by-openid/{follower.openid}", headers=operator).json()
    assert by_id == by_openid
    assert (by_id["openid"], by_id["following"]) == (follower.openid, True)
    missing = client.get("/api/members/by-openid/o-nobody", headers=operator)
    assert_problem(missing, 404, "member-not-found")
