from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidInput
from domain.member import (
    MAX_TAG_LENGTH,
    AlreadyFollowing,
    Attribution,
    InvalidProfile,
    Member,
    NotFollowing,
)
from tests.domain.gwt import NOW, given, then, then_error, when

OPENID = "oAbc123"
STORE, CAMPAIGN, REFERRER = uuid4(), uuid4(), uuid4()
LATER = NOW + timedelta(days=3)


def followed(**attribution):
    fields = {
        "scene": None,
        "store_id": None,
        "campaign_id": None,
        "referrer_id": None,
        "share_token": None,
    }
    return (Member.Followed, {"openid": OPENID, **fields, **attribution, "at": NOW})


def unfollowed(at=NOW):
    return (Member.Unfollowed, {"at": at})


def test_a_first_follow_creates_the_member_with_its_attribution():
    attribution = Attribution(f"store:{STORE}", STORE, CAMPAIGN, REFERRER, "TOKEN1234567")
    events = when(None, lambda _: Member.follow(OPENID, attribution, NOW))
    then(
        events,
        (
            Member.Followed,
            {
                "openid": OPENID,
                "scene": f"store:{STORE}",
                "store_id": STORE,
                "campaign_id": CAMPAIGN,
                "referrer_id": REFERRER,
                "share_token": "TOKEN1234567",
                "at": NOW,
            },
        ),
    )
    assert events[0].originator_id == Member.id_for(OPENID)


def test_a_follow_without_a_scene_has_no_attribution():
    events = when(None, lambda _: Member.follow(OPENID, Attribution(), NOW))
    then(events, (Member.Followed, {"store_id": None, "referrer_id": None, "share_token": None}))


def test_a_member_who_refers_themselves_gets_no_referrer():
    attribution = Attribution(
        "ref:TOKEN1234567", referrer_id=Member.id_for(OPENID), share_token="T"
    )
    events = when(None, lambda _: Member.follow(OPENID, attribution, NOW))
    then(events, (Member.Followed, {"referrer_id": None, "share_token": None}))


def test_a_blank_openid_is_refused():
    then_error(None, lambda _: Member.follow("  ", Attribution(), NOW), InvalidInput)


def test_a_follower_unfollows():
    member = given(Member, followed())
    then(when(member, lambda m: m.unfollow(LATER)), (Member.Unfollowed, {"at": LATER}))
    assert not member.following


def test_unfollowing_twice_is_refused():
    member = given(Member, followed(), unfollowed())
    then_error(member, lambda m: m.unfollow(LATER), NotFollowing)


def test_a_member_who_unfollowed_refollows():
    member = given(Member, followed(), unfollowed())
    events = when(member, lambda m: m.refollow("campaign:x", LATER))
    then(events, (Member.Refollowed, {"scene": "campaign:x", "at": LATER}))
    assert member.following


def test_a_refollow_never_changes_the_first_touch_attribution():
    member = given(Member, followed(store_id=STORE, referrer_id=REFERRER), unfollowed())
    first_touch = member.attribution
    when(member, lambda m: m.refollow(f"store:{uuid4()}", LATER))
    assert member.attribution == first_touch
    assert member.attribution.store_id == STORE
    assert member.attribution.referrer_id == REFERRER


def test_refollowing_while_following_is_refused():
    member = given(Member, followed())
    then_error(member, lambda m: m.refollow(None, LATER), AlreadyFollowing)


def test_a_member_completes_their_profile():
    member = given(Member, followed())
    events = when(member, lambda m: m.complete_profile(" 合肥 ", "13800138000"))
    then(events, (Member.ProfileCompleted, {"region": "合肥", "phone": "13800138000"}))
    assert (member.region, member.phone) == ("合肥", "13800138000")


def test_a_profile_without_a_phone_is_fine():
    member = given(Member, followed())
    then(
        when(member, lambda m: m.complete_profile("河北")),
        (Member.ProfileCompleted, {"phone": None}),
    )


