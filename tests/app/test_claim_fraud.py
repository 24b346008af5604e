"""Claim-limit evasion on a real store: one device claiming a campaign for many accounts is
held for review; approval makes the claim once, rejection never pays; races included."""

from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest

from domain.campaign import CampaignTerms, Reward
from domain.claim import CampaignOutOfStock, Claim, ClaimLimitReached
from domain.claim_review import ClaimRejected, ClaimReview, ClaimReviewNotPending
from domain.coupon import Coupon
from domain.errors import DomainError
from domain.stock import StockShard
from services.bootstrap import bootstrap
from services.settings import Settings
from tests.app.test_coalescing import Outcomes, one_batch

PHONE = "one-phone-many-accounts"


def running(app, **terms):
    defaults = {"name": "新人券", "kind": "scan_gift", "reward": Reward("coupon", "¥5", 500)}
    campaign = app.create_campaign(CampaignTerms(**(defaults | terms)))
    return app.start_campaign(campaign.id).id


def accounts(app, count, prefix="o-sock"):
    return [app.follow(f"{prefix}-{index}").member_id for index in range(count)]


def coupons_of(app, member_id):
    return [e for e in app.logged(Coupon.Issued) if e.member_id == member_id]


def holds(app):
    return [(e.member_id, e.other_members) for e in app.logged(ClaimReview.Held)]


def held_claim(app, **terms):
    """A campaign, and the third account claiming it from one phone: held."""
    campaign = running(app, **terms)
    first, second, third = accounts(app, 3)
    app.claim(campaign, first, device=PHONE)
    app.claim(campaign, second, device=PHONE)
    held = app.claim(campaign, third, device=PHONE)
    return campaign, third, held


def outcome(call):
    try:
        return call()
    except DomainError as refused:
        return refused.slug


def test_a_device_claiming_for_a_third_account_is_held_and_pays_nothing(app):
    campaign = running(app, stock=10, kind="lucky_draw")
    first, second, third = accounts(app, 3)
    issued = [app.claim(campaign, m, device=PHONE).status for m in (first, second)]
    held = app.claim(campaign, third, device=PHONE)

    assert issued == ["issued", "issued"]
    assert (held.status, held.code, held.claim_id, held.points) == ("held", None, None, 0)
    assert held.review_id == ClaimReview.id_for(campaign, third, 1)
    assert holds(app) == [(third, [first, second])]
    assert coupons_of(app, third) == []
    assert app.count_events(StockShard.UnitReserved) == app.count_events(Claim.Made) == 2
    assert app.get_claim_review(held.review_id).status == "held"


def test_a_points_claim_held_earns_no_points(app):
    campaign = running(app, reward=Reward("points", points=30))
    third = app.follow("o-third").member_id
    for member in accounts(app, 2, "o-first"):
        app.claim(campaign, member, device=PHONE)
    assert app.claim(campaign, third, device=PHONE).status == "held"
    assert app.get_points(third).balance == 0


def test_under_the_threshold_and_the_same_account_again_are_issued(app):
    campaign = running(app, per_member_limit=3)
    first, second = accounts(app, 2)
    statuses = [app.claim(campaign, m, device=PHONE).status for m in (first, second, first)]
    statuses.append(app.claim(campaign, second, device=PHONE).status)
    assert statuses == ["issued"] * 4
    assert holds(app) == []


def test_claims_that_carry_no_device_are_never_held(app):
    campaign = running(app)
    for member in accounts(app, 2):
        app.claim(campaign, member, device=PHONE)
    others = accounts(app, 3, "o-gift")  # policies, scan gifts, referral rewards: no device
    assert [app.claim(campaign, m, reason="follow-gift").status for m in others] == ["issued"] * 3
    other_phone = app.claim(campaign, app.follow("o-own-phone").member_id, device="another")
    assert other_phone.status == "issued"


def test_a_threshold_of_zero_never_holds(database_url, clock):
    app = bootstrap(Settings(database_url=database_url, claim_device_members=0), clock=clock)
    try:
        campaign = running(app)
        results = [app.claim(campaign, m, device=PHONE).status for m in accounts(app, 5)]
        assert results == ["issued"] * 5
    finally:
        app.close()


def test_holding_the_same_claim_again_makes_no_second_review(app):
    campaign, third, held = held_claim(app)
    again = app.claim(campaign, third, device=PHONE)
    keyed = app.claim(campaign, third, idempotency_key="tap-1", device=PHONE)
    assert again == held and keyed.review_id == held.review_id
    assert app.claim(campaign, third, idempotency_key="tap-1", device=PHONE) == keyed
    assert len(holds(app)) == 1


def test_a_member_at_their_limit_is_refused_not_held(app):
    campaign = running(app)
    third = app.follow("o-third").member_id
    app.claim(campaign, third, device="their-own-phone")
    for member in accounts(app, 2, "o-first"):
        app.claim(campaign, member, device=PHONE)
    with pytest.raises(ClaimLimitReached):
        app.claim(campaign, third, device=PHONE)
    assert holds(app) == []


