"""Every operation in the OpenAPI document, called without a token and with each role's:
401 without one, 403 for a role it is not for, past the door for the roles it is for;
staff only at their own store; followers only with their own coupons."""

from __future__ import annotations

import re
from uuid import uuid4

from tests.api.conftest import assert_problem, follow, hire, open_store, running_campaign

PUBLIC = {
    ("POST", "/api/auth/token"),
    ("POST", "/api/auth/follower-token"),
    ("GET", "/api/auth/wechat/callback"),
}
ANY_TOKEN = {("POST", "/api/auth/logout"), ("GET", "/api/auth/me")}
STORE_READS = {"/api/stores/{store_id}", "/api/stores/{store_id}/poster.png"}
STORE_READS |= {"/api/stores/{store_id}/poster.svg"}
ROLES = ("operator", "staff", "follower")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def allowed_roles(method: str, path: str) -> set[str]:
    """Who an operation is for, by the rules the README states."""
    if (method, path) in ANY_TOKEN:
        return set(ROLES)
    if path == "/api/me" or path.startswith("/api/me/"):
        return {"follower"}
    if path.startswith("/api/till/"):
        return {"staff"}
    if method == "GET" and path in STORE_READS:
        return {"operator", "staff"}  # staff: their own store only (below)
    return {"operator"}


def concrete(path: str, store_id: str) -> str:
    values = {"code": "ABCD-EFGH-JKMN-PQRS", "openid": "o-nobody", "token": "nope"}
    values["store_id"] = store_id
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), str(uuid4())), path)


def protected_operations(client) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    operations = [
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if path.startswith("/api/")
    ]
    return [op for op in operations if op not in PUBLIC]


def test_every_operation_keeps_out_the_wrong_roles(client, app, operator, store, staff, follower):
    tokens = {"operator": operator, "staff": staff, "follower": follower.headers}
    other_store = open_store(client, operator, "静安店")["id"]
    operations = protected_operations(client)
    assert len(operations) >= 60
    for method, path in operations:
        url = concrete(path, other_store)
        assert_problem(client.request(method, url), 401, "not-authenticated")
        allowed = allowed_roles(method, path)
        for role in set(ROLES) - allowed:
            refused = client.request(method, url, headers=tokens[role])
            assert (method, path, role, refused.status_code) == (method, path, role, 403)
            assert_problem(refused, 403, "forbidden")
        if "staff" in allowed and "{store_id}" in path:  # another store's: refused
            assert_problem(client.request(method, url, headers=staff), 403, "forbidden")
            url = concrete(path, store["id"])
        if (method, path) != ("POST", "/api/auth/logout"):
            for role in allowed:
                answer = client.request(method, url, headers=tokens[role])
                assert answer.status_code not in (401, 403), (method, path, role, answer.text)
    print(f"{len(operations)} operations walked with no token and as {', '.join(ROLES)}")


def test_staff_cannot_redeem_or_scan_another_stores_coupon(client, app, operator, staff):
    elsewhere = open_store(client, operator, "静安店")
    only_there = running_campaign(client, operator, store_ids=[elsewhere["id"]])
    fan = follow(client, app, "o-carol")
    claimed = client.post(f"/api/me/campaigns/{only_there['id']}/claim", headers=fan.headers)
    code = claimed.json()["code"]
    scan = client.post("/api/till/scan", json={"code": code}, headers=staff).json()["coupon"]
    assert (scan["redeemable"], scan["reason"]) == (False, "not-valid-at-store")
    redeem = client.post(f"/api/till/coupons/{code}/redeem", headers=staff)
    assert_problem(redeem, 422, "not-valid-at-store")
    there = hire(client, operator, elsewhere["id"], "clerk-9")
    assert client.post(f"/api/till/coupons/{code}/redeem", headers=there).status_code == 200
    reverse = client.post(f"/api/till/coupons/{code}/reverse", headers=staff)
    assert reverse.status_code in (403, 409, 422), reverse.text  # not this store's redemption


def test_followers_reach_only_their_own_coupons(client, app, follower, coupon):
    other = follow(client, app, "o-dave")
    for path in (f"/api/me/coupons/{coupon}", f"/api/me/coupons/{coupon}.png"):
        assert_problem(client.get(path, headers=other.headers), 403, "forbidden")
        assert client.get(path, headers=follower.headers).status_code == 200
