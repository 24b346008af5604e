from uuid import uuid4

from domain.claim import CampaignOutOfStock
from domain.claim_review import ClaimDevice, ClaimRejected, ClaimReview, ClaimReviewNotPending
from tests.domain.gwt import NOW, given, then, then_error, when

ALICE, ALICE_2, ALICE_3, CAMPAIGN, OPERATOR, CLAIM = (uuid4() for _ in range(6))
PHONE = "3f2a9c0b1d4e5f6a7b8c9d0e"
STARTED = (ClaimDevice.Started, {"campaign_id": CAMPAIGN, "device": PHONE})


def claimed(member_id):
    return (ClaimDevice.Claimed, {"member_id": member_id})


HELD = (
    ClaimReview.Held,
    {
        "campaign_id": CAMPAIGN,
        "member_id": ALICE_3,
        "slot": 1,
        "device": PHONE,
        "other_members": [ALICE, ALICE_2],
        "at": NOW,
    },
)


def decided(event_class, **attributes):
    return (event_class, {"operator_id": OPERATOR, "at": NOW, "note": ""} | attributes)


def test_a_device_records_each_member_it_claimed_for_once():
    device = given(ClaimDevice, STARTED, claimed(ALICE))
    then(when(device, lambda d: d.record(ALICE_2)), claimed(ALICE_2))
    then(when(device, lambda d: d.record(ALICE)))
    assert device.members == [ALICE, ALICE_2]


def test_a_started_device_is_named_by_campaign_and_device():
    events = when(None, lambda _: ClaimDevice.start(CAMPAIGN, PHONE))
    then(events, STARTED)
    assert events[0].originator_id == ClaimDevice.id_for(CAMPAIGN, PHONE)


def test_a_device_holds_a_claim_for_a_member_past_its_limit():
    device = given(ClaimDevice, STARTED, claimed(ALICE), claimed(ALICE_2))
    assert device.holds(ALICE_3, limit=2)
    assert not device.holds(ALICE_3, limit=3)
    assert not device.holds(ALICE, limit=2)  # a member it claimed for before: never held
    assert not device.holds(ALICE_3, limit=0)  # 0: no limit


def test_a_claim_from_a_device_past_its_limit_is_held_with_the_others_named():
    device = given(ClaimDevice, STARTED, claimed(ALICE), claimed(ALICE_2))
    events = when(None, lambda _: ClaimReview.hold(CAMPAIGN, ALICE_3, 1, device, NOW))
    then(events, HELD)
    assert events[0].originator_id == ClaimReview.id_for(CAMPAIGN, ALICE_3, 1)


def test_an_operator_approves_a_held_claim_once():
    review = given(ClaimReview, HELD)
    events = when(review, lambda r: r.approve(OPERATOR, NOW, "同一家店", CLAIM))
    then(events, decided(ClaimReview.Approved, note="同一家店", claim_id=CLAIM))
    assert (review.status, review.claim_id, review.decided_at) == ("approved", CLAIM, NOW)
    then_error(review, lambda r: r.approve(OPERATOR, NOW, "", CLAIM), ClaimReviewNotPending)
    then_error(review, lambda r: r.reject(OPERATOR, NOW), ClaimReviewNotPending)


def test_an_operator_rejects_a_held_claim_for_good():
    review = given(ClaimReview, HELD)
    then(when(review, lambda r: r.reject(OPERATOR, NOW, "多个账号")), (ClaimReview.Rejected, {}))
    assert (review.status, review.note, review.operator_id) == ("rejected", "多个账号", OPERATOR)
    then_error(review, lambda r: r.approve(OPERATOR, NOW, "", CLAIM), ClaimReviewNotPending)


def test_an_approval_that_finds_the_stock_gone_closes_the_review():
    review = given(ClaimReview, HELD)
    events = when(review, lambda r: r.give_up_out_of_stock(OPERATOR, NOW, "已抢光"))
    then(events, decided(ClaimReview.StockRanOut, note="已抢光"))
    assert (review.status, review.claim_id) == ("out-of-stock", None)
    then_error(review, lambda r: r.give_up_out_of_stock(OPERATOR, NOW), ClaimReviewNotPending)


def test_holding_a_claim_again_answers_as_its_review_was_decided():
    then(when(given(ClaimReview, HELD), lambda r: r.check_still_held()))  # still waits
    rejected = given(ClaimReview, HELD, decided(ClaimReview.Rejected))
    then_error(rejected, lambda r: r.check_still_held(), ClaimRejected)
    ran_out = given(ClaimReview, HELD, decided(ClaimReview.StockRanOut))
    then_error(ran_out, lambda r: r.check_still_held(), CampaignOutOfStock)
