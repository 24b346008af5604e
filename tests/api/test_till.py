"""The till: scan, redeem exactly once, record purchases."""

from datetime import timedelta

from tests.api.conftest import (
    STAFF_PASSWORD,
    assert_problem,
    follow,
    hire,
    login,
    open_store,
    running_campaign,
)


def redeem(client, staff, code, key=None, **body):
    headers = staff | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/till/coupons/{code}/redeem", json=body or None, headers=headers)


def card(client, follower) -> str:
    return client.get("/api/me/card", headers=follower.headers).json()["payload"]


def test_scanning_a_coupon_says_whether_it_is_redeemable_here(client, staff, coupon):
    response = client.post("/api/till/scan", json={"code": coupon.lower()}, headers=staff)
    body = response.json()
    assert (response.status_code, body["kind"]) == (200, "coupon")
    assert body["coupon"] | {"valid_until": None} == {
        "code": coupon,
        "title": "¥3 代金券",
        "value_fen": 300,
        "status": "issued",
        "valid_until": None,
        "redeemable": True,
        "reason": None,
    }


def test_scanning_a_member_card_shows_the_member(client, staff, follower):
    response = client.post("/api/till/scan", json={"code": card(client, follower)}, headers=staff)
    assert response.json() == {
        "kind": "member",
        "member": {"id": str(follower.member_id), "points": 0, "coupons": []},
    }


def test_unknown_codes_are_not_recognised(client, staff):
    for code in ("0000-0000-0000-0000", "hello", "M1.AAAA.123.BBBB", "M1.garbage"):
        response = client.post("/api/till/scan", json={"code": code}, headers=staff)
        assert_problem(response, 404, "code-not-recognised")


def test_a_coupon_is_redeemed_exactly_once(client, staff, store, coupon):
    first = redeem(client, staff, coupon, order_ref="POS-1")
    body = first.json()
    assert (first.status_code, body["code"], body["status"]) == (200, coupon, "redeemed")
    assert body["store_id"] == store["id"] and body["redeemed_at"]
    assert_problem(redeem(client, staff, coupon), 409, "coupon-already-redeemed")
    scan = client.post("/api/till/scan", json={"code": coupon}, headers=staff).json()["coupon"]
    assert (scan["status"], scan["redeemable"], scan["reason"]) == (
        "redeemed",
        False,
        "coupon-already-redeemed",
    )


def test_the_same_idempotency_key_returns_the_first_answer(client, staff, coupon, clock):
    first = redeem(client, staff, coupon, key="till-7-0001")
    clock.advance(seconds=30)
    again = redeem(client, staff, coupon, key="till-7-0001")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert_problem(redeem(client, staff, coupon, key="till-7-0002"), 409, "coupon-already-redeemed")


def test_redemption_refusals(client, app, operator, staff, follower, coupon, clock):
    assert_problem(redeem(client, staff, "0000-0000-0000-0000"), 404, "coupon-not-found")
    assert_problem(redeem(client, staff, "not a code"), 404, "coupon-not-found")

    elsewhere = open_store(client, operator, "别的店")
    only_there = running_campaign(client, operator, store_ids=[elsewhere["id"]])
    claimed = client.post(f"/api/me/campaigns/{only_there['id']}/claim", headers=follower.headers)
    code = claimed.json()["code"]
    assert_problem(redeem(client, staff, code), 422, "not-valid-at-store")
    there = hire(client, operator, elsewhere["id"], "clerk-there")
    assert redeem(client, there, code).status_code == 200

    clock.advance(days=8)
    staff = login(client, "clerk-1", STAFF_PASSWORD)  # the old token expired meanwhile
    assert_problem(redeem(client, staff, coupon), 422, "coupon-expired")
    scan = client.post("/api/till/scan", json={"code": coupon}, headers=staff).json()["coupon"]
    assert (scan["status"], scan["redeemable"], scan["reason"]) == (
        "expired",
        False,
        "coupon-expired",
    )


def test_a_closed_store_redeems_nothing(client, operator, store, staff, coupon):
    client.post(f"/api/stores/{store['id']}/close", headers=operator)
    assert_problem(redeem(client, staff, coupon), 409, "store-closed")


def test_a_purchase_earns_points_once_per_order(client, app, staff, follower):
    body = {"member_code": card(client, follower), "amount_fen": 2_599, "order_ref": "POS-9"}
    first = client.post("/api/till/purchases", json=body, headers=staff)
    assert (first.status_code, first.json()) == (200, {"points_earned": 25, "balance": 25})
    again = client.post("/api/till/purchases", json=body, headers=staff)
    assert again.json() == {"points_earned": 25, "balance": 25}
    scan = client.post("/api/till/scan", json={"code": body["member_code"]}, headers=staff)
    assert scan.json()["member"]["points"] == 25
    other = follow(client, app, "o-dave")
    stale = card(client, other)
    app.clock.advance(minutes=3)
    late = body | {"member_code": stale, "order_ref": "POS-10"}
    refused = client.post("/api/till/purchases", json=late, headers=staff)
    assert_problem(refused, 404, "code-not-recognised")


def test_till_bodies_are_checked(client, staff):
    cases = [
        ("/api/till/scan", {"code": ""}),
        ("/api/till/scan", {"code": "X", "store": "mine"}),
        ("/api/till/purchases", {"member_code": "M1", "amount_fen": -5, "order_ref": "1"}),
        ("/api/till/purchases", {"member_code": "M1", "amount_fen": "lots", "order_ref": "1"}),
    ]
    for path, body in cases:
        assert_problem(client.post(path, json=body, headers=staff), 422, "invalid-request")


def test_coupon_window_is_reported_in_utc(client, staff, coupon, clock):
    scan = client.post("/api/till/scan", json={"code": coupon}, headers=staff).json()["coupon"]
    assert scan["valid_until"].startswith((clock.now + timedelta(days=7)).strftime("%Y-%m-%dT%H"))
