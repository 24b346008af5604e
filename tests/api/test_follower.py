"""A follower's own things: profile, claims, coupons, shares."""

from urllib.parse import parse_qs, urlsplit

from tests.api.conftest import PUBLIC_URL, assert_problem, follow, running_campaign


def claim(client, follower, campaign_id, **headers):
    return client.post(f"/api/me/campaigns/{campaign_id}/claim", headers=follower.headers | headers)


def test_a_claim_issues_a_coupon(client, follower, campaign, clock):
    response = claim(client, follower, campaign["id"])
    body = response.json()
    assert (response.status_code, body["status"], body["title"]) == (201, "issued", "¥3 代金券")
    assert len(body["code"]) == 16
    assert body["valid_until"].startswith("2026-11-18T10:00:00")  # claimed now, valid 7 days
    mine = client.get(f"/api/me/coupons/{body['code']}", headers=follower.headers).json()
    assert (mine["code"], mine["status"], mine["value_fen"]) == (body["code"], "issued", 300)


def test_a_points_reward_credits_points(client, operator, follower):
    campaign = running_campaign(client, operator, reward={"type": "points", "points": 20})
    body = claim(client, follower, campaign["id"]).json()
    assert (body["code"], body["points"], body["status"]) == (None, 20, "issued")


def test_claims_are_refused_by_the_campaign_rules(client, app, operator, follower):
    limited = running_campaign(client, operator, per_member_limit=1)
    assert claim(client, follower, limited["id"]).status_code == 201
    assert_problem(claim(client, follower, limited["id"]), 409, "claim-limit-reached")

    scarce = running_campaign(client, operator, stock=1)
    assert claim(client, follower, scarce["id"]).status_code == 201
    late = follow(client, app, "o-late")
    assert_problem(claim(client, late, scarce["id"]), 409, "campaign-out-of-stock")

    paused = running_campaign(client, operator)
    client.post(f"/api/campaigns/{paused['id']}/pause", headers=operator)
    assert_problem(claim(client, follower, paused["id"]), 409, "campaign-not-running")
    missing = claim(client, follower, "00000000-0000-4000-8000-000000000000")
    assert_problem(missing, 404, "campaign-not-found")


def test_a_retried_claim_with_its_idempotency_key_returns_the_same_coupon(
    client, follower, campaign
):
    first = claim(client, follower, campaign["id"], **{"Idempotency-Key": "tap-1"})
    again = claim(client, follower, campaign["id"], **{"Idempotency-Key": "tap-1"})
    other = claim(client, follower, campaign["id"], **{"Idempotency-Key": "tap-2"})
    assert first.json() == again.json()
    assert other.json()["code"] != first.json()["code"]


def test_followers_see_only_their_own_coupons(client, app, follower, coupon):
    bob = follow(client, app, "o-bob")
    assert_problem(client.get(f"/api/me/coupons/{coupon}", headers=bob.headers), 403, "forbidden")
    png = client.get(f"/api/me/coupons/{coupon}.png", headers=bob.headers)
    assert_problem(png, 403, "forbidden")
    unknown = client.get("/api/me/coupons/0000-0000-0000-0000", headers=bob.headers)
    assert_problem(unknown, 404, "coupon-not-found")
    me = client.get("/api/me", headers=bob.headers).json()
    assert (me["id"], me["openid"]) == (str(bob.member_id), "o-bob")


def test_a_share_link_attributes_new_followers_to_the_sharer(client, app, follower, campaign):
    response = client.post(
        "/api/me/shares", json={"campaign_id": campaign["id"]}, headers=follower.headers
    )
    share = response.json()
    assert response.status_code == 201
    assert share["url"] == f"{PUBLIC_URL}/follow?scene=ref:{share['token']}"
    scene = parse_qs(urlsplit(share["url"]).query)["scene"][0]
    assert scene == share["scene"] == f"ref:{share['token']}"
    friend = app.follow("o-friend", scene)  # WeChat reports the scene with the follow
    assert friend.referrer_id == follower.member_id
    page = client.get("/follow", params={"scene": scene})
    assert page.status_code == 200 and "关注" in page.text
    assert_problem(client.get("/follow", params={"scene": "nonsense"}), 422, "unknown-scene")


def test_a_share_without_a_campaign(client, follower):
    response = client.post("/api/me/shares", json={}, headers=follower.headers)
    assert response.status_code == 201 and response.json()["token"]
    wrong = client.post("/api/me/shares", json={"campaign_id": "soon"}, headers=follower.headers)
    assert_problem(wrong, 422, "invalid-request")


def test_a_follower_activates_their_member_card_once(client, app, follower, clock):
    first = client.post("/api/me/card/activate", headers=follower.headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"activated_at": "2026-11-11T10:00:00Z"}
    clock.advance(minutes=5)
    again = client.post("/api/me/card/activate", headers=follower.headers)
    assert (again.status_code, again.json()) == (200, first.json())

    app.unfollow(follower.openid)
    gone = client.post("/api/me/card/activate", headers=follower.headers)
    assert_problem(gone, 409, "not-following")
