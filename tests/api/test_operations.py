"""Rate limits, health, readiness, metrics, the demo card secret and problem mapping."""

import stat

from fastapi.testclient import TestClient

from domain.errors import DomainError, InvalidInput, NotFound
from services.api.app import create_app
from services.api.cards import card_secret
from services.api.errors import status_for
from services.api.ratelimit import Limit, RateLimited, RateLimiter
from services.bootstrap import bootstrap
from tests.api.conftest import (
    STAFF_PASSWORD,
    api_settings,
    assert_problem,
    bearer,
    hire,
    login,
    open_store,
)


def limited_client(database_url, tmp_path, app, **limits) -> TestClient:
    values = {"rate_limits": True, "rate_limit_per_minute": 1, "rate_limit_burst": 3} | limits
    return TestClient(create_app(api_settings(database_url, tmp_path, **values), application=app))


def staff_token(app, store_id, username: str) -> dict[str, str]:
    """A staff login made through the application, so no HTTP login spends the budget."""
    app.register_staff(username, STAFF_PASSWORD, store_id)
    return bearer(app.login(username, STAFF_PASSWORD).access_token)


def test_till_lookups_are_rate_limited_per_token(database_url, tmp_path, app):
    client = limited_client(database_url, tmp_path, app)
    operator = login(client, "admin", "admin-password")
    store = open_store(client, operator)
    staff = hire(client, operator, store["id"], "clerk-1")
    other = hire(client, operator, store["id"], "clerk-2")
    for _ in range(3):
        response = client.post("/api/till/scan", json={"code": "nope"}, headers=staff)
        assert response.status_code == 404
    refused = client.post("/api/till/coupons/nope/redeem", headers=staff)
    assert_problem(refused, 429, "rate-limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert client.post("/api/till/scan", json={"code": "x"}, headers=other).status_code == 404


def test_till_lookups_are_rate_limited_per_address(database_url, tmp_path, app):
    limits = {"rate_limit_burst": 100, "rate_limit_ip_burst": 2, "rate_limit_ip_per_minute": 1}
    client = limited_client(database_url, tmp_path, app, **limits)
    store = app.open_store("徐汇店", "上海")
    first, second = (staff_token(app, store.id, name) for name in ("clerk-1", "clerk-2"))
    assert client.post("/api/till/scan", json={"code": "a"}, headers=first).status_code == 404
    assert client.post("/api/till/scan", json={"code": "b"}, headers=second).status_code == 404
    refused = client.post("/api/till/scan", json={"code": "c"}, headers=second)
    assert_problem(refused, 429, "rate-limited")


def test_logins_are_rate_limited_per_address(database_url, tmp_path, app):
    client = limited_client(
        database_url, tmp_path, app, rate_limit_ip_burst=3, rate_limit_ip_per_minute=1
    )
    for _ in range(3):
        wrong = client.post("/api/auth/token", json={"username": "admin", "password": "guess"})
        assert wrong.status_code == 401
    refused = client.post("/api/auth/token", json={"username": "admin", "password": "guess"})
    assert_problem(refused, 429, "rate-limited")


def test_rate_limits_off_means_off():
    limiter = RateLimiter(Limit(1, 1), Limit(1, 1), enabled=False)
    for _ in range(100):
        limiter.hit("till", token="t", address="a")


def test_a_bucket_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(Limit(60, 2), Limit(600, 100), monotonic=lambda: now[0])
    limiter.hit("till", token="t")
    limiter.hit("till", token="t")
    try:
        limiter.hit("till", token="t")
    except RateLimited as refused:
        assert refused.headers == {"Retry-After": "1"}
    else:
        raise AssertionError("the third request within a second should be refused")
    now[0] += 1.0
    limiter.hit("till", token="t")


def test_health_readiness_and_metrics(client, staff, coupon):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").status_code == 200
    client.post(f"/api/till/coupons/{coupon}/redeem", headers=staff)
    client.post(f"/api/till/coupons/{coupon}/redeem", headers=staff)
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'lianjie_redemptions_total{outcome="redeemed"} 1.0' in text
    assert 'lianjie_redemptions_total{outcome="coupon-already-redeemed"} 1.0' in text
    assert 'lianjie_claims_total{outcome="issued"} 1.0' in text
    route = 'route="/api/till/coupons/{code}/redeem"'
    assert f'lianjie_http_requests_total{{method="POST",{route},status="409"}} 1.0' in text
    assert "lianjie_http_request_duration_seconds_bucket" in text


def test_healthz_is_503_when_the_store_is_unreachable(settings, clock):
    application = bootstrap(settings, clock)
    client = TestClient(create_app(settings, application=application))
    application.close()
    response = client.get("/healthz")
    assert (response.status_code, response.json()["status"]) == (503, "unavailable")
    assert client.get("/readyz").status_code == 503


def test_without_a_card_secret_one_is_made_and_kept_under_var(tmp_path):
    settings = api_settings("sqlite:///:memory:", tmp_path, card_secret=None)
    first, second = card_secret(settings), card_secret(settings)
    assert first == second and len(first) == 64
    path = tmp_path / "var" / "card-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]


def test_error_families_map_to_statuses():
    class Gone(NotFound):
        slug = "gone"

    class Odd(InvalidInput):
        slug = "odd"

    class Clash(DomainError):
        slug = "clash"

    assert [status_for(e()) for e in (Gone, Odd, Clash)] == [404, 422, 409]


def test_the_openapi_document_declares_bearer_auth_and_problem_errors(client):
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    redeem = document["paths"]["/api/till/coupons/{code}/redeem"]["post"]
    headers = [p["name"] for p in redeem["parameters"] if p["in"] == "header"]
    assert headers == ["Idempotency-Key"]
    for status in ("404", "409", "422", "429"):
        content = redeem["responses"][status]["content"]
        assert list(content) == ["application/problem+json"]