def test_an_approved_claim_is_made_exactly_once(app):
    campaign, third, held = held_claim(app, per_member_limit=2, stock=10, kind="lucky_draw")
    operator = uuid4()
    approved = app.approve_claim(held.review_id, operator, "本店员工手机")

    assert (approved.status, approved.operator_id, approved.note) == (
        "approved",
        operator,
        "本店员工手机",
    )
    (coupon,) = coupons_of(app, third)
    claim = app.repository.get(approved.claim_id)
    assert (claim.member_id, claim.slot, claim.coupon_code) == (third, 1, coupon.code)
    assert app.count_events(StockShard.UnitReserved) == 3
    with pytest.raises(ClaimReviewNotPending):
        app.approve_claim(held.review_id, operator)
    with pytest.raises(ClaimReviewNotPending):
        app.reject_claim(held.review_id, operator)
    assert len(coupons_of(app, third)) == 1
    # approved on this phone: their next claim from it is not held
    assert app.claim(campaign, third, device=PHONE).status == "issued"


def test_a_rejected_claim_is_never_paid(app):
    campaign, third, held = held_claim(app)
    rejected = app.reject_claim(held.review_id, uuid4(), "一人多号")
    assert (rejected.status, rejected.note, rejected.claim_id) == ("rejected", "一人多号", None)
    with pytest.raises(ClaimReviewNotPending):
        app.approve_claim(held.review_id, uuid4())
    with pytest.raises(ClaimRejected):
        app.claim(campaign, third, device=PHONE)
    assert coupons_of(app, third) == []
    assert len(holds(app)) == 1


def test_an_approval_after_the_stock_ran_out_says_so_and_issues_nothing(app):
    campaign, third, held = held_claim(app, stock=3, kind="lucky_draw")
    app.claim(campaign, app.follow("o-last-unit").member_id)
    approved = app.approve_claim(held.review_id, uuid4())
    assert (approved.status, approved.claim_id) == ("out-of-stock", None)
    assert [e.originator_id for e in app.logged(ClaimReview.StockRanOut)] == [held.review_id]
    assert coupons_of(app, third) == []
    with pytest.raises(CampaignOutOfStock):
        app.claim(campaign, third, device=PHONE)


def test_an_approval_still_keeps_the_window_and_the_limit(app, clock):
    campaign, third, held = held_claim(app)
    app.claim(campaign, third, device="their-own-phone")  # meanwhile, from another device
    with pytest.raises(ClaimLimitReached):
        app.approve_claim(held.review_id, uuid4())
    assert app.get_claim_review(held.review_id).status == "held"  # the operator may reject
    assert len(coupons_of(app, third)) == 1


def test_accounts_racing_from_one_device_in_one_batch_get_two_claims_and_holds(app):
    campaign = running(app, stock=20, kind="lucky_draw")
    members = accounts(app, 6)
    outcomes = Outcomes(app)
    with one_batch(app, len(members)):
        for member in members:
            outcomes.start(str(member), lambda m=member: app.claim(campaign, m, device=PHONE))
    statuses = sorted(result.status for result in outcomes.join().values())

    assert statuses == ["held"] * 4 + ["issued"] * 2
    assert app.count_events(Coupon.Issued) == app.count_events(StockShard.UnitReserved) == 2
    assert len(holds(app)) == 4


def test_accounts_racing_from_one_device_on_threads_get_two_claims_and_holds(app):
    campaign = running(app)
    members = accounts(app, 12)
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda m: app.claim(campaign, m, device=PHONE).status, members))
    assert sorted(results) == ["held"] * 10 + ["issued"] * 2
    assert app.count_events(Claim.Made) == 2 and len(holds(app)) == 10


def test_one_held_claim_repeated_at_once_makes_one_review(app):
    campaign = running(app)
    for member in accounts(app, 2):
        app.claim(campaign, member, device=PHONE)
    third = app.follow("o-third").member_id
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: app.claim(campaign, third, device=PHONE), range(8)))
    assert {result.status for result in results} == {"held"}
    assert len({result.review_id for result in results}) == 1 == len(holds(app))


def test_operators_approving_at_once_make_the_claim_once(app):
    _, third, held = held_claim(app, stock=10, kind="lucky_draw")

    def approve(_):
        return outcome(lambda: app.approve_claim(held.review_id, uuid4()).status)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(approve, range(6)))
    assert sorted(results) == ["approved"] + ["claim-review-not-pending"] * 5
    assert len(coupons_of(app, third)) == 1
    assert app.count_events(StockShard.UnitReserved) == 3


def test_an_approval_racing_the_members_own_claim_makes_one_claim(app):
    campaign, third, held = held_claim(app)
    with ThreadPoolExecutor(max_workers=2) as pool:
        approval = pool.submit(lambda: outcome(lambda: app.approve_claim(held.review_id, uuid4())))
        own = pool.submit(lambda: outcome(lambda: app.claim(campaign, third, device="own-phone")))
        answers = [approval.result(), own.result()]
    assert "claim-limit-reached" in answers
    assert len(coupons_of(app, third)) == 1
