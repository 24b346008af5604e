"""Races on PostgreSQL: exactly-once redemption and stock that is never oversold, with the
coalescing writer on (the default) and across two application processes."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from domain.campaign import CampaignTerms, Reward
from domain.claim import CampaignOutOfStock, Claim
from domain.coupon import Coupon, CouponAlreadyRedeemed
from domain.member import Attribution, Member
from domain.points import PointsAccount
from services.app import Lianjie
from services.bootstrap import bootstrap
from services.settings import Settings

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pg_settings(postgres_url):
    return Settings(database_url=postgres_url, db_pool_size=16, db_pool_overflow=40)


@pytest.fixture
def pg_app(pg_settings, clock):
    application = bootstrap(pg_settings, clock=clock)
    yield application
    application.close()


def follow_in_bulk(app: Lianjie, count: int) -> list[UUID]:
    """Followers with their points accounts, saved a hundred at a time (set-up, not a race)."""
    members = [
        Member.follow(f"o-{uuid4().hex}", Attribution(), datetime.now(UTC)) for _ in range(count)
    ]
    for start in range(0, count, 100):
        chunk = members[start : start + 100]
        app.save(*chunk, *(PointsAccount.open(m.id) for m in chunk))
    return [member.id for member in members]


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
    members = follow_in_bulk(pg_app, 2000)

    def claim(member_id):
        return outcome(lambda: pg_app.claim(campaign.id, member_id))

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(claim, members))

    assert results.count("ok") == 500
    assert results.count("campaign-out-of-stock") == 1500
    assert pg_app.count_events(Coupon.Issued) == 500


def test_two_processes_racing_for_stock_issue_exactly_the_stock(pg_app, pg_settings, clock):
    other_process = bootstrap(pg_settings, clock=clock)  # its own writer and cache
    campaign = pg_app.create_campaign(
        CampaignTerms("抢购", "lucky_draw", Reward("coupon", "¥20", 2000), stock=300)
    )
    pg_app.start_campaign(campaign.id)
    members = follow_in_bulk(pg_app, 800)

    def claim(numbered: tuple[int, UUID]):
        app = (pg_app, other_process)[numbered[0] % 2]
        return outcome(lambda: app.claim(campaign.id, numbered[1]))

    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(claim, enumerate(members)))
    finally:
        other_process.close()

    assert results.count("ok") == 300
    assert results.count("campaign-out-of-stock") == 500
    assert pg_app.count_events(Coupon.Issued) == pg_app.count_events(Claim.Made) == 300
