"""Guessing coupon codes or member codes is rate limited per token and per client IP, on
every endpoint that answers whether a code exists."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.api.app import create_app
from tests.api.conftest import STAFF_PASSWORD, api_settings, bearer

MISS = 404  # unknown code (a follower asking for another's coupon would get 403)
COUPON_GUESS = "ABCD-EFGH-JKMN-PQRS"
MEMBER_GUESS = "M1.AAAAAAAAAAAAAAAAAAAAAAAAAA.29000000.ABCDEFGHIJKLMNOP"
LOOKUPS = {
    "till scan, coupon code": ("staff", "POST", "/api/till/scan", {"code": COUPON_GUESS}),
    "till scan, member code": ("staff", "POST", "/api/till/scan", {"code": MEMBER_GUESS}),
    "till identify, member code": (
        "staff",
        "POST",
        "/api/till/members/identify",
        {"code": MEMBER_GUESS},
    ),
    "till coupon details": ("staff", "GET", f"/api/till/coupons/{COUPON_GUESS}", None),
    "till redeem": ("staff", "POST", f"/api/till/coupons/{COUPON_GUESS}/redeem", None),
    "follower coupon": ("follower", "GET", f"/api/me/coupons/{COUPON_GUESS}", None),
    "follower coupon QR": ("follower", "GET", f"/api/me/coupons/{COUPON_GUESS}.png", None),
}


def tokens(app, role: str, n: int) -> list[dict[str, str]]:
    """Two fresh tokens of the role, made through the application (no HTTP call spent)."""
    names = [f"{role}-{n}-{i}" for i in (1, 2)]
    if role == "follower":
        for openid in names:
            app.follow(openid)
        return [bearer(app.follower_login(openid).access_token) for openid in names]
    store = app.open_store("徐汇店", "上海")
    for name in names:
        app.register_staff(name, STAFF_PASSWORD, store.id)
    return [bearer(app.login(name, STAFF_PASSWORD).access_token) for name in names]


def limited_api(database_url, tmp_path, app, **limits):
    values = {"rate_limits": True, "rate_limit_per_minute": 1, "rate_limit_ip_per_minute": 1}
    return create_app(api_settings(database_url, tmp_path, **(values | limits)), application=app)


def guess(api, lookup: str, token: dict[str, str], address: str) -> int:
    _, method, path, body = LOOKUPS[lookup]
    client = TestClient(api, client=(address, 40000))
    return client.request(method, path, json=body, headers=token).status_code


def test_guesses_are_limited_per_token_and_per_address(database_url, tmp_path, app):
    by_token = limited_api(database_url, tmp_path, app, rate_limit_burst=2, rate_limit_ip_burst=99)
    by_address = limited_api(
        database_url, tmp_path, app, rate_limit_burst=99, rate_limit_ip_burst=2
    )
    for n, lookup in enumerate(LOOKUPS):
        first, second = tokens(app, LOOKUPS[lookup][0], n)
        here, elsewhere = f"203.0.113.{n}", f"198.51.100.{n}"

        guesses = [guess(by_token, lookup, first, here) for _ in range(3)]
        assert guesses == [MISS, MISS, 429], lookup
        assert guess(by_token, lookup, second, here) == MISS, lookup  # another token goes on

        guesses = [guess(by_address, lookup, token, here) for token in (first, second, second)]
        assert guesses == [MISS, MISS, 429], lookup  # a fresh token does not help
        assert guess(by_address, lookup, second, elsewhere) == MISS, lookup
