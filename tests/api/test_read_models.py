"""Wallet, leaderboard and the till's member scan, read from the read models.

The API runs the projection worker on a thread here (LIANJIE_EMBEDDED_WORKER); each
write answers with Lianjie-Position and reads sent with Lianjie-After wait for it.
"""

import pytest

from tests.api.conftest import api_settings, assert_problem, follow


@pytest.fixture
def settings(database_url, tmp_path):
    return api_settings(database_url, tmp_path, embedded_worker=True)


def after(response) -> dict[str, str]:
    return {"Lianjie-After": response.headers["Lianjie-Position"]}


def test_a_claimed_coupon_is_in_the_wallet_when_read_after_the_claim(client, follower, campaign):
    claimed = client.post(f"/api/me/campaigns/{campaign['id']}/claim", headers=follower.headers)
    assert int(claimed.headers["Lianjie-Position"]) > 0
    seen = client.get("/api/me/wallet", headers=follower.headers | after(claimed))
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["member_id"] == str(follower.member_id)
    assert [(c["code"], c["status"]) for c in body["coupons"]] == [
        (claimed.json()["code"], "issued")
    ]
    assert body["card"]["payload"].startswith("M1.") and body["points"] == 0
    assert (body["referrals"], body["rank"]) == (0, None)


def test_a_redeemed_coupon_shows_as_redeemed_and_leaves_the_till_list(
    client, app, follower, staff, coupon
):
    card = client.get("/api/me/card", headers=follower.headers).json()["payload"]
    head = {"Lianjie-After": str(app.recorder.max_notification_id())}
    scan = client.post("/api/till/scan", json={"code": card}, headers=staff | head)
    assert [c["code"] for c in scan.json()["member"]["coupons"]] == [coupon]
    redeemed = client.post(f"/api/till/coupons/{coupon}/redeem", headers=staff)
    rescan = client.post("/api/till/scan", json={"code": card}, headers=staff | after(redeemed))
    assert rescan.json()["member"]["coupons"] == []
    wallet = client.get("/api/me/wallet", headers=follower.headers | after(redeemed)).json()
    assert [c["status"] for c in wallet["coupons"]] == ["redeemed"]


def test_the_referral_leaderboard_ranks_as_the_data_says(client, app, operator, follower):
    bob = follow(client, app, "o-bob")
    for index, referrer in enumerate([follower, bob, bob]):
        share = client.post("/api/me/shares", json={}, headers=referrer.headers).json()
        app.follow(f"o-friend-{index}", share["scene"])
    position = {"Lianjie-After": str(app.last_position())}
    board = client.get("/api/leaderboards/referrals?limit=5", headers=operator | position)
    assert board.status_code == 200, board.text
    assert board.json()["entries"] == [
        {"rank": 1, "member_id": str(bob.member_id), "referrals": 2},
        {"rank": 2, "member_id": str(follower.member_id), "referrals": 1},
    ]
    mine = client.get("/api/me/wallet", headers=bob.headers | position).json()
    assert (mine["referrals"], mine["rank"]) == (2, 1)


def test_leaderboard_filters_are_checked(client, operator, store):
    response = client.get("/api/leaderboards/referrals?period=day", headers=operator)
    assert_problem(response, 422, "invalid-input")
    by_store = client.get(
        f"/api/leaderboards/referrals?store_id={store['id']}&period=month&period_key=2026-11",
        headers=operator,
    )
    assert by_store.status_code == 200 and by_store.json() == {"entries": []}


def test_followers_cannot_read_the_leaderboard(client, follower):
    response = client.get("/api/leaderboards/referrals", headers=follower.headers)
    assert_problem(response, 403, "forbidden")


def test_the_wallet_shows_the_card_activated_when_read_after_activating(client, app, follower):
    followed = {"Lianjie-After": str(app.last_position())}
    before = client.get("/api/me/wallet", headers=follower.headers | followed).json()
    assert before["card_activated_at"] is None
    activated = client.post("/api/me/card/activate", headers=follower.headers)
    seen = client.get("/api/me/wallet", headers=follower.headers | after(activated)).json()
    assert seen["card_activated_at"] == activated.json()["activated_at"]
