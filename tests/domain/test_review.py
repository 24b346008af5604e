from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

from domain.review import (
    FraudLimits,
    ReferralFacts,
    ReferralReview,
    ReferrerDay,
    ReviewNotPending,
    shanghai_day,
)
from tests.domain.gwt import NOW, given, then, then_error, when

ALICE, BOB, CAROL, OPERATOR, CAMPAIGN = (uuid4() for _ in range(5))
LIMITS = FraudLimits(daily_cap=3, window=timedelta(hours=1), burst=4, device_opens=3)
BOB_VIA_ALICE = ReferralFacts(
    member_id=BOB,
    referrer_id=ALICE,
    refollow=False,
    referrer_chain=[],
    follows_in_window=1,
    suspicions=[],
    rewards_today=0,
)


def judge(**changes):
    facts = replace(BOB_VIA_ALICE, **changes)
    return when(None, lambda _: ReferralReview.judge(facts, LIMITS, 1, CAMPAIGN, NOW))


def judged(event_class, reasons=()):
    attributes = {
        "member_id": BOB,
        "referrer_id": ALICE,
        "campaign_id": CAMPAIGN,
        "followed_at": NOW,
        "reasons": list(reasons),
    }
    return (event_class, attributes)


def test_a_plain_referral_is_cleared_and_pays():
    events = judge()
    then(events, judged(ReferralReview.Cleared))
    assert events[0].originator_id == ReferralReview.id_for(BOB, 1)
    assert given(ReferralReview, judged(ReferralReview.Cleared)).pays


def test_self_referral_is_refused():
    then(
        judge(member_id=ALICE, refollow=True),
        (ReferralReview.Refused, {"reasons": ["self-referral"]}),
    )


def test_a_cycle_at_any_level_is_refused():
    # Bob brought Carol, who brought Alice: Alice's invitation cannot earn for Bob.
    events = judge(referrer_chain=[CAROL, BOB], refollow=True)
    then(events, (ReferralReview.Refused, {"reasons": ["cycle"]}))


def test_a_refollow_is_refused_whatever_else_is_true():
    events = judge(refollow=True, follows_in_window=99, rewards_today=99)
    then(events, (ReferralReview.Refused, {"reasons": ["refollow"]}))


def test_a_burst_of_follows_for_one_referrer_is_flagged():
    then(judge(follows_in_window=4), judged(ReferralReview.Flagged, ["burst"]))
    then(judge(follows_in_window=3), judged(ReferralReview.Cleared))


def test_suspicious_openings_of_the_link_are_flagged_once_each():
    events = judge(suspicions=["one-device", "owner-device", "one-device"], follows_in_window=5)
    then(events, judged(ReferralReview.Flagged, ["one-device", "owner-device", "burst"]))


def test_rewards_beyond_the_daily_cap_are_capped():
    then(judge(rewards_today=3), judged(ReferralReview.Capped, ["daily-cap-3"]))
    then(judge(rewards_today=2), judged(ReferralReview.Cleared))


def test_a_cap_of_zero_means_no_cap():
    facts = replace(BOB_VIA_ALICE, rewards_today=10_000)
    no_cap = replace(LIMITS, daily_cap=0)
    events = when(None, lambda _: ReferralReview.judge(facts, no_cap, 1, CAMPAIGN, NOW))
    then(events, judged(ReferralReview.Cleared))


def test_a_flag_wins_over_the_cap():
    then(judge(follows_in_window=9, rewards_today=9), judged(ReferralReview.Flagged, ["burst"]))


def test_an_operator_approves_a_flagged_referral_and_it_pays():
    review = given(ReferralReview, judged(ReferralReview.Flagged, ["burst"]))
    assert not review.pays
    events = when(review, lambda r: r.approve(OPERATOR, NOW, "同一家店的活动"))
    then(events, (ReferralReview.Approved, {"operator_id": OPERATOR, "note": "同一家店的活动"}))
    assert (review.status, review.pays, review.decided_at) == ("approved", True, NOW)


def test_an_operator_rejects_a_flagged_referral_for_good():
    review = given(ReferralReview, judged(ReferralReview.Flagged, ["one-device"]))
    then(when(review, lambda r: r.reject(OPERATOR, NOW)), (ReferralReview.Rejected, {}))
    assert (review.status, review.pays) == ("rejected", False)
    then_error(review, lambda r: r.approve(OPERATOR, NOW), ReviewNotPending)


def test_only_a_flagged_referral_can_be_decided():
    for event_class in (ReferralReview.Cleared, ReferralReview.Refused, ReferralReview.Capped):
        review = given(ReferralReview, judged(event_class))
        then_error(review, lambda r: r.approve(OPERATOR, NOW), ReviewNotPending)
        then_error(review, lambda r: r.reject(OPERATOR, NOW), ReviewNotPending)
    approved = given(
        ReferralReview,
        judged(ReferralReview.Flagged, ["burst"]),
        (ReferralReview.Approved, {"operator_id": OPERATOR, "at": NOW, "note": ""}),
    )
    then_error(approved, lambda r: r.approve(OPERATOR, NOW), ReviewNotPending)


def test_a_referrer_day_counts_follows_in_a_window_and_paid_rewards():
    day = given(
        ReferrerDay,
        (ReferrerDay.Started, {"referrer_id": ALICE, "day": "2026-11-11"}),
        (ReferrerDay.Counted, {"member_id": BOB, "at": NOW - timedelta(hours=2), "paid": True}),
        (ReferrerDay.Counted, {"member_id": CAROL, "at": NOW, "paid": False}),
    )
    assert (day.day, day.rewards, day.follows_since(NOW - timedelta(hours=1))) == (
        date(2026, 11, 11),
        1,
        1,
    )
    review = given(ReferralReview, judged(ReferralReview.Cleared))
    then(
        when(day, lambda d: d.count(review)),
        (ReferrerDay.Counted, {"member_id": BOB, "at": NOW, "paid": True}),
    )


def test_days_are_counted_by_the_shanghai_calendar():
    late_evening_utc = NOW.replace(hour=16, minute=30)  # 00:30 the next day in Shanghai
    assert shanghai_day(late_evening_utc) == date(2026, 11, 12)
    started = when(None, lambda _: ReferrerDay.start(ALICE, date(2026, 11, 12)))
    then(started, (ReferrerDay.Started, {"referrer_id": ALICE, "day": "2026-11-12"}))
    assert started[0].originator_id == ReferrerDay.id_for(ALICE, date(2026, 11, 12))
