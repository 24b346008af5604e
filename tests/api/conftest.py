"""API fixtures: a FastAPI app over the test application, logins, a store, staff, a campaign.

Every test here runs on SQLite and on PostgreSQL through the `database_url` fixture.
Passwords are hashed with real argon2id at its cheapest cost, so logins stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.settings import Settings

ADMIN, ADMIN_PASSWORD = "admin", "admin-password"
STAFF_PASSWORD = "staff-password"
PUBLIC_URL = "https://lianjie.test"
PROBLEMS = "https://lianjie.example/problems/"


def api_settings(database_url: str, tmp_path, **overrides) -> Settings:
    """Settings for an API under test: dev login on, rate limits off, cheap argon2."""
    values = {
        "database_url": database_url,
        "var_dir": tmp_path / "var",
        "bootstrap_admin": f"{ADMIN}:{ADMIN_PASSWORD}",
        "dev_login": True,
        "card_secret": "card-secret-for-tests",
        "rate_limits": False,
        "password_hash_memory_kib": 8,
        "password_hash_iterations": 1,
        "public_url": PUBLIC_URL,
    }
    return Settings(**(values | overrides))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, slug: str) -> dict:
    """The response is problem+json with this status and a `type` ending in `slug`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == PROBLEMS + slug, body
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.fixture
def settings(database_url: str, tmp_path) -> Settings:
    """Overrides the suite's settings, so the `app` fixture is built with these."""
    return api_settings(database_url, tmp_path)


@pytest.fixture
def api(settings: Settings, app) -> FastAPI:
    return create_app(settings, application=app)


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api) as test_client:
        yield test_client


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


@pytest.fixture
def operator(client: TestClient) -> dict[str, str]:
    return login(client, ADMIN, ADMIN_PASSWORD)


def open_store(client: TestClient, operator: dict, name: str = "徐汇店") -> dict:
    response = client.post("/api/stores", json={"name": name, "region": "上海"}, headers=operator)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def store(client: TestClient, operator: dict) -> dict:
    return open_store(client, operator)


def hire(client: TestClient, operator: dict, store_id: str, username: str) -> dict[str, str]:
    """Create a staff login at a store and log it in."""
    body = {"username": username, "password": STAFF_PASSWORD, "store_id": store_id}
    response = client.post("/api/staff", json=body, headers=operator)
    assert response.status_code == 201, response.text
    return login(client, username, STAFF_PASSWORD)


@pytest.fixture
def staff(client: TestClient, operator: dict, store: dict) -> dict[str, str]:
    return hire(client, operator, store["id"], "clerk-1")


def running_campaign(client: TestClient, operator: dict, **fields) -> dict:
    body = {
        "name": "满30减3",
        "kind": "scan_gift",
        "reward": {"type": "coupon", "title": "¥3 代金券", "value_fen": 300},
    } | fields
    created = client.post("/api/campaigns", json=body, headers=operator)
    assert created.status_code == 201, created.text
    started = client.post(f"/api/campaigns/{created.json()['id']}/start", headers=operator)
    assert started.status_code == 200, started.text
    return started.json()


@pytest.fixture
def campaign(client: TestClient, operator: dict) -> dict:
    return running_campaign(client, operator, coupon_valid_days=7, per_member_limit=3)


@dataclass
class Follower:
    member_id: UUID
    openid: str
    headers: dict[str, str]


def follow(client: TestClient, app, openid: str, scene: str | None = None) -> Follower:
    """A WeChat follow (the application's use case), then a dev-login follower token."""
    member_id = app.follow(openid, scene).member_id
    response = client.post("/api/auth/follower-token", json={"openid": openid})
    assert response.status_code == 200, response.text
    assert response.json()["member_id"] == str(member_id)
    return Follower(member_id, openid, bearer(response.json()["access_token"]))


@pytest.fixture
def follower(client: TestClient, app, store: dict) -> Follower:
    return follow(client, app, "o-alice", store["qr_scene"])


@pytest.fixture
def coupon(client: TestClient, follower: Follower, campaign: dict) -> str:
    """A coupon the follower claimed; its code."""
    response = client.post(f"/api/me/campaigns/{campaign['id']}/claim", headers=follower.headers)
    assert response.status_code == 201, response.text
    return response.json()["code"]
