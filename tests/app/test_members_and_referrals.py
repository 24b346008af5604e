import pytest

from domain.campaign import CampaignTerms, Reward
from domain.coupon import Coupon
from domain.member import MemberNotFound, NotFollowing
from domain.points import ReferenceAlreadyCounted
from domain.referral import ShareTokenNotFound
from services.app.rules import BusinessRules
from services.bootstrap import bootstrap
from services.policies import Policies
from services.settings import Settings


def test_a_store_scene_attributes_the_follower_to_the_store(app):
    store = app.open_store("合肥万达店", "合肥")
    followed = app.follow("o-1", store.qr_scene)
    member = app.get_member(followed.member_id)
    assert (followed.is_new, member.store_id, member.scene) == (True, store.id, store.qr_scene)


def test_an_unknown_scene_is_kept_but_attributes_nothing(app):
    member = app.get_member(app.follow("o-2", "store:not-a-uuid").member_id)
    assert (member.scene, member.store_id, member.referrer_id) == ("store:not-a-uuid", None, None)


def test_a_refollow_keeps_the_first_touch(app):
    first, second = app.open_store("A", "河北"), app.open_store("B", "河北")
    member_id = app.follow("o-3", first.qr_scene).member_id
    app.unfollow("o-3")
    again = app.follow("o-3", second.qr_scene)
    member = app.get_member(member_id)
    assert (again.is_new, member.following, member.store_id) == (False, True, first.id)


def test_unfollowing_twice_is_refused_and_unknown_members_are_not_found(app):
    app.follow("o-4")
    app.unfollow("o-4")
    with pytest.raises(NotFollowing):
        app.unfollow("o-4")
    with pytest.raises(MemberNotFound):
        app.unfollow("o-nobody")


def test_profile_and_tags(app):
    member_id = app.follow("o-5").member_id
    app.complete_profile(member_id, "西南", "13800138000")
    app.tag_member(member_id, "老顾客")
    app.tag_member(member_id, "咖啡")
    app.untag_member(member_id, "咖啡")
    member = app.get_member(member_id)
    assert (member.region, member.phone, member.tags) == ("西南", "13800138000", ["老顾客"])


def test_a_share_token_attributes_the_new_follower_and_the_policy_rewards_once(app):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    bob = app.follow("o-bob", share.scene)
    assert bob.referrer_id == alice
    policies = Policies(app)
    assert policies.run_once() == 2
    assert app.get_points(alice).balance == 50
    assert policies.run_once() == 0
    with pytest.raises(ReferenceAlreadyCounted):
        app.award_points(alice, 50, "referral", f"referral:{bob.member_id}:L1")


def test_refollow_farming_earns_nothing(app):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    app.follow("o-bob", share.scene)
    app.unfollow("o-bob")
    app.follow("o-bob", share.scene)
    Policies(app).run_once()
    assert app.get_points(alice).balance == 50


def test_rewards_reach_up_to_three_levels_when_configured(database_url, clock):
    rules = Settings(database_url=database_url, referral_levels=3).rules()
    assert rules == BusinessRules(referral_levels=3)
    application = bootstrap(Settings(database_url=database_url, referral_levels=3), clock=clock)
    try:
        chain = [application.follow("o-root").member_id]
        for index in range(1, 5):
            share = application.create_share(chain[-1])
            chain.append(application.follow(f"o-{index}", share.scene).member_id)
        Policies(application).run_once()
        balances = [application.get_points(m).balance for m in chain]
        # o-root referred o-1 (L1 50), and is 2 and 3 levels above o-2 and o-3 (20 + 10).
        assert balances == [50 + 20 + 10, 50 + 20 + 10, 50 + 20, 50, 0]
    finally:
        application.close()


def test_a_referral_campaign_token_gives_the_campaign_reward(app):
    campaign = app.create_campaign(
        CampaignTerms("邀请有礼", "referral_reward", Reward("coupon", "免费咖啡", 1800), stock=1)
    )
    app.start_campaign(campaign.id)
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice, campaign.id)
    app.follow("o-bob", share.scene)
    app.follow("o-carol", share.scene)
    Policies(app).run_once()
    assert app.count_events(Coupon.Issued) == 1  # stock 1: the second referral finds none
    assert app.get_points(alice).balance == 0


def test_a_follow_gift_campaign_scene_gives_the_gift(app):
    campaign = app.create_campaign(
        CampaignTerms("关注有礼", "follow_gift", Reward("points", points=30))
    )
    app.start_campaign(campaign.id)
    member_id = app.follow("o-new", f"campaign:{campaign.id}").member_id
    Policies(app).run_once()
    Policies(app).run_once()
    assert app.get_points(member_id).balance == 30


def test_an_unknown_share_token_is_not_found(app):
    with pytest.raises(ShareTokenNotFound):
        app.share_token("NOSUCHTOKEN0")
