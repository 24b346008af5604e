"""CSV imports with broken rows or broken files: good rows are imported whole, every
broken row is reported with its line and reason, and nothing is half-written."""

import pytest

from domain.member import MemberNotFound
from services.api.routes.exports import MAX_IMPORT_BYTES
from tests.api.conftest import assert_problem

HEADER = "openid,region,phone,tags\n"


def import_csv(client, operator, body: bytes):
    headers = operator | {"Content-Type": "text/csv"}
    return client.post("/api/imports/members", content=body, headers=headers)


def reasons(report) -> list[tuple[int, str]]:
    assert report.status_code == 200, report.text
    return [(r["line"], r["reason"]) for r in report.json()["rejected"]]


def test_rows_with_more_or_fewer_fields_than_the_header_are_rejected(client, app, operator):
    body = HEADER + "o-good,合肥,,老顾客\no-extra,合肥,,老顾客,EXTRA\no-short,合肥\n"
    report = import_csv(client, operator, body.encode())
    assert reasons(report) == [(3, "wrong-column-count"), (4, "wrong-column-count")]
    assert report.json()["imported"] == 1 and app.find_member("o-good").tags == ["老顾客"]
    for openid in ("o-extra", "o-short"):
        with pytest.raises(MemberNotFound):
            app.find_member(openid)


def test_an_unclosed_quote_swallowing_the_rest_is_a_rejected_row(client, app, operator):
    body = HEADER + 'o-good,合肥,,\n"o-broken,河北,,\no-after,河北,,\n'
    report = import_csv(client, operator, body.encode())
    assert reasons(report) == [(4, "wrong-column-count")]
    assert report.json()["imported"] == 1


def test_a_file_that_is_not_utf8_is_refused_whole(client, app, operator):
    head = app.recorder.max_notification_id()
    for body in (
        (HEADER + "o-gbk,合肥,,老顾客\n").encode("gbk"),
        HEADER.encode() + b"o-x,\xff,,\n",
    ):
        assert_problem(import_csv(client, operator, body), 422, "invalid-request")
    assert app.recorder.max_notification_id() == head


def test_a_repeated_openid_is_imported_once_as_its_first_row_says(client, app, operator):
    body = HEADER + "o-twice,合肥,,老顾客\no-twice,合肥,,老顾客\no-twice,河北,,新顾客\n"
    report = import_csv(client, operator, body.encode())
    assert reasons(report) == [(3, "duplicate-row"), (4, "duplicate-row")]
    member = app.find_member("o-twice")
    assert (report.json()["imported"], member.region, member.tags) == (1, "合肥", ["老顾客"])


def test_a_broken_first_row_does_not_block_a_good_repeat(client, app, operator):
    body = HEADER + "o-fixed,,12345,\no-fixed,合肥,13800138000,\n"
    report = import_csv(client, operator, body.encode())
    assert reasons(report) == [(2, "invalid-input")]
    assert app.find_member("o-fixed").phone == "13800138000"


def test_an_oversized_file_is_refused_whole(client, app, operator):
    head = app.recorder.max_notification_id()
    row = "o-big,合肥,,老顾客\n"
    body = HEADER + row * (MAX_IMPORT_BYTES // len(row) + 1)
    assert_problem(import_csv(client, operator, body.encode()), 422, "invalid-request")
    assert app.recorder.max_notification_id() == head


def test_a_row_refused_for_an_existing_member_leaves_it_untouched(client, app, operator):
    app.follow("o-known")
    report = import_csv(client, operator, (HEADER + "o-known,河北,not-a-phone,老顾客\n").encode())
    assert reasons(report) == [(2, "invalid-profile")]
    member = app.find_member("o-known")
    assert (member.region, member.tags) == (None, [])  # not the tag without the profile
