"""Races on PostgreSQL: exactly-once redemption and stock that is never oversold."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.campaign import CampaignTerms, Reward
from domain.claim import CampaignOutOfStock
from domain.coupon import Coupon, CouponAlreadyRedeemed
from services.bootstrap import bootstrap
from services.settings import Settings

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pg_app(postgres_url, clock):
    settings = Settings(database_url=postgres_url, db_pool_size=16, db_pool_overflow=40)
    application = bootstrap(settings, clock=clock)
    yield application
    application.close()


def outcome(call):
    try:
        call()
        return "ok"
    except (CouponAlreadyRedeemed, CampaignOutOfStock) as refused:
        return refused.slug


def test_fifty_threads_redeem_one_coupon_exactly_once(pg_app):
    store = pg_app.open_store("静安店", "上海")
    member = pg_app.follow("o-race")
    campaign = pg_app.create_campaign(CampaignTerms("race", "scan_gift", Reward("coupon", "t", 1)))
    pg_app.start_campaign(campaign.id)
    code = pg_app.claim(campaign.id, member.member_id).code

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(
            pool.map(lambda i: outcome(lambda: pg_app.redeem_coupon(code, store.id)), range(50))
        )

    assert results.count("ok") == 1
    assert results.count("coupon-already-redeemed") == 49
    events = pg_app.repository.event_store.get(Coupon.id_for(code))
    assert sum(isinstance(e, Coupon.Redeemed) for e in events) == 1


def test_two_thousand_claims_for_five_hundred_units_issue_exactly_five_hundred(pg_app):
    campaign = pg_app.create_campaign(
        CampaignTerms("burst", "lucky_draw", Reward("coupon", "¥10", 1000), stock=500)
    )
    pg_app.start_campaign(campaign.id)
    members = [pg_app.follow(f"o-burst-{i}").member_id for i in range(2000)]

    def claim(member_id):
        return outcome(lambda: pg_app.claim(campaign.id, member_id))

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(claim, members))

    assert results.count("ok") == 500
    assert results.count("campaign-out-of-stock") == 1500
    assert pg_app.count_events(Coupon.Issued) == 500
