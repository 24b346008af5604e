"""Logins, bearer tokens that expire and are revoked, roles and stores."""

from fastapi.testclient import TestClient

from services.api.app import create_app
from services.bootstrap import bootstrap
from tests.api.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    STAFF_PASSWORD,
    api_settings,
    assert_problem,
    bearer,
    hire,
    login,
    open_store,
)


def test_the_bootstrap_operator_logs_in_with_a_bearer_token(client, clock):
    response = client.post("/api/auth/token", json={"username": ADMIN, "password": ADMIN_PASSWORD})
    body = response.json()
    assert (response.status_code, body["token_type"], body["role"]) == (200, "bearer", "operator")
    assert body["expires_at"].startswith("2026-11-11T22:00:00")  # the clock's 10:00 plus 12 h
    me = client.get("/api/auth/me", headers=bearer(body["access_token"])).json()
    assert (me["role"], me["username"], me["store_id"]) == ("operator", ADMIN, None)


def test_wrong_credentials_are_refused_alike(client):
    wrong = client.post("/api/auth/token", json={"username": ADMIN, "password": "not-it-at-all"})
    unknown = client.post("/api/auth/token", json={"username": "nobody", "password": "whatever1"})
    for response in (wrong, unknown):
        assert_problem(response, 401, "invalid-credentials")
        assert response.headers["www-authenticate"] == "Bearer"


def test_calls_without_a_valid_token_are_401(client, clock, operator):
    assert_problem(client.get("/api/stores"), 401, "not-authenticated")
    assert_problem(client.get("/api/stores", headers=bearer("made-up")), 401, "not-authenticated")
    basic = {"Authorization": "Basic YWRtaW46YWRtaW4="}
    assert_problem(client.get("/api/stores", headers=basic), 401, "not-authenticated")
    clock.advance(hours=12, seconds=1)
    assert_problem(client.get("/api/stores", headers=operator), 401, "token-expired")


def test_logout_revokes_the_token_in_every_api_process(client, settings, clock, operator):
    other_application = bootstrap(settings, clock)  # a second process's application
    try:
        other = TestClient(create_app(settings, application=other_application))
        assert other.get("/api/stores", headers=operator).status_code == 200
        assert client.post("/api/auth/logout", headers=operator).status_code == 204
        assert_problem(other.get("/api/stores", headers=operator), 401, "not-authenticated")
        assert_problem(client.get("/api/stores", headers=operator), 401, "not-authenticated")
    finally:
        other_application.close()


def test_the_bootstrap_admin_is_created_once_and_passwords_never_reach_the_log(
    client, settings, app, operator, store
):
    create_app(settings, application=app)  # a restart: the operator exists already
    hire(client, operator, store["id"], "clerk-9")
    recorded = b"".join(n.state for n in app.recorder.select_notifications(0, 10_000))
    assert ADMIN_PASSWORD.encode() not in recorded
    assert STAFF_PASSWORD.encode() not in recorded
    assert b"$argon2id$" in recorded
    assert login(client, ADMIN, ADMIN_PASSWORD)


def test_staff_logins_belong_to_one_store(client, operator, store, staff):
    me = client.get("/api/auth/me", headers=staff).json()
    assert (me["role"], me["store_id"]) == ("staff", store["id"])
    assert client.get(f"/api/stores/{store['id']}", headers=staff).status_code == 200
    elsewhere = open_store(client, operator, "静安店")
    assert_problem(client.get(f"/api/stores/{elsewhere['id']}", headers=staff), 403, "forbidden")
    assert_problem(
        client.get(f"/api/stores/{elsewhere['id']}/poster.png", headers=staff), 403, "forbidden"
    )


def test_each_role_is_kept_to_its_own_endpoints(client, staff, follower, coupon):
    assert_problem(client.get("/api/stores", headers=staff), 403, "forbidden")
    assert_problem(client.get("/api/campaigns", headers=follower.headers), 403, "forbidden")
    scan = client.post("/api/till/scan", json={"code": coupon}, headers=follower.headers)
    assert_problem(scan, 403, "forbidden")
    assert_problem(client.get("/api/me", headers=staff), 403, "forbidden")


def test_a_disabled_staff_login_stops_at_once(client, operator, staff):
    staff_id = client.get("/api/auth/me", headers=staff).json()["id"]
    disabled = client.post(f"/api/staff/{staff_id}/disable", headers=operator)
    assert (disabled.status_code, disabled.json()["active"]) == (200, False)
    assert_problem(client.get("/api/auth/me", headers=staff), 401, "not-authenticated")
    again = client.post("/api/auth/token", json={"username": "clerk-1", "password": STAFF_PASSWORD})
    assert_problem(again, 401, "invalid-credentials")


def test_account_rules(client, operator, store):
    body = {"username": "clerk-2", "password": STAFF_PASSWORD, "store_id": store["id"]}
    assert client.post("/api/staff", json=body, headers=operator).status_code == 201
    taken = body | {"username": "CLERK-2"}
    assert_problem(client.post("/api/staff", json=taken, headers=operator), 409, "username-taken")
    short = body | {"username": "clerk-3", "password": "short"}
    assert_problem(client.post("/api/staff", json=short, headers=operator), 422, "invalid-account")
    nowhere = body | {"username": "clerk-4", "store_id": "00000000-0000-4000-8000-000000000000"}
    no_store = client.post("/api/staff", json=nowhere, headers=operator)
    assert_problem(no_store, 404, "store-not-found")
    listed = client.get("/api/staff", headers=operator, params={"store_id": store["id"]}).json()
    assert [a["username"] for a in listed["items"]] == ["clerk-2"]
    created = client.post(
        "/api/operators", json={"username": "ops-2", "password": "ops-password"}, headers=operator
    )
    assert (created.status_code, created.json()["role"]) == (201, "operator")
    assert login(client, "ops-2", "ops-password")


def test_dev_follower_tokens_need_an_existing_member(client, app):
    unknown = client.post("/api/auth/follower-token", json={"openid": "o-nobody"})
    assert_problem(unknown, 404, "member-not-found")
    app.follow("o-bob")
    known = client.post("/api/auth/follower-token", json={"openid": "o-bob"})
    assert known.status_code == 200 and known.json()["token_type"] == "bearer"


def test_dev_login_is_404_when_off(database_url, tmp_path, app):
    settings = api_settings(database_url, tmp_path, dev_login=False)
    client = TestClient(create_app(settings, application=app))
    app.follow("o-carol")
    response = client.post("/api/auth/follower-token", json={"openid": "o-carol"})
    assert_problem(response, 404, "not-found")
