"""Every event type end-to-end through the callback: follows with their attribution and
rewards, scans, unfollows, menu clicks, locations, retries."""

from __future__ import annotations

from domain.campaign import CampaignTerms, Reward
from domain.claim import Claim
from domain.coupon import Coupon
from domain.inbound import InboundMessage
from domain.member import Member
from projections.leaderboard import ReferralLeaderboardView, referral_leaderboard
from projections.runner import ProjectionRunner
from projections.sql import Database
from services.policies import Policies


def running(app, name, kind, reward, **terms):
    campaign = app.create_campaign(CampaignTerms(name, kind, reward, **terms))
    app.start_campaign(campaign.id)
    return campaign


def logged(app, event_class) -> list:
    return list(app.logged(event_class))


def test_a_follow_through_a_store_qr_is_attributed_to_the_store(app, wechat):
    store = app.open_store("合肥万达店", "合肥")
    assert wechat.reply(wechat.subscribe("o-1", store.qr_scene)) is None
    member = app.find_member("o-1")
    assert (member.following, member.store_id, member.scene) == (True, store.id, store.qr_scene)
    [received] = logged(app, InboundMessage.Received)
    assert (received.event, received.event_key) == ("subscribe", f"qrscene_{store.qr_scene}")


def test_a_follow_without_a_scene_is_a_plain_follow(app, wechat):
    wechat.subscribe("o-1")
    member = app.find_member("o-1")
    assert (member.following, member.scene, member.store_id, member.referrer_id) == (
        True,
        None,
        None,
        None,
    )


def test_a_follow_through_a_campaign_qr_gets_the_follow_gift(app, wechat):
    campaign = running(app, "关注有礼", "follow_gift", Reward("coupon", "¥3 券", 300))
    wechat.subscribe("o-1", f"campaign:{campaign.id}")
    Policies(app).run_once()
    member = app.find_member("o-1")
    assert member.campaign_id == campaign.id
    [issued] = logged(app, Coupon.Issued)
    assert (issued.member_id, issued.campaign_id, issued.title) == (member.id, campaign.id, "¥3 券")


def test_a_follow_through_a_referral_qr_rewards_the_sharer_and_leads_the_board(app, wechat):
    wechat.subscribe("o-alice")
    alice = app.find_member("o-alice").id
    share = app.create_share(alice)
    for friend in ("o-bob", "o-carol"):
        wechat.subscribe(friend, share.scene)
    wechat.subscribe("o-dave", app.create_share(app.find_member("o-bob").id).scene)
    Policies(app).run_once()
    assert app.find_member("o-bob").referrer_id == alice
    assert app.get_points(alice).balance == 2 * 50
    ProjectionRunner(app, [ReferralLeaderboardView()]).run_once()
    board = referral_leaderboard(Database(app.factory.tracking_recorder()))
    assert [(e.rank, e.member_id, e.referrals) for e in board] == [
        (1, alice, 2),
        (2, app.find_member("o-bob").id, 1),
    ]


def test_a_retried_follow_is_recorded_once_and_rewarded_once(app, wechat):
    wechat.subscribe("o-alice")
    share = app.create_share(app.find_member("o-alice").id)
    wechat.subscribe("o-bob", share.scene)
    for _ in range(3):  # WeChat retries up to three times
        assert wechat.retry().status_code == 200
    Policies(app).run_once()
    assert len(logged(app, InboundMessage.Received)) == 2
    assert len(logged(app, Member.Followed)) == 2
    assert app.get_points(app.find_member("o-alice").id).balance == 50


def test_an_unfollow_and_a_refollow_keep_the_first_touch(app, wechat):
    first, second = app.open_store("A 店", "河北"), app.open_store("B 店", "河北")
    wechat.subscribe("o-1", first.qr_scene)
    wechat.unsubscribe("o-1")
    assert app.find_member("o-1").following is False
    wechat.subscribe("o-1", second.qr_scene)
    member = app.find_member("o-1")
    assert (member.following, member.store_id) == (True, first.id)
    assert [type(e).__name__ for e in logged(app, Member.Refollowed)] == ["Refollowed"]


def test_an_unfollow_from_a_stranger_is_recorded_only(app, wechat):
    assert wechat.unsubscribe("o-never-seen").status_code == 200
    [received] = logged(app, InboundMessage.Received)
    assert received.event == "unsubscribe"
    assert logged(app, Member.Followed) == []


def test_a_scan_by_a_follower_is_attributed_to_the_store(app, wechat):
    home, other = app.open_store("家门口", "合肥"), app.open_store("商场店", "合肥")
    wechat.subscribe("o-1", home.qr_scene)
    assert wechat.reply(wechat.scan("o-1", other.qr_scene)) is None
    [scanned] = logged(app, InboundMessage.Scanned)
    member = app.find_member("o-1")
    assert (scanned.member_id, scanned.store_id, scanned.campaign_id) == (member.id, other.id, None)
    assert member.store_id == home.id  # a scan never re-attributes the follow


