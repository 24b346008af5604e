"""Referral fraud end to end on a real store: follows, policies, reviews, rewards."""

from uuid import uuid4

import pytest

from domain.review import ReferralReview, ReviewNotPending
from services.bootstrap import bootstrap
from services.policies import Policies
from services.settings import Settings

REWARD = 50  # LIANJIE_REFERRAL_POINTS' first level


@pytest.fixture
def app(database_url, clock):
    """Small limits: 4 follows an hour per referrer or 3 openings per device flag; 3 a day."""
    settings = Settings(
        database_url=database_url,
        referral_daily_cap=3,
        referral_burst=4,
        referral_device_opens=3,
        referral_window_minutes=60,
    )
    application = bootstrap(settings, clock=clock)
    yield application
    application.close()


def reviews(app, *event_classes):
    """(member, referrer, reasons) of every judgement of these kinds, oldest first."""
    return [
        (e.member_id, e.referrer_id, e.reasons)
        for event_class in event_classes
        for e in app.logged(event_class)
    ]


def settle(app):
    """Run the policies, twice: a second pass must change nothing."""
    Policies(app).run_once()
    Policies(app).run_once()


def test_a_member_following_through_their_own_link_earns_nothing(app):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    app.unfollow("o-alice")
    app.follow("o-alice", share.scene)
    settle(app)
    assert reviews(app, ReferralReview.Refused) == [(alice, alice, ["self-referral"])]
    assert app.get_points(alice).balance == 0


def test_a_referral_cycle_earns_nothing(app):
    alice = app.follow("o-alice").member_id
    bob = app.follow("o-bob", app.create_share(alice).scene).member_id
    carol = app.follow("o-carol", app.create_share(bob).scene).member_id
    app.unfollow("o-alice")
    app.follow("o-alice", app.create_share(carol).scene)  # Carol "brings" Alice back
    settle(app)
    assert reviews(app, ReferralReview.Refused) == [(alice, carol, ["cycle"])]
    balances = [app.get_points(m).balance for m in (alice, bob, carol)]
    assert balances == [REWARD, REWARD, 0]


def test_unfollow_refollow_farming_earns_once(app):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    bob = app.follow("o-bob", share.scene).member_id
    for _ in range(3):
        app.unfollow("o-bob")
        app.follow("o-bob", app.create_share(alice).scene)
    settle(app)
    assert reviews(app, ReferralReview.Cleared) == [(bob, alice, [])]
    assert reviews(app, ReferralReview.Refused) == [(bob, alice, ["refollow"])] * 3
    assert app.get_points(alice).balance == REWARD


def test_one_device_opening_a_link_again_and_again_holds_the_follows(app, clock):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    for openid in ("o-sock-1", "o-sock-2", "o-sock-3"):
        app.open_invitation(share.token, "device-of-a-farmer")
        app.follow(openid, share.scene)
        clock.advance(minutes=1)
    settle(app)
    held = reviews(app, ReferralReview.Flagged)
    assert [reasons for _, _, reasons in held] == [["one-device"]]  # the third opening
    assert len(reviews(app, ReferralReview.Cleared)) == 2
    assert app.get_points(alice).balance == 2 * REWARD


def test_the_owners_device_opening_the_link_holds_the_next_follow(app):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice, device="alices-phone")
    app.open_invitation(share.token, "alices-phone")
    second_account = app.follow("o-alice-2", share.scene).member_id
    settle(app)
    assert reviews(app, ReferralReview.Flagged) == [(second_account, alice, ["owner-device"])]
    assert app.get_points(alice).balance == 0


def test_a_burst_of_follows_for_one_referrer_is_held(app, clock):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    for index in range(4):
        app.follow(f"o-friend-{index}", share.scene)
        clock.advance(minutes=15)
    settle(app)
    assert [reasons for *_, reasons in reviews(app, ReferralReview.Flagged)] == [["burst"]]
    clock.advance(hours=1)  # the window has passed: no burst (but the day's cap of 3 is used)
    later = app.follow("o-later", share.scene).member_id
    settle(app)
    assert reviews(app, ReferralReview.Capped) == [(later, alice, ["daily-cap-3"])]


def flagged_referral(app):
    """Alice's fourth referral within the hour: held for review."""
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    for index in range(4):
        app.follow(f"o-friend-{index}", share.scene)
    settle(app)
    (flagged,) = list(app.logged(ReferralReview.Flagged))
    return alice, flagged.originator_id


def test_an_approved_referral_is_paid_exactly_once(app):
    alice, review_id = flagged_referral(app)
    assert app.get_points(alice).balance == 3 * REWARD
    operator = uuid4()
    approved = app.approve_referral(review_id, operator, "门店活动")
    assert (approved.status, approved.operator_id, approved.note) == (
        "approved",
        operator,
        "门店活动",
    )
    settle(app)
    settle(app)
    assert app.get_points(alice).balance == 4 * REWARD  # an approval is not capped
    with pytest.raises(ReviewNotPending):
        app.approve_referral(review_id, operator)


def test_a_rejected_referral_is_never_paid(app):
    alice, review_id = flagged_referral(app)
    app.reject_referral(review_id, uuid4(), "同一设备")
    settle(app)
    assert app.get_referral_review(review_id).status == "rejected"
    assert app.get_points(alice).balance == 3 * REWARD
    with pytest.raises(ReviewNotPending):
        app.approve_referral(review_id, uuid4())


def test_rewards_beyond_the_daily_cap_are_not_paid(app, clock):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    for index in range(4):
        app.follow(f"o-friend-{index}", share.scene)
        clock.advance(minutes=61)  # slow enough not to be a burst; all on one Shanghai day
    settle(app)
    assert [reasons for *_, reasons in reviews(app, ReferralReview.Capped)] == [["daily-cap-3"]]
    assert app.get_points(alice).balance == 3 * REWARD
    clock.advance(days=1)
    app.follow("o-tomorrow", share.scene)
    settle(app)
    assert app.get_points(alice).balance == 4 * REWARD
