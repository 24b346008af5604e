from datetime import timedelta

import pytest

from domain.errors import InvalidInput
from domain.qr_quota import QrQuota, QrQuotaExhausted
from domain.qrcode import QrCode, QrStillValid, check_lifetime
from tests.domain.gwt import NOW, given, then, then_error, when

SCENE = "campaign:8a7e8d1c-0d0e-4d5b-9a43-6a1f2f0f7c11"
EXPIRES = NOW + timedelta(days=30)


def issued(permanent=False):
    return (
        QrCode.Issued,
        {
            "scene": SCENE,
            "permanent": permanent,
            "ticket": "t1",
            "url": "http://weixin.qq.com/q/1",
            "expires_at": None if permanent else EXPIRES,
            "at": NOW,
        },
    )


def test_issue_derives_the_id_from_the_scene():
    events = when(None, lambda _: QrCode.issue(SCENE, False, "t1", "u", EXPIRES, NOW))
    then(events, (QrCode.Issued, {"scene": SCENE, "expires_at": EXPIRES}))
    assert events[0].originator_id == QrCode.id_for(SCENE)


def test_a_temporary_code_serves_until_a_day_before_it_expires():
    code = given(QrCode, issued())
    assert code.serves(False, NOW + timedelta(days=28))
    assert not code.serves(False, NOW + timedelta(days=29, minutes=1))
    assert not code.serves(True, NOW)  # a permanent one was asked for


def test_a_permanent_code_serves_for_ever_and_every_request():
    code = given(QrCode, issued(permanent=True))
    assert code.serves(False, NOW + timedelta(days=3650)) and code.serves(True, NOW)


def test_an_expiring_code_is_reissued_but_a_valid_one_is_not():
    code = given(QrCode, issued())
    then_error(code, lambda c: c.reissue(False, "t2", "u2", EXPIRES, NOW), QrStillValid)
    late = NOW + timedelta(days=29, hours=12)
    then(
        when(code, lambda c: c.reissue(False, "t2", "u2", late + timedelta(days=30), late)),
        (QrCode.Reissued, {"ticket": "t2"}),
    )


def test_temporary_lifetimes_are_one_minute_to_thirty_days():
    assert check_lifetime(timedelta(days=30)) == timedelta(days=30)
    for bad in (timedelta(seconds=30), timedelta(days=31)):
        with pytest.raises(InvalidInput):
            check_lifetime(bad)


def test_the_permanent_quota_counts_codes_and_stops_at_the_limit():
    quota = given(QrQuota, (QrQuota.Opened, {}), (QrQuota.Used, {"scene": "store:a"}))
    then(when(quota, lambda q: q.use("store:b", limit=2)), (QrQuota.Used, {"scene": "store:b"}))
    then_error(quota, lambda q: q.use("store:c", limit=2), QrQuotaExhausted)


def test_a_short_lived_code_is_renewed_in_its_last_quarter():
    expires = NOW + timedelta(hours=4)
    code = given(QrCode, (issued()[0], {**issued()[1], "expires_at": expires}))
    assert code.serves(False, NOW + timedelta(hours=2, minutes=59))
    assert not code.serves(False, NOW + timedelta(hours=3, minutes=1))
