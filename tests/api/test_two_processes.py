"""Two real `lianjie serve` processes on one PostgreSQL schema: exactly-once across processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from domain.coupon import Coupon
from services.bootstrap import bootstrap
from services.settings import Settings
from tests.api.conftest import ADMIN, ADMIN_PASSWORD, STAFF_PASSWORD, bearer

pytestmark = pytest.mark.postgres_only
RACERS = 16


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(database_url: str, tmp_path, name: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = os.environ | {
        "LIANJIE_DATABASE_URL": database_url,
        "LIANJIE_BOOTSTRAP_ADMIN": f"{ADMIN}:{ADMIN_PASSWORD}",
        "LIANJIE_DEV_LOGIN": "1",
        "LIANJIE_CARD_SECRET": "shared-card-secret",
        "LIANJIE_RATE_LIMITS": "off",
        "LIANJIE_PASSWORD_HASH_MEMORY_KIB": "8",
        "LIANJIE_PASSWORD_HASH_ITERATIONS": "1",
        "LIANJIE_VAR_DIR": str(tmp_path / "var"),
    }
    command = [sys.executable, "-c", "from services.cli import app; app()", "serve"]
    log = (tmp_path / f"{name}.log").open("w")
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_until_ready(process: subprocess.Popen, base: str, log_path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not ready after 30 s:\n{log_path.read_text()}")


@pytest.fixture
def servers(postgres_url, tmp_path) -> Iterator[list[str]]:
    setup = bootstrap(Settings(database_url=postgres_url))  # creates the tables once, up front
    setup.close()
    started = [serve(postgres_url, tmp_path, name) for name in ("a", "b")]
    try:
        for (process, base), name in zip(started, "ab", strict=True):
            wait_until_ready(process, base, tmp_path / f"{name}.log")
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            process.wait(timeout=15)


@pytest.fixture
def brand(servers, postgres_url):
    """Through server A: a store, its staff, a running campaign; a follower with two coupons."""
    a, b = (httpx.Client(base_url=base, timeout=30) for base in servers)
    token = a.post("/api/auth/token", json={"username": ADMIN, "password": ADMIN_PASSWORD})
    operator = bearer(token.json()["access_token"])
    store = a.post(
        "/api/stores", json={"name": "静安店", "region": "上海"}, headers=operator
    ).json()
    staff = {"username": "racer", "password": STAFF_PASSWORD, "store_id": store["id"]}
    assert a.post("/api/staff", json=staff, headers=operator).status_code == 201
    login = b.post("/api/auth/token", json={"username": "racer", "password": STAFF_PASSWORD})
    terms = {
        "name": "race",
        "kind": "scan_gift",
        "reward": {"type": "coupon", "title": "¥5", "value_fen": 500},
        "per_member_limit": 2,
    }
    campaign = a.post("/api/campaigns", json=terms, headers=operator).json()
    a.post(f"/api/campaigns/{campaign['id']}/start", headers=operator)
    application = bootstrap(Settings(database_url=postgres_url))
    application.follow("o-racer")
    follower = b.post("/api/auth/follower-token", json={"openid": "o-racer"}).json()
    claim = f"/api/me/campaigns/{campaign['id']}/claim"
    codes = [
        b.post(claim, headers=bearer(follower["access_token"])).json()["code"] for _ in range(2)
    ]
    yield {
        "servers": servers,
        "staff": bearer(login.json()["access_token"]),
        "codes": codes,
        "operator": operator,
        "application": application,
    }
    application.close()


def race(servers: list[str], path: str, headers: dict[str, str]) -> list[httpx.Response]:
    """RACERS requests at once, alternating between the two servers."""
    gate = threading.Barrier(RACERS)

    def one(index: int) -> httpx.Response:
        with httpx.Client(base_url=servers[index % 2], timeout=60) as client:
            gate.wait()
            return client.post(path, headers=headers)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def redemptions(application, code: str) -> int:
    events = application.repository.event_store.get(Coupon.id_for(code))
    return sum(isinstance(event, Coupon.Redeemed) for event in events)


def test_one_coupon_redeemed_through_both_at_once_is_redeemed_once(brand):
    code = brand["codes"][0]
    answers = race(brand["servers"], f"/api/till/coupons/{code}/redeem", brand["staff"])
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [200] + [409] * (RACERS - 1), [r.text for r in answers]
    refused = [r.json()["type"] for r in answers if r.status_code == 409]
    assert {t.rsplit("/", 1)[-1] for t in refused} == {"coupon-already-redeemed"}
    assert redemptions(brand["application"], code) == 1


def test_one_idempotency_key_through_both_gives_one_redemption_and_one_answer(brand):
    code = brand["codes"][1]
    headers = brand["staff"] | {"Idempotency-Key": "till-3-000042"}
    answers = race(brand["servers"], f"/api/till/coupons/{code}/redeem", headers)
    assert {response.status_code for response in answers} == {200}, [r.text for r in answers]
    assert len({response.text for response in answers}) == 1
    assert redemptions(brand["application"], code) == 1


def test_a_token_revoked_through_one_is_refused_by_the_other(brand):
    a, b = brand["servers"]
    assert httpx.get(f"{b}/api/stores", headers=brand["operator"]).status_code == 200
    assert httpx.post(f"{a}/api/auth/logout", headers=brand["operator"]).status_code == 204
    assert httpx.get(f"{b}/api/stores", headers=brand["operator"]).status_code == 401
