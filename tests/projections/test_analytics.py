from dataclasses import replace
from datetime import datetime

import pytest

from domain.campaign import CampaignTerms, Reward
from domain.inbound import Inbound, InboundMessage
from domain.points import PointsAccount
from projections.analytics import (
    AnalyticsView,
    Funnel,
    daily_metrics,
    funnel,
    share_rate,
    totals,
)
from projections.runner import ProjectionRunner
from projections.sql import local_day

DAY1, DAY2 = "2026-11-11", "2026-11-12"  # the clock starts at 18:00 on DAY1 in Shanghai


def coupon_campaign(app, limit=3):
    terms = CampaignTerms("c", "scan_gift", Reward("coupon", "¥3", 300), per_member_limit=limit)
    return app.start_campaign(app.create_campaign(terms).id)


def to_day2(clock):
    clock.now = datetime.fromisoformat("2026-11-11T16:30:00+00:00")  # 00:30 in Shanghai


def test_follows_scans_unfollows_and_refollows_by_store_and_day(app, runner, db, clock):
    store, other = app.open_store("A", "合肥"), app.open_store("B", "河北")
    campaign = coupon_campaign(app)
    first = app.follow("o-1", store.qr_scene).member_id
    app.follow("o-2", f"campaign:{campaign.id}")
    app.follow("o-3", app.create_share(first).scene)  # a share link, not a QR scan
    app.follow("o-4")
    to_day2(clock)
    app.unfollow("o-1")
    app.follow("o-1", other.qr_scene)  # comes back through another store's poster
    runner.run_once()

    def daily(metric, **scope):
        return daily_metrics(db, metric, DAY1, DAY2, **scope)

    assert daily("follows") == [(DAY1, 4), (DAY2, 0)]
    assert daily("follows", store_id=store.id) == [(DAY1, 1), (DAY2, 0)]
    assert daily("scans") == [(DAY1, 2), (DAY2, 1)]
    assert daily("scans", campaign_id=campaign.id) == [(DAY1, 1), (DAY2, 0)]
    assert daily("scans", store_id=other.id) == [(DAY1, 0), (DAY2, 1)]
    assert daily("unfollows", store_id=store.id) == [(DAY1, 0), (DAY2, 1)]  # first touch
    assert daily("refollows", store_id=store.id) == [(DAY1, 0), (DAY2, 1)]
    assert daily("refollows", store_id=other.id) == [(DAY1, 0), (DAY2, 0)]
    assert daily_metrics(db, "follows", DAY2, DAY2) == [(DAY2, 0)]
    with pytest.raises(ValueError, match="unknown metric"):
        daily("reads")


def test_a_campaign_funnel_with_redemptions_reversed_across_midnight(app, runner, db, clock):
    store, other = app.open_store("A", "合肥"), app.open_store("B", "河北")
    campaign = coupon_campaign(app)
    member = app.follow("o-1", f"campaign:{campaign.id}").member_id
    claims = [app.claim(campaign.id, member) for _ in range(3)]
    kept, undone, moved = (claim.code for claim in claims)
    app.redeem_coupon(kept, store.id)
    app.redeem_coupon(undone, other.id)
    app.reverse_redemption(undone, other.id)
    clock.now = datetime.fromisoformat("2026-11-11T15:55:00+00:00")  # 23:55 in Shanghai
    app.redeem_coupon(moved, store.id)
    clock.advance(minutes=7)  # 00:02: within the grace period, but on the next day
    app.reverse_redemption(moved, store.id)
    app.redeem_coupon(moved, other.id)
    runner.run_once()

    assert funnel(db, campaign.id) == Funnel(scans=1, follows=1, claims=3, redemptions=2)
    redemptions = daily_metrics(db, "redemptions", DAY1, DAY2, campaign_id=campaign.id)
    assert redemptions == [(DAY1, 1), (DAY2, 1)]
    assert daily_metrics(db, "redemptions", DAY1, DAY2, store_id=store.id) == [
        (DAY1, 1),
        (DAY2, 0),
    ]
    assert daily_metrics(db, "redemptions", DAY1, DAY2, store_id=other.id) == [
        (DAY1, 0),
        (DAY2, 1),
    ]
    claimed = [local_day(app.repository.get(c.claim_id).created_on) for c in claims]
    by_day = daily_metrics(db, "claims", min(claimed), max(claimed), campaign_id=campaign.id)
    assert sum(n for _, n in by_day) == 3  # on the days they were recorded (no business time)
    assert funnel(db, coupon_campaign(app).id) == Funnel(0, 0, 0, 0)


