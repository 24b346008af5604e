from datetime import timedelta
from uuid import uuid4

from domain.campaign import CampaignTerms, Reward
from projections.redemption import check_redemption
from projections.wallet import wallet


def setup_brand(app):
    store = app.open_store("A", "合肥")
    other = app.open_store("B", "合肥")
    coupons = app.start_campaign(
        app.create_campaign(
            CampaignTerms("c", "scan_gift", Reward("coupon", "¥3", 300), per_member_limit=3,
                          store_ids=[store.id], coupon_valid_days=7)
        ).id
    )  # fmt: skip
    return store, other, coupons


def test_the_wallet_follows_points_coupons_and_tags(app, runner, db, clock):
    store, other, campaign = setup_brand(app)
    member = app.follow("o-1", store.qr_scene).member_id
    app.record_purchase(member, store.id, 12_000, "R-1")
    app.spend_points(member, 20, "gift", "G-1")
    first = app.claim(campaign.id, member).code
    second = app.claim(campaign.id, member).code
    app.redeem_coupon(first, store.id)
    app.tag_member(member, "咖啡")
    app.tag_member(member, "老顾客")
    app.untag_member(member, "咖啡")
    runner.run_once()

    seen = wallet(db, member, clock.now, store_id=store.id)
    assert (seen.points, seen.tags, seen.store_id) == (100, ["老顾客"], store.id)
    assert {c.code: (c.status, c.usable_here) for c in seen.coupons} == {
        first: ("redeemed", False),
        second: ("issued", True),
    }
    elsewhere = wallet(db, member, clock.now, store_id=other.id)
    assert [c.usable_here for c in elsewhere.coupons] == [False, False]


def test_points_about_to_expire_are_shown_and_expired_ones_leave(app, runner, db, clock):
    store, _, _ = setup_brand(app)
    member = app.follow("o-1").member_id
    app.record_purchase(member, store.id, 5_000, "R-1")
    clock.advance(days=340)
    runner.run_once()
    assert wallet(db, member, clock.now).points_expiring_soon == 50
    clock.advance(days=30)
    app.expire_points(member)
    runner.run_once()
    seen = wallet(db, member, clock.now)
    assert (seen.points, seen.points_expiring_soon) == (0, 0)


def test_reversed_points_and_reversed_redemptions(app, runner, db, clock):
    store, _, campaign = setup_brand(app)
    member = app.follow("o-1").member_id
    app.record_purchase(member, store.id, 5_000, "R-1")
    app.reverse_points(member, f"purchase:{store.id}:R-1")
    code = app.claim(campaign.id, member).code
    app.redeem_coupon(code, store.id)
    app.reverse_redemption(code, store.id)
    runner.run_once()
    seen = wallet(db, member, clock.now, store.id)
    assert seen.points == 0
    assert [(c.status, c.usable_here) for c in seen.coupons] == [("issued", True)]


def test_the_redemption_check_says_why_not(app, runner, db, clock):
    store, other, campaign = setup_brand(app)
    member = app.follow("o-1").member_id
    code = app.claim(campaign.id, member).code
    runner.run_once()
    assert check_redemption(db, code, store.id, clock.now).redeemable
    assert check_redemption(db, code, other.id, clock.now).reason == "not-valid-at-store"
    later = clock.now + timedelta(days=8)
    assert check_redemption(db, code, store.id, later).reason == "coupon-expired"
    app.redeem_coupon(code, store.id, staff_id=(staff := uuid4()), order_ref="R-9")
    runner.run_once()
    check = check_redemption(db, code, store.id, clock.now)
    assert (check.status, check.reason, check.redeemed_store_id) == (
        "redeemed",
        "coupon-already-redeemed",
        store.id,
    )
    assert staff
    assert check_redemption(db, "NOPE", store.id, clock.now) is None


def test_a_refollow_keeps_the_wallet_and_marks_following(app, runner, db, clock):
    member = app.follow("o-1").member_id
    app.unfollow("o-1")
    runner.run_once()
    assert not wallet(db, member, clock.now).following
    app.follow("o-1")
    runner.run_once()
    assert wallet(db, member, clock.now).following


def test_the_wallet_shows_when_the_card_was_activated(app, runner, db, clock):
    member = app.follow("o-1").member_id
    runner.run_once()
    assert wallet(db, member, clock.now).card_activated_at is None
    activated = clock.now
    app.activate_card(member)
    clock.advance(days=1)
    app.activate_card(member)  # already active: the first time stays
    runner.run_once()
    assert wallet(db, member, clock.now).card_activated_at == activated
