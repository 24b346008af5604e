from dataclasses import asdict, replace
from datetime import timedelta
from uuid import uuid4

import pytest

from domain.campaign import (
    Campaign,
    CampaignNotRunning,
    CampaignStatusConflict,
    CampaignTerms,
    InvalidCampaign,
    Reward,
)
from domain.stock import split_stock
from tests.domain.gwt import NOW, given, then, then_error, when

COUPON = Reward("coupon", title="¥3 off", value_fen=300)
POINTS = Reward("points", points=50)
TERMS = CampaignTerms(
    name="Double 11",
    kind="follow_gift",
    reward=COUPON,
    stock=1000,
    starts_at=NOW,
    ends_at=NOW + timedelta(days=7),
)
HOUR = timedelta(hours=1)


def created(terms=TERMS):
    fields = asdict(terms)
    fields["reward"] = terms.reward.as_dict()
    return (
        Campaign.Created,
        {**fields, "shard_units": split_stock(terms.stock) if terms.stock else []},
    )


def campaign_in(*statuses, terms=TERMS):
    event = {"running": Campaign.Started, "paused": Campaign.Paused, "ended": Campaign.Ended}
    return given(Campaign, created(terms), *((event[s], {}) for s in statuses))


def test_a_campaign_is_created_in_draft():
    events = when(None, lambda _: Campaign.create(TERMS))
    then(
        events,
        (
            Campaign.Created,
            {
                "name": "Double 11",
                "kind": "follow_gift",
                "reward": {"type": "coupon", "title": "¥3 off", "value_fen": 300},
                "stock": 1000,
                "per_member_limit": 1,
            },
        ),
    )
    campaign = Campaign.create(TERMS)
    assert campaign.status == "draft"
    assert campaign.terms == TERMS


def test_a_points_campaign_keeps_only_its_points():
    terms = replace(TERMS, reward=POINTS, stock=None)
    events = when(None, lambda _: Campaign.create(terms))
    then(
        events, (Campaign.Created, {"reward": {"type": "points", "points": 50}, "shard_units": []})
    )


def test_a_points_exchange_campaign_has_a_points_cost():
    terms = replace(TERMS, kind="points_exchange", points_cost=200)
    then(when(None, lambda _: Campaign.create(terms)), (Campaign.Created, {"points_cost": 200}))


INVALID_TERMS = {
    "a blank name": replace(TERMS, name="  "),
    "an unknown kind": replace(TERMS, kind="giveaway"),
    "zero stock": replace(TERMS, stock=0),
    "negative stock": replace(TERMS, stock=-5),
    "a per member limit of zero": replace(TERMS, per_member_limit=0),
    "an end before the start": replace(TERMS, ends_at=NOW - HOUR),
    "an end at the start": replace(TERMS, ends_at=NOW),
    "coupons valid for zero days": replace(TERMS, coupon_valid_days=0),
    "a negative points cost": replace(TERMS, points_cost=-1),
    "a points exchange without a cost": replace(TERMS, kind="points_exchange", points_cost=0),
    "a points cost outside a points exchange": replace(TERMS, points_cost=100),
    "an empty store list": replace(TERMS, store_ids=[]),
    "a coupon without a title": replace(TERMS, reward=Reward("coupon", title=" ")),
    "a coupon of negative value": replace(TERMS, reward=Reward("coupon", title="x", value_fen=-1)),
    "a coupon that also gives points": replace(
        TERMS, reward=Reward("coupon", title="x", value_fen=100, points=5)
    ),
    "zero points": replace(TERMS, reward=Reward("points", points=0)),
    "negative points": replace(TERMS, reward=Reward("points", points=-10)),
    "points with a title": replace(TERMS, reward=Reward("points", title="x", points=10)),
    "points with a value": replace(TERMS, reward=Reward("points", value_fen=100, points=10)),
    "an unknown reward type": replace(TERMS, reward=Reward("cash", value_fen=100)),
}


@pytest.mark.parametrize("terms", INVALID_TERMS.values(), ids=INVALID_TERMS.keys())
def test_a_campaign_with_inconsistent_terms_is_refused(terms):
    then_error(None, lambda _: Campaign.create(terms), InvalidCampaign)