def test_points_earned_spent_expired_and_reversed(app, runner, db, clock):
    store = app.open_store("A", "合肥")
    member = app.follow("o-1").member_id
    app.record_purchase(member, store.id, 12_000, "R-1")  # earns 120
    app.spend_points(member, 20, "gift", "G-1")
    app.reverse_points(member, "G-1")  # the spending undone: spent goes back down
    app.record_purchase(member, store.id, 5_000, "R-2")  # earns 50
    app.reverse_points(member, f"purchase:{store.id}:R-2")  # the earning undone
    runner.run_once()

    assert totals(db, ["points_earned", "points_spent", "points_expired"]) == {
        "points_earned": 120,
        "points_spent": 0,
        "points_expired": 0,
    }
    account = app.repository.get(PointsAccount.id_for(member))
    first, last = local_day(account.created_on), local_day(account.modified_on)
    earned = daily_metrics(db, "points_earned", first, last)
    assert sum(n for _, n in earned) == 120
    assert daily_metrics(db, "purchases", DAY1, DAY1, store_id=store.id) == [(DAY1, 2)]
    assert daily_metrics(db, "sales_fen", DAY1, DAY1, store_id=store.id) == [(DAY1, 17_000)]

    clock.advance(days=400)
    assert app.expire_points(member) == 120
    runner.run_once()
    today = local_day(clock.now)
    assert daily_metrics(db, "points_expired", today, today) == [(today, 120)]


def test_shares_by_campaign_and_the_sharers_store_and_no_share_rate_without_opens(app, runner, db):
    store = app.open_store("A", "合肥")
    campaign = coupon_campaign(app)
    sharer = app.follow("o-1", store.qr_scene).member_id
    app.create_share(sharer)
    app.create_share(sharer, campaign.id)
    app.create_share(sharer, campaign.id)
    runner.run_once()

    assert totals(db, ["shares", "opens"]) == {"shares": 3, "opens": 0}
    assert totals(db, ["shares"], store_id=store.id) == {"shares": 3}
    assert totals(db, ["shares"], campaign_id=campaign.id) == {"shares": 2}
    assert share_rate(db) is None
    assert share_rate(db, campaign_id=campaign.id) is None


def test_share_link_openings_give_the_share_rate_of_the_sharers_store_and_campaign(
    app, runner, db, clock
):
    store = app.open_store("A", "合肥")
    campaign = coupon_campaign(app)
    sharer = app.follow("o-1", store.qr_scene).member_id
    plain = app.create_share(sharer)
    for _ in range(3):
        app.create_share(sharer, campaign.id)
    runner.run_once()  # the next batch places openings from what the view stored
    for device in ("phone-1", "phone-2", "phone-3"):
        app.open_invitation(plain.token, device)
    to_day2(clock)
    for device in ("phone-1", "phone-4"):  # two more campaign links, opened once each
        app.open_invitation(app.create_share(sharer, campaign.id).token, device)
    ProjectionRunner(app, [AnalyticsView()]).run_once()  # a restarted view, memory empty

    assert daily_metrics(db, "opens", DAY1, DAY2, store_id=store.id) == [(DAY1, 3), (DAY2, 2)]
    assert totals(db, ["shares", "opens"], campaign_id=campaign.id) == {"shares": 5, "opens": 2}
    assert share_rate(db, campaign_id=campaign.id) == 5 / 2
    assert share_rate(db) == 6 / 5


def test_a_restarted_view_looks_up_what_it_no_longer_remembers(app, runner, db, clock):
    store = app.open_store("A", "合肥")
    campaign = coupon_campaign(app)
    member = app.follow("o-1", store.qr_scene).member_id
    code = app.claim(campaign.id, member).code
    app.redeem_coupon(code, store.id)
    runner.run_once()
    app.reverse_redemption(code, store.id)
    app.claim(campaign.id, member)
    app.unfollow("o-1")
    ProjectionRunner(app, [AnalyticsView()]).run_once()  # empty memory, same tracking

    assert funnel(db, campaign.id).redemptions == 0
    assert totals(db, ["claims", "unfollows"], store_id=store.id) == {
        "claims": 2,
        "unfollows": 1,
    }


def test_a_follower_scanning_a_qr_again_is_a_scan_of_that_qr(app, runner, db, clock):
    store = app.open_store("A", "合肥")
    campaign = coupon_campaign(app)
    member = app.follow("o-1", store.qr_scene).member_id
    for scene, store_id, campaign_id in [
        (store.qr_scene, store.id, None),
        (f"campaign:{campaign.id}", None, campaign.id),
        (app.create_share(member).scene, None, None),  # a share's QR: not a poster scan
    ]:
        pushed = Inbound("o-1", "gh_brand", "event", int(clock.now.timestamp()), None, "SCAN")
        message = InboundMessage.receive(replace(pushed, event_key=scene), clock.now)
        message.record_scan(member, scene, store_id, campaign_id, None, clock.now)
        app.save(message)
    runner.run_once()

    assert daily_metrics(db, "scans", DAY1, DAY1, store_id=store.id) == [(DAY1, 2)]
    assert totals(db, ["scans"], campaign_id=campaign.id) == {"scans": 1}
    assert totals(db, ["scans"]) == {"scans": 3}
