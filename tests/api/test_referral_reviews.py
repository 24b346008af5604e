"""The referral review queue over HTTP: device signals from the follow link, the queue,
approve (paid once) and reject (never paid), and who may use it."""

import pytest

from services.worker import Worker
from tests.api.conftest import assert_problem

REVIEWS = "/api/referral-reviews"
FARM_PHONE = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50 farm"}


def settle(app) -> None:
    """Policies judge and pay, then the views catch up (twice: judgements are events)."""
    worker = Worker(app)
    worker.run_once()
    worker.run_once()


def share_link(client, follower, headers=None) -> dict:
    response = client.post("/api/me/shares", json={}, headers=follower.headers | (headers or {}))
    assert response.status_code == 201, response.text
    return response.json()


def open_link(client, share, times=1) -> None:
    for _ in range(times):
        page = client.get("/follow", params={"scene": share["scene"]}, headers=FARM_PHONE)
        assert page.status_code == 200, page.text


def board(client, operator) -> list:
    return client.get("/api/leaderboards/referrals", headers=operator).json()["entries"]


def counted(client, operator, follower) -> tuple[int, int]:
    """The follower's referrals in their wallet, and the spreading part of their score."""
    mine = client.get("/api/me/wallet", headers=follower.headers).json()["referrals"]
    ranking = client.get("/api/leaderboards/contribution?limit=200", headers=operator).json()
    (spreading,) = [
        e["spreading"] for e in ranking["entries"] if e["member_id"] == str(follower.member_id)
    ]
    return mine, spreading


def the_queue(client, operator, status="flagged") -> dict:
    response = client.get(REVIEWS, params={"status": status}, headers=operator)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_sharers_own_phone_opening_the_link_holds_the_follow_until_approved(
    client, app, operator, follower
):
    share = share_link(client, follower, FARM_PHONE)
    open_link(client, share)
    second_account = app.follow("o-alice-2", share["scene"]).member_id
    settle(app)

    queue = the_queue(client, operator)
    (held,) = queue["items"]
    assert (held["member_id"], held["referrer_id"]) == (
        str(second_account),
        str(follower.member_id),
    )
    assert (held["status"], held["reasons"], queue["counts"]["flagged"]) == (
        "flagged",
        ["owner-device"],
        1,
    )
    assert app.get_points(follower.member_id).balance == 0
    assert board(client, operator) == []  # held referrals are off the board
    assert counted(client, operator, follower) == (0, 2 + 1)  # a share and an opening

    approved = client.post(
        f"{REVIEWS}/{held['id']}/approve", json={"note": "本人确认"}, headers=operator
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["note"]) == ("approved", "本人确认")
    again = client.post(f"{REVIEWS}/{held['id']}/approve", headers=operator)
    assert_problem(again, 409, "referral-review-not-pending")
    settle(app)
    settle(app)
    assert app.get_points(follower.member_id).balance == 50
    assert [e["referrals"] for e in board(client, operator)] == [1]
    assert counted(client, operator, follower) == (1, 2 + 1 + 10)
    assert [r["id"] for r in the_queue(client, operator, "approved")["items"]] == [held["id"]]


def test_one_device_opening_a_link_again_and_again_is_held_and_a_rejection_pays_nothing(
    client, app, operator, follower
):
    share = share_link(client, follower)  # shared from another device
    open_link(client, share, times=3)
    app.follow("o-sock-puppet", share["scene"])
    settle(app)
    (held,) = the_queue(client, operator)["items"]
    assert held["reasons"] == ["one-device"]

    rejected = client.post(
        f"{REVIEWS}/{held['id']}/reject", json={"note": "同一设备"}, headers=operator
    )
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert rejected.json()["operator_id"] and rejected.json()["decided_at"]
    settle(app)
    assert app.get_points(follower.member_id).balance == 0
    assert board(client, operator) == []
    assert counted(client, operator, follower) == (0, 2 + 3)  # a share and three openings
    assert the_queue(client, operator)["items"] == []
    assert the_queue(client, operator, "rejected")["items"][0]["note"] == "同一设备"


def test_refused_referrals_are_visible_in_the_queue(client, app, operator, follower):
    share = share_link(client, follower)
    app.unfollow(follower.openid)
    app.follow(follower.openid, share["scene"])
    settle(app)
    (refused,) = the_queue(client, operator, "refused")["items"]
    assert (refused["member_id"], refused["reasons"]) == (
        str(follower.member_id),
        ["self-referral"],
    )
    by_id = client.get(f"{REVIEWS}/{refused['id']}", headers=operator)
    assert by_id.json() == refused
    decided = client.post(f"{REVIEWS}/{refused['id']}/approve", headers=operator)
    assert_problem(decided, 409, "referral-review-not-pending")


@pytest.mark.parametrize("who", ["staff", "follower"])
def test_only_operators_use_the_queue(client, staff, follower, who):
    headers = staff if who == "staff" else follower.headers
    some_id = "00000000-0000-0000-0000-000000000001"
    assert_problem(client.get(REVIEWS, headers=headers), 403, "forbidden")
    assert_problem(client.get(f"{REVIEWS}/{some_id}", headers=headers), 403, "forbidden")
    for action in ("approve", "reject"):
        assert_problem(
            client.post(f"{REVIEWS}/{some_id}/{action}", headers=headers), 403, "forbidden"
        )
    assert_problem(client.get(REVIEWS), 401, "not-authenticated")


def test_an_unknown_review_is_not_found_and_a_bad_status_is_invalid(client, operator):
    unknown = client.post(
        f"{REVIEWS}/00000000-0000-0000-0000-000000000001/approve", headers=operator
    )
    assert_problem(unknown, 404, "referral-review-not-found")
    assert_problem(
        client.get(REVIEWS, params={"status": "maybe"}, headers=operator), 422, "invalid-request"
    )


def test_the_queue_is_in_the_openapi_with_its_response_models(client):
    paths = client.get("/openapi.json").json()["paths"]
    listing = paths[REVIEWS]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listing["$ref"].endswith("/ReviewList")
    approve = paths[REVIEWS + "/{review_id}/approve"]["post"]["responses"]
    assert approve["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReviewOut")
    assert "403" in approve and "409" in approve
