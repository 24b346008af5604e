from datetime import timedelta

import pytest

from domain.campaign import CampaignNotRunning, CampaignStatusConflict, CampaignTerms, Reward
from domain.claim import CampaignOutOfStock, ClaimLimitReached
from domain.member import NotFollowing
from domain.points import InsufficientPoints
from domain.store import StoreClosed


def running(app, **terms):
    defaults = {"name": "test", "kind": "scan_gift", "reward": Reward("coupon", "gift", 100)}
    campaign = app.create_campaign(CampaignTerms(**(defaults | terms)))
    return app.start_campaign(campaign.id)


def test_a_draft_campaign_is_not_claimable_until_started(app):
    member = app.follow("o-1").member_id
    draft = app.create_campaign(CampaignTerms("d", "scan_gift", Reward("coupon", "g", 1)))
    with pytest.raises(CampaignNotRunning):
        app.claim(draft.id, member)
    assert app.start_campaign(draft.id).status == "running"
    assert app.pause_campaign(draft.id).status == "paused"
    with pytest.raises(CampaignNotRunning):
        app.claim(draft.id, member)
    assert app.end_campaign(draft.id).status == "ended"
    with pytest.raises(CampaignStatusConflict):
        app.start_campaign(draft.id)


def test_the_window_bounds_claims(app, clock):
    member = app.follow("o-1").member_id
    campaign = running(app, ends_at=clock.now + timedelta(hours=1))
    app.claim(campaign.id, member)
    clock.advance(hours=2)
    with pytest.raises(CampaignNotRunning):
        app.claim(campaign.id, app.follow("o-2").member_id)


def test_the_per_member_limit_holds(app):
    member = app.follow("o-1").member_id
    campaign = running(app, per_member_limit=2)
    app.claim(campaign.id, member)
    app.claim(campaign.id, member)
    with pytest.raises(ClaimLimitReached):
        app.claim(campaign.id, member)


def test_a_claim_retried_with_its_key_returns_the_same_coupon(app):
    member = app.follow("o-1").member_id
    campaign = running(app, per_member_limit=5)
    first = app.claim(campaign.id, member, idempotency_key="tap-1")
    assert app.claim(campaign.id, member, idempotency_key="tap-1") == first
    assert app.claim(campaign.id, member, idempotency_key="tap-2").code != first.code


def test_stock_runs_out(app):
    campaign = running(app, stock=3)
    for index in range(3):
        app.claim(campaign.id, app.follow(f"o-{index}").member_id)
    with pytest.raises(CampaignOutOfStock):
        app.claim(campaign.id, app.follow("o-late").member_id)


def test_unfollowed_members_cannot_claim(app):
    member = app.follow("o-1").member_id
    app.unfollow("o-1")
    with pytest.raises(NotFollowing):
        app.claim(running(app).id, member)


def test_a_points_reward_credits_the_account(app):
    member = app.follow("o-1").member_id
    result = app.claim(running(app, reward=Reward("points", points=20)).id, member)
    assert (result.code, result.points, app.get_points(member).balance) == (None, 20, 20)


def test_points_exchange_spends_points_for_a_coupon(app):
    store = app.open_store("A", "合肥")
    member = app.follow("o-1").member_id
    exchange = running(app, kind="points_exchange", points_cost=100)
    with pytest.raises(InsufficientPoints):
        app.claim(exchange.id, member)
    app.record_purchase(member, store.id, 15_050, "R-1")
    coupon = app.claim(exchange.id, member)
    assert coupon.code and app.get_points(member).balance == 50


def test_a_purchase_earns_by_the_rule_and_an_order_counts_once(app):
    store = app.open_store("A", "合肥")
    member = app.follow("o-1").member_id
    assert app.record_purchase(member, store.id, 2_599, "R-1").points_earned == 25
    again = app.record_purchase(member, store.id, 2_599, "R-1")
    assert (again.points_earned, again.balance) == (25, 25)
    assert app.get_member(member).id == member


def test_points_expire_and_reversal_undoes(app, clock):
    store = app.open_store("A", "合肥")
    member = app.follow("o-1").member_id
    app.record_purchase(member, store.id, 10_000, "R-1")
    app.spend_points(member, 30, "gift", "G-1")
    assert app.reverse_points(member, "G-1") == 100
    clock.advance(days=366)
    assert app.expire_points(member) == 100
    assert app.get_points(member).balance == 0


def test_a_closed_store_takes_no_purchases(app):
    store = app.open_store("A", "合肥")
    member = app.follow("o-1").member_id
    app.close_store(store.id)
    with pytest.raises(StoreClosed):
        app.record_purchase(member, store.id, 100, "R-1")
