from datetime import timedelta
from uuid import uuid4

from domain.coupon import (
    Coupon,
    CouponAlreadyRedeemed,
    CouponExpired,
    CouponNotYetValid,
    CouponVoided,
    NotValidAtStore,
    RedemptionNotReversible,
)
from tests.domain.gwt import NOW, given, then, then_error, when

STORE, OTHER_STORE, STAFF = uuid4(), uuid4(), uuid4()
GRACE = timedelta(minutes=10)


def issued(store_ids=None, days=30):
    return (
        Coupon.Issued,
        {
            "code": "ABCDEFGHJKMNPQR0",
            "campaign_id": uuid4(),
            "member_id": uuid4(),
            "title": "¥3 off",
            "value_fen": 300,
            "valid_from": NOW - timedelta(days=1),
            "valid_until": NOW + timedelta(days=days),
            "store_ids": store_ids,
        },
    )


def redeemed(at=NOW, store_id=STORE):
    return (Coupon.Redeemed, {"store_id": store_id, "staff_id": STAFF, "order_ref": "A1", "at": at})


def test_issue_derives_the_id_from_the_code():
    events = when(
        None,
        lambda _: Coupon.issue(
            "ABCDEFGHJKMNPQR0", uuid4(), uuid4(), "¥3 off", 300, (NOW, NOW + GRACE), None
        ),
    )
    then(events, (Coupon.Issued, {"code": "ABCDEFGHJKMNPQR0", "value_fen": 300}))
    assert events[0].originator_id == Coupon.id_for("ABCDEFGHJKMNPQR0")


def test_an_issued_coupon_is_redeemed_at_an_eligible_store():
    coupon = given(Coupon, issued(store_ids=[STORE]))
    events = when(coupon, lambda c: c.redeem(STORE, STAFF, "A1", NOW))
    then(events, (Coupon.Redeemed, {"store_id": STORE, "staff_id": STAFF, "order_ref": "A1"}))
    assert coupon.status(NOW) == "redeemed"


def test_a_coupon_is_redeemed_at_most_once():
    coupon = given(Coupon, issued(), redeemed())
    then_error(coupon, lambda c: c.redeem(STORE, STAFF, "A2", NOW), CouponAlreadyRedeemed)


def test_an_expired_coupon_is_refused():
    coupon = given(Coupon, issued(days=1))
    later = NOW + timedelta(days=2)
    then_error(coupon, lambda c: c.redeem(STORE, STAFF, None, later), CouponExpired)
    assert coupon.status(later) == "expired"


def test_a_coupon_before_its_window_is_refused():
    coupon = given(Coupon, issued())
    then_error(
        coupon, lambda c: c.redeem(STORE, STAFF, None, NOW - timedelta(days=3)), CouponNotYetValid
    )


def test_a_coupon_for_other_stores_is_refused_here():
    coupon = given(Coupon, issued(store_ids=[OTHER_STORE]))
    then_error(coupon, lambda c: c.redeem(STORE, STAFF, None, NOW), NotValidAtStore)


def test_a_redemption_is_reversed_within_the_grace_period():
    coupon = given(Coupon, issued(), redeemed())
    events = when(
        coupon, lambda c: c.reverse_redemption(STORE, STAFF, NOW + timedelta(minutes=9), GRACE)
    )
    then(events, (Coupon.RedemptionReversed, {"by_staff_id": STAFF}))
    assert coupon.status(NOW) == "issued"


def test_a_reversed_coupon_can_be_redeemed_once_more():
    coupon = given(
        Coupon, issued(), redeemed(), (Coupon.RedemptionReversed, {"by_staff_id": STAFF, "at": NOW})
    )
    then(when(coupon, lambda c: c.redeem(STORE, STAFF, "A3", NOW)), (Coupon.Redeemed, {}))


def test_no_reversal_after_the_grace_period():
    coupon = given(Coupon, issued(), redeemed())
    late = NOW + timedelta(minutes=11)
    then_error(
        coupon, lambda c: c.reverse_redemption(STORE, STAFF, late, GRACE), RedemptionNotReversible
    )


def test_only_the_redeeming_store_reverses():
    coupon = given(Coupon, issued(), redeemed())
    then_error(
        coupon,
        lambda c: c.reverse_redemption(OTHER_STORE, STAFF, NOW, GRACE),
        RedemptionNotReversible,
    )


def test_nothing_to_reverse_on_an_unredeemed_coupon():
    coupon = given(Coupon, issued())
    then_error(
        coupon, lambda c: c.reverse_redemption(STORE, STAFF, NOW, GRACE), RedemptionNotReversible
    )


def test_a_voided_coupon_cannot_be_redeemed():
    coupon = given(Coupon, issued(), (Coupon.Voided, {"reason": "mistake"}))
    then_error(coupon, lambda c: c.redeem(STORE, STAFF, None, NOW), CouponVoided)
    assert coupon.status(NOW) == "voided"


def test_a_redeemed_coupon_cannot_be_voided():
    coupon = given(Coupon, issued(), redeemed())
    then_error(coupon, lambda c: c.void("late"), CouponAlreadyRedeemed)


def test_void_an_issued_coupon():
    coupon = given(Coupon, issued())
    then(
        when(coupon, lambda c: c.void("printed by mistake")),
        (Coupon.Voided, {"reason": "printed by mistake"}),
    )