def test_a_free_coupon_and_an_open_window_are_valid_terms():
    terms = replace(TERMS, reward=Reward("coupon", title="Gift"), starts_at=None, ends_at=None)
    then(when(None, lambda _: Campaign.create(terms)), (Campaign.Created, {}))


def test_a_reward_is_read_back_from_its_dict():
    assert Reward.from_dict(COUPON.as_dict()) == COUPON
    assert Reward.from_dict(POINTS.as_dict()) == POINTS


def test_a_draft_campaign_starts():
    campaign = campaign_in()
    then(when(campaign, lambda c: c.start()), (Campaign.Started, {}))
    assert campaign.status == "running"


def test_a_running_campaign_pauses():
    campaign = campaign_in("running")
    then(when(campaign, lambda c: c.pause()), (Campaign.Paused, {}))
    assert campaign.status == "paused"


def test_a_paused_campaign_resumes():
    campaign = campaign_in("running", "paused")
    then(when(campaign, lambda c: c.start()), (Campaign.Started, {}))
    assert campaign.status == "running"


@pytest.mark.parametrize("history", [(), ("running",), ("running", "paused")])
def test_a_campaign_ends_from_any_open_status(history):
    campaign = campaign_in(*history)
    then(when(campaign, lambda c: c.end()), (Campaign.Ended, {}))
    assert campaign.status == "ended"


REFUSED = [
    (("running",), "start"),
    (("ended",), "start"),
    ((), "pause"),
    (("running", "paused"), "pause"),
    (("ended",), "pause"),
    (("ended",), "end"),
]


@pytest.mark.parametrize(("history", "action"), REFUSED)
def test_a_status_change_from_the_wrong_status_is_refused(history, action):
    campaign = campaign_in(*history)
    then_error(campaign, lambda c: getattr(c, action)(), CampaignStatusConflict)


@pytest.mark.parametrize("history", [(), ("running", "paused"), ("running", "ended")])
def test_a_campaign_that_is_not_running_cannot_be_claimed(history):
    campaign = campaign_in(*history)
    then_error(campaign, lambda c: c.check_claimable(NOW + HOUR), CampaignNotRunning)


def test_a_running_campaign_is_claimable_inside_its_window():
    campaign = campaign_in("running")
    campaign.check_claimable(NOW)
    campaign.check_claimable(TERMS.ends_at - timedelta(seconds=1))


def test_a_running_campaign_is_not_claimable_before_it_starts():
    campaign = campaign_in("running")
    then_error(campaign, lambda c: c.check_claimable(NOW - HOUR), CampaignNotRunning)


@pytest.mark.parametrize("after", [timedelta(0), HOUR])
def test_a_running_campaign_is_not_claimable_at_or_after_its_end(after):
    campaign = campaign_in("running")
    then_error(campaign, lambda c: c.check_claimable(TERMS.ends_at + after), CampaignNotRunning)


def test_a_campaign_without_a_window_is_claimable_whenever_it_runs():
    campaign = campaign_in("running", terms=replace(TERMS, starts_at=None, ends_at=None))
    campaign.check_claimable(NOW - timedelta(days=365))
    campaign.check_claimable(NOW + timedelta(days=365))


@pytest.mark.parametrize("stock", [1, 9, 10, 11, 99, 1000, 12_345])
def test_the_stock_is_split_over_shards_that_add_up_to_it(stock):
    campaign = Campaign.create(replace(TERMS, stock=stock))
    assert sum(campaign.shard_units) == stock
    assert campaign.shard_count == len(campaign.shard_units) >= 1


def test_a_campaign_without_stock_has_no_shards():
    campaign = Campaign.create(replace(TERMS, stock=None))
    assert campaign.shard_units == []
    assert campaign.shard_count == 0


def test_a_coupon_claimed_now_is_valid_for_the_campaign_days():
    campaign = campaign_in("running", terms=replace(TERMS, coupon_valid_days=7))
    assert campaign.coupon_window(NOW) == (NOW, NOW + timedelta(days=7))


def test_the_store_ids_are_kept():
    stores = [uuid4(), uuid4()]
    campaign = Campaign.create(replace(TERMS, store_ids=stores))
    assert campaign.terms.store_ids == stores
