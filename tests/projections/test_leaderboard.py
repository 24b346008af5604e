from domain.campaign import CampaignTerms, Reward
from projections.leaderboard import referral_leaderboard


def refer(app, referrer_id, openid, campaign_id=None):
    share = app.create_share(referrer_id, campaign_id)
    return app.follow(openid, share.scene).member_id


def test_members_rank_by_referrals_and_ties_go_to_the_earliest(app, runner, db, clock):
    store = app.open_store("A", "合肥")
    alice = app.follow("o-alice", store.qr_scene).member_id
    bob = app.follow("o-bob").member_id
    refer(app, bob, "o-1")
    clock.advance(minutes=1)
    refer(app, alice, "o-2")
    refer(app, alice, "o-3")
    refer(app, bob, "o-4")
    runner.run_once()

    board = referral_leaderboard(db)
    assert [(e.rank, e.member_id, e.referrals) for e in board] == [(1, bob, 2), (2, alice, 2)]
    by_store = referral_leaderboard(db, scope="store", scope_id=str(store.id))
    assert [(e.member_id, e.referrals) for e in by_store] == [(alice, 2)]
    today = referral_leaderboard(db, period="day", period_key="2026-11-11")
    assert len(today) == 2


def test_per_campaign_and_per_month(app, runner, db, clock):
    campaign = app.create_campaign(
        CampaignTerms("invite", "referral_reward", Reward("points", points=10))
    )
    alice = app.follow("o-alice").member_id
    refer(app, alice, "o-1", campaign.id)
    clock.advance(days=30)
    refer(app, alice, "o-2")
    runner.run_once()
    in_campaign = referral_leaderboard(db, scope="campaign", scope_id=str(campaign.id))
    assert [(e.member_id, e.referrals) for e in in_campaign] == [(alice, 1)]
    assert referral_leaderboard(db, period="month", period_key="2026-12")[0].referrals == 1
    assert referral_leaderboard(db, limit=1)[0].referrals == 2
