"""POST /api/members/{id}/erase: operators only; the CSV export then reads "erased"."""

import csv
import io

import pytest

from domain.personal import ERASED
from tests.api.conftest import api_settings, assert_problem


@pytest.fixture
def settings(database_url, tmp_path):
    return api_settings(database_url, tmp_path, embedded_worker=True)


def exported_openids(client, operator, position: str) -> dict[str, str]:
    response = client.get(
        "/api/exports/members.csv", headers=operator | {"Lianjie-After": position}
    )
    assert response.status_code == 200, response.text
    rows = csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
    return {row["member_id"]: row["openid"] for row in rows}


def test_an_operator_erases_a_member_and_the_export_shows_it(client, app, operator, follower):
    app.complete_profile(follower.member_id, "上海", "13900139000")
    bob = app.follow("o-bob").member_id

    erased = client.post(f"/api/members/{follower.member_id}/erase", headers=operator)

    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert (body["id"], body["openid"], body["phone"]) == (str(follower.member_id), ERASED, None)
    position = erased.headers["Lianjie-Position"]
    assert exported_openids(client, operator, position) == {
        str(follower.member_id): ERASED,
        str(bob): "o-bob",
    }
    audit = app.repository.get(follower.member_id)
    assert audit.erased and client.get(f"/api/members/{bob}", headers=operator).status_code == 200


def test_staff_and_followers_cannot_erase(client, operator, staff, follower):
    path = f"/api/members/{follower.member_id}/erase"
    assert_problem(client.post(path, headers=staff), 403, "forbidden")
    assert_problem(client.post(path, headers=follower.headers), 403, "forbidden")
    assert client.get(f"/api/members/{follower.member_id}", headers=operator).json()["openid"] == (
        follower.openid
    )


def test_erasing_an_unknown_member_is_not_found(client, operator):
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(client.post(f"/api/members/{missing}/erase", headers=operator), 404,
                   "member-not-found")  # fmt: skip