def test_a_profile_with_an_empty_region_is_refused():
    member = given(Member, followed())
    then_error(member, lambda m: m.complete_profile("  ", "13800138000"), InvalidProfile)


@pytest.mark.parametrize("phone", ["", "1234", "1" * 16, "138-0013-8000", "+8613800138000"])
def test_a_malformed_phone_is_refused(phone):
    member = given(Member, followed())
    then_error(member, lambda m: m.complete_profile("合肥", phone), InvalidProfile)


def test_a_member_is_tagged():
    member = given(Member, followed())
    then(when(member, lambda m: m.tag(" vip ")), (Member.Tagged, {"tag": "vip"}))
    assert member.tags == ["vip"]


def test_tagging_twice_changes_nothing():
    member = given(Member, followed(), (Member.Tagged, {"tag": "vip"}))
    then(when(member, lambda m: m.tag("vip")))
    assert member.tags == ["vip"]


def test_a_tag_is_removed():
    member = given(Member, followed(), (Member.Tagged, {"tag": "vip"}))
    then(when(member, lambda m: m.untag("vip")), (Member.Untagged, {"tag": "vip"}))
    assert member.tags == []


def test_removing_an_absent_tag_changes_nothing():
    member = given(Member, followed())
    then(when(member, lambda m: m.untag("vip")))


@pytest.mark.parametrize("tag", ["", "   ", "x" * (MAX_TAG_LENGTH + 1)])
def test_an_empty_or_overlong_tag_is_refused(tag):
    member = given(Member, followed())
    then_error(member, lambda m: m.tag(tag), InvalidProfile)
    then_error(member, lambda m: m.untag(tag), InvalidProfile)


def test_a_tag_of_the_maximum_length_is_accepted():
    member = given(Member, followed())
    then(when(member, lambda m: m.tag("x" * MAX_TAG_LENGTH)), (Member.Tagged, {}))


def test_a_purchase_is_recorded():
    member = given(Member, followed())
    events = when(member, lambda m: m.record_purchase(STORE, 2500, "ORDER-1", NOW))
    then(
        events,
        (Member.PurchaseRecorded, {"store_id": STORE, "amount_fen": 2500, "order_ref": "ORDER-1"}),
    )
    assert member.spent_fen == 2500


def test_purchases_add_up():
    purchase = {"store_id": STORE, "amount_fen": 1000, "order_ref": "A", "at": NOW}
    member = given(Member, followed(), (Member.PurchaseRecorded, purchase))
    when(member, lambda m: m.record_purchase(STORE, 500, "B", NOW))
    assert member.spent_fen == 1500


@pytest.mark.parametrize("amount_fen", [0, -100])
def test_a_purchase_without_a_positive_amount_is_refused(amount_fen):
    member = given(Member, followed())
    then_error(member, lambda m: m.record_purchase(STORE, amount_fen, "A1", NOW), InvalidInput)


def test_a_purchase_without_an_order_ref_is_refused():
    member = given(Member, followed())
    then_error(member, lambda m: m.record_purchase(STORE, 100, " ", NOW), InvalidInput)


def test_a_phone_in_full_width_digits_is_refused():
    member = given(Member, followed())
    then_error(
        member, lambda m: m.complete_profile("河北", "１３８００１３８０００"), InvalidProfile
    )


def card_activated(at=NOW):
    return (Member.CardActivated, {"at": at})


def test_a_follower_activates_their_member_card():
    member = given(Member, followed())
    then(when(member, lambda m: m.activate_card(LATER)), (Member.CardActivated, {"at": LATER}))
    assert member.card_activated_at == LATER


def test_activating_an_active_card_changes_nothing():
    member = given(Member, followed(), card_activated())
    then(when(member, lambda m: m.activate_card(LATER)))
    assert member.card_activated_at == NOW


@pytest.mark.parametrize("gone", [unfollowed(), (Member.Erased, {"by": uuid4(), "at": NOW})])
def test_only_a_follower_activates_a_card(gone):
    member = given(Member, followed(), gone)
    then_error(member, lambda m: m.activate_card(LATER), NotFollowing)
