"""CSV export of members and coupons, and CSV import of existing members with a report."""

import csv
import io

import pytest

from domain.member import MemberNotFound
from tests.api.conftest import api_settings, assert_problem


@pytest.fixture
def settings(database_url, tmp_path):
    return api_settings(database_url, tmp_path, embedded_worker=True)


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


def test_members_and_coupons_export_as_csv(client, app, operator, follower, coupon):
    head = {"Lianjie-After": str(app.recorder.max_notification_id())}
    members = read_csv(client.get("/api/exports/members.csv", headers=operator | head))
    assert [(m["openid"], m["following"]) for m in members] == [("o-alice", "1")]
    coupons = read_csv(client.get("/api/exports/coupons.csv", headers=operator | head))
    assert [(c["code"], c["member_id"]) for c in coupons] == [(coupon, str(follower.member_id))]


def test_an_import_takes_the_good_rows_whole_and_reports_the_broken_ones(client, app, operator):
    body = (
        "openid,region,phone,tags\n"
        "o-old-1,合肥,13800138000,老顾客|咖啡\n"
        ",合肥,,\n"
        "o-old-2,,12345,\n"
        "o-old-3,河北,not-a-phone,老顾客\n"
        "o-old-4,,,新顾客\n"
    )
    headers = operator | {"Content-Type": "text/csv"}
    report = client.post("/api/imports/members", content=body.encode(), headers=headers)
    assert report.status_code == 200, report.text
    assert report.json()["imported"] == 2
    assert [(r["line"], r["reason"]) for r in report.json()["rejected"]] == [
        (3, "invalid-input"),
        (4, "invalid-input"),
        (5, "invalid-profile"),
    ]
    first = app.find_member("o-old-1")
    assert (first.region, first.phone, first.tags) == ("合肥", "13800138000", ["老顾客", "咖啡"])
    assert app.find_member("o-old-4").tags == ["新顾客"]
    with pytest.raises(MemberNotFound):
        app.find_member("o-old-3")  # refused whole: no member without its profile


def test_only_operators_export(client, staff):
    assert_problem(client.get("/api/exports/members.csv", headers=staff), 403, "forbidden")
