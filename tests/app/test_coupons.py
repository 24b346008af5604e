from uuid import uuid4

import pytest

from domain.campaign import CampaignTerms, Reward
from domain.codes import display_coupon_code
from domain.coupon import (
    CouponAlreadyRedeemed,
    CouponExpired,
    CouponNotFound,
    NotValidAtStore,
    RedemptionNotReversible,
)


@pytest.fixture
def store(app):
    return app.open_store("徐汇店", "上海")


@pytest.fixture
def coupon(app, store):
    member = app.follow("o-alice", f"store:{store.id}")
    campaign = app.create_campaign(
        CampaignTerms("满30减3", "scan_gift", Reward("coupon", "¥3 off", 300), coupon_valid_days=7)
    )
    app.start_campaign(campaign.id)
    return app.claim(campaign.id, member.member_id)


def test_a_claimed_coupon_is_redeemed_once(app, store, coupon):
    staff = uuid4()
    redemption = app.redeem_coupon(coupon.code, store.id, staff, "ORDER-1")
    assert redemption.status == "redeemed" and redemption.store_id == store.id
    with pytest.raises(CouponAlreadyRedeemed):
        app.redeem_coupon(coupon.code, store.id, staff, "ORDER-2")
    assert app.get_coupon(coupon.code).status == "redeemed"


def test_a_repeated_idempotency_key_returns_the_first_answer(app, store, coupon, clock):
    first = app.redeem_coupon(coupon.code, store.id, idempotency_key="k-1")
    clock.advance(seconds=5)
    again = app.redeem_coupon(coupon.code, store.id, idempotency_key="k-1")
    assert again == first


def test_codes_are_accepted_as_printed_and_in_lowercase(app, store, coupon):
    printed = display_coupon_code(coupon.code).lower()
    assert app.get_coupon(printed).code == coupon.code


def test_unknown_and_malformed_codes_are_not_found(app, store):
    with pytest.raises(CouponNotFound):
        app.redeem_coupon("0000-0000-0000-0000", store.id)
    with pytest.raises(CouponNotFound):
        app.redeem_coupon("hello", store.id)


def test_an_expired_coupon_is_refused(app, store, coupon, clock):
    clock.advance(days=8)
    with pytest.raises(CouponExpired):
        app.redeem_coupon(coupon.code, store.id)
    check = app.check_coupon(coupon.code, store.id)
    assert (check.redeemable, check.reason, check.coupon.status) == (
        False,
        "coupon-expired",
        "expired",
    )


def test_a_coupon_limited_to_one_store_is_refused_elsewhere(app):
    here, there = app.open_store("A", "合肥"), app.open_store("B", "合肥")
    member = app.follow("o-bob")
    campaign = app.create_campaign(
        CampaignTerms("only B", "scan_gift", Reward("coupon", "gift", 0), store_ids=[there.id])
    )
    app.start_campaign(campaign.id)
    code = app.claim(campaign.id, member.member_id).code
    with pytest.raises(NotValidAtStore):
        app.redeem_coupon(code, here.id)
    assert app.redeem_coupon(code, there.id).status == "redeemed"


def test_a_redemption_is_undone_within_grace_and_not_after(app, store, coupon, clock):
    app.redeem_coupon(coupon.code, store.id)
    clock.advance(minutes=5)
    assert app.reverse_redemption(coupon.code, store.id).status == "issued"
    app.redeem_coupon(coupon.code, store.id)
    clock.advance(minutes=11)
    with pytest.raises(RedemptionNotReversible):
        app.reverse_redemption(coupon.code, store.id)
