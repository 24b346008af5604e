"""Claim-limit evasion over HTTP: follower accounts claiming from one phone (same IP and
User-Agent) are held (202), operators approve (the claim is made once) or reject (never
paid) in the claim review queue, audited. (That only operators use it, test_role_walk checks.)"""

import pytest

from domain.audit import OperatorAction
from domain.claim_review import ClaimReview
from tests.api.conftest import api_settings, assert_problem, follow, running_campaign

REVIEWS = "/api/claim-reviews"
FARM_PHONE = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50 farm"}
OWN_PHONE = {"User-Agent": "Mozilla/5.0 (Android 14) MicroMessenger/8.0.49"}


@pytest.fixture
def settings(database_url, tmp_path):
    """One phone may claim a campaign for one account; a second account is held."""
    return api_settings(database_url, tmp_path, embedded_worker=True, claim_device_members=1)


def claim(client, campaign, follower, phone):
    path = f"/api/me/campaigns/{campaign['id']}/claim"
    return client.post(path, headers=follower.headers | phone)


def up_to_date(app) -> dict:
    return {"Lianjie-After": str(app.recorder.max_notification_id())}


def the_queue(client, app, operator, status="held") -> dict:
    response = client.get(REVIEWS, params={"status": status}, headers=operator | up_to_date(app))
    assert response.status_code == 200, response.text
    return response.json()


def wallet_codes(client, app, follower) -> list[str]:
    wallet = client.get("/api/me/wallet", headers=follower.headers | up_to_date(app))
    assert wallet.status_code == 200, wallet.text
    return [coupon["code"] for coupon in wallet.json()["coupons"]]


@pytest.fixture
def held(client, app, operator):
    """The campaign, and Alice's second account claiming it from her phone: held."""
    campaign = running_campaign(client, operator, stock=10, kind="lucky_draw")
    alice, second_account = follow(client, app, "o-alice"), follow(client, app, "o-alice-2")
    assert claim(client, campaign, alice, FARM_PHONE).status_code == 201
    response = claim(client, campaign, second_account, FARM_PHONE)
    assert response.status_code == 202, response.text
    return campaign, alice, second_account, response.json()


def test_a_second_account_on_the_same_phone_is_held_and_queued(client, app, operator, held):
    campaign, alice, second_account, answer = held
    assert (answer["status"], answer["code"], answer["points"]) == ("held", None, 0)
    elsewhere = claim(client, campaign, follow(client, app, "o-bob"), OWN_PHONE)
    assert (elsewhere.status_code, elsewhere.json()["status"]) == (201, "issued")

    queue = the_queue(client, app, operator)
    (item,) = queue["items"]
    assert item["id"] == answer["review_id"]
    assert (item["member_id"], item["campaign_id"], item["other_members"]) == (
        str(second_account.member_id),
        campaign["id"],
        [str(alice.member_id)],
    )
    assert (item["status"], item["claim_id"], queue["counts"]["held"]) == ("held", None, 1)
    assert client.get(f"{REVIEWS}/{item['id']}", headers=operator).json() == item
    assert wallet_codes(client, app, second_account) == []
    assert 'lianjie_claims_total{outcome="held"} 1.0' in client.get("/metrics").text
    again = claim(client, campaign, second_account, FARM_PHONE)
    assert (again.status_code, again.json()["review_id"]) == (202, item["id"])
    assert app.count_events(ClaimReview.Held) == 1


def test_an_approval_makes_the_claim_once_and_is_audited(client, app, operator, held):
    _, _, second_account, answer = held
    review = f"{REVIEWS}/{answer['review_id']}"
    approved = client.post(f"{review}/approve", json={"note": "同一家人"}, headers=operator)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["note"]) == ("approved", "同一家人")
    assert body["claim_id"] and body["operator_id"] and body["decided_at"]
    assert_problem(
        client.post(f"{review}/approve", headers=operator), 409, "claim-review-not-pending"
    )
    assert_problem(
        client.post(f"{review}/reject", headers=operator), 409, "claim-review-not-pending"
    )

    assert len(wallet_codes(client, app, second_account)) == 1
    assert [i["id"] for i in the_queue(client, app, operator, "approved")["items"]] == [body["id"]]
    assert the_queue(client, app, operator)["items"] == []
    recorded = list(app.logged(OperatorAction.Recorded))[-1]
    assert recorded.action == "approve_claim"
    assert {"event": "ClaimReview.Approved", "id": body["id"]} in recorded.changes


def test_a_rejected_claim_is_never_paid(client, app, operator, held):
    campaign, _, second_account, answer = held
    review = f"{REVIEWS}/{answer['review_id']}"
    rejected = client.post(f"{review}/reject", json={"note": "一人多号"}, headers=operator)
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert_problem(claim(client, campaign, second_account, FARM_PHONE), 409, "claim-rejected")
    assert wallet_codes(client, app, second_account) == []
    (item,) = the_queue(client, app, operator, "rejected")["items"]
    assert (item["note"], item["operator_id"]) == ("一人多号", rejected.json()["operator_id"])


def test_an_unknown_review_is_not_found_and_a_bad_status_is_invalid(client, operator):
    unknown = client.post(
        f"{REVIEWS}/00000000-0000-0000-0000-000000000001/reject", headers=operator
    )
    assert_problem(unknown, 404, "claim-review-not-found")
    bad = client.get(REVIEWS, params={"status": "maybe"}, headers=operator)
    assert_problem(bad, 422, "invalid-request")


def test_the_held_answer_and_the_queue_are_in_the_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    claimed = paths["/api/me/campaigns/{campaign_id}/claim"]["post"]["responses"]
    for status in ("201", "202"):
        schema = claimed[status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ClaimOut")
    approve = paths[REVIEWS + "/{review_id}/approve"]["post"]["responses"]
    assert approve["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ClaimReviewOut"
    )
    assert "403" in approve and "409" in approve