def test_a_scan_gift_is_claimed_once_per_member_and_replied_with_its_code(app, wechat):
    store = app.open_store("合肥万达店", "合肥")
    gift = running(app, "扫码有礼", "scan_gift", Reward("coupon", "免费饮品", 1200), stock=10)
    wechat.subscribe("o-1")
    reply = wechat.reply(wechat.scan("o-1", store.qr_scene))
    [claim] = logged(app, Claim.Made)
    assert claim.campaign_id == gift.id
    assert claim.coupon_code in reply["Content"] and "免费饮品" in reply["Content"]
    assert wechat.reply(wechat.retry())["Content"] == reply["Content"]  # the first answer
    assert wechat.reply(wechat.scan("o-1", store.qr_scene)) is None  # limit 1: no second gift
    assert len(logged(app, Claim.Made)) == 1
    assert len(logged(app, InboundMessage.Scanned)) == 2


def test_a_scan_gift_for_other_stores_gives_nothing_here(app, wechat):
    here, there = app.open_store("这里", "合肥"), app.open_store("那里", "合肥")
    running(app, "扫码有礼", "scan_gift", Reward("points", points=10), store_ids=[there.id])
    wechat.subscribe("o-1")
    assert wechat.reply(wechat.scan("o-1", here.qr_scene)) is None
    reply = wechat.reply(wechat.scan("o-1", there.qr_scene))
    assert "10 积分" in reply["Content"]
    assert app.get_points(app.find_member("o-1").id).balance == 10


def test_a_scan_of_a_campaign_qr_claims_that_campaign(app, wechat):
    gift = running(app, "扫码有礼", "scan_gift", Reward("coupon", "¥5 券", 500))
    wechat.subscribe("o-1")
    wechat.scan("o-1", f"campaign:{gift.id}")
    [scanned] = logged(app, InboundMessage.Scanned)
    assert scanned.campaign_id == gift.id
    assert [c.campaign_id for c in logged(app, Claim.Made)] == [gift.id]


def test_a_scan_by_someone_we_never_saw_follow_enrols_them(app, wechat):
    store = app.open_store("合肥万达店", "合肥")
    wechat.scan("o-old-follower", store.qr_scene)
    member = app.find_member("o-old-follower")
    assert (member.following, member.scene) == (True, None)  # no attribution after the fact
    assert len(logged(app, InboundMessage.Scanned)) == 1


def test_a_menu_click_is_recorded_and_may_be_answered(app, wechat):
    app.create_reply_rule(
        "营业时间按钮", "click", ["MENU_HOURS"], {"type": "text", "content": "每天 10:00-22:00"}
    )
    wechat.subscribe("o-1")
    assert wechat.reply(wechat.click("o-1", "MENU_HOURS"))["Content"] == "每天 10:00-22:00"
    assert wechat.reply(wechat.click("o-1", "MENU_OTHER")) is None
    assert [e.key for e in logged(app, InboundMessage.MenuClicked)] == ["MENU_HOURS", "MENU_OTHER"]


def test_a_reported_location_is_recorded(app, wechat):
    wechat.subscribe("o-1")
    wechat.location("o-1", 31.820587, 117.227239)
    [located] = logged(app, InboundMessage.Located)
    member = app.find_member("o-1")
    assert (located.member_id, located.latitude, located.longitude) == (
        member.id,
        31.820587,
        117.227239,
    )
    assert located.precision == 119.38504
    assert member.region == "合肥"


def test_a_location_far_from_every_region_places_the_member_nowhere(app, wechat):
    wechat.subscribe("o-1")
    wechat.location("o-1", 45.75, 126.65)  # 哈尔滨
    assert len(logged(app, InboundMessage.Located)) == 1
    assert app.find_member("o-1").region is None


def test_a_location_message_is_recorded_and_waits_for_a_person(app, wechat):
    wechat.subscribe("o-1")
    wechat.location_message("o-1", 23.134521, 113.358803, "广州市天河区")
    [located] = logged(app, InboundMessage.Located)
    assert (located.latitude, located.longitude, located.label) == (
        23.134521,
        113.358803,
        "广州市天河区",
    )
    assert app.conversation_of("o-1").waiting == 1


def test_an_event_and_a_location_in_the_same_second_are_both_recorded(app, wechat):
    wechat.subscribe("o-1")
    wechat.clock.advance(seconds=-1)  # LOCATION arrives in the very second of the follow
    wechat.location("o-1", 31.8, 117.2)
    assert len(logged(app, InboundMessage.Received)) == 2


def test_other_events_are_recorded_only(app, wechat):
    wechat.subscribe("o-1")
    wechat.event("o-1", "VIEW", EventKey="https://brand.example/menu")
    wechat.event("o-1", "TEMPLATESENDJOBFINISH", Status="success")
    events = [e.event for e in logged(app, InboundMessage.Received)]
    assert events == ["subscribe", "view", "templatesendjobfinish"]
    assert logged(app, InboundMessage.Replied) == []


def test_a_scan_gift_started_or_paused_later_counts_from_the_next_scan(app, wechat):
    store = app.open_store("合肥万达店", "合肥")
    wechat.subscribe("o-1")
    wechat.subscribe("o-2")
    assert wechat.reply(wechat.scan("o-1", store.qr_scene)) is None
    gift = running(app, "扫码有礼", "scan_gift", Reward("points", points=5))
    assert "5 积分" in wechat.reply(wechat.scan("o-1", store.qr_scene))["Content"]
    app.pause_campaign(gift.id)
    assert wechat.reply(wechat.scan("o-2", store.qr_scene)) is None
