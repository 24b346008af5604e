from datetime import timedelta

from domain.campaign import CampaignTerms, Reward
from domain.member import Member
from projections.segments import segment_members, segment_size


def test_tags_region_store_and_following_combine(app, runner, db):
    store, other = app.open_store("A", "合肥"), app.open_store("B", "河北")
    m1 = app.follow("o-1", store.qr_scene).member_id
    m2 = app.follow("o-2", store.qr_scene).member_id
    m3 = app.follow("o-3", other.qr_scene).member_id
    m4 = app.follow("o-4").member_id
    for member, region in ((m1, "合肥"), (m2, "河北"), (m3, "合肥")):
        app.complete_profile(member, region)
    for member, tags in ((m1, ["vip", "咖啡"]), (m2, ["vip"]), (m3, ["vip", "咖啡"])):
        for tag in tags:
            app.tag_member(member, tag)
    app.unfollow("o-3")
    runner.run_once()

    def members(**filters):
        found = segment_members(db, **filters)
        if "limit" not in filters:
            assert segment_size(db, **filters) == len(found)
        return set(found)

    assert members() == {m1, m2, m4}
    assert members(following_only=False) == {m1, m2, m3, m4}
    assert members(tags=["vip"]) == {m1, m2}
    assert members(tags=["vip", "咖啡"]) == {m1}
    assert members(tags=("vip", "咖啡"), following_only=False) == {m1, m3}
    assert members(tags="咖啡") == {m1}  # one tag as a plain string
    assert members(region="合肥") == {m1}
    assert members(region="合肥", following_only=False) == {m1, m3}
    assert members(store_id=store.id) == {m1, m2}
    assert members(store_id=other.id, tags=["vip"]) == set()
    assert members(tags=["nobody"]) == set()
    assert len(members(limit=2)) == 2
    assert segment_size(db, tags=["vip"], following_only=False) == 3

    app.untag_member(m1, "咖啡")
    app.complete_profile(m1, "河北")  # moved: the latest profile counts
    runner.run_once()
    assert members(tags=["vip", "咖啡"]) == set()
    assert members(region="河北") == {m1, m2}


def test_activity_is_the_latest_follow_refollow_purchase_or_claim(app, runner, db, clock):
    store = app.open_store("A", "合肥")
    start = clock.now
    quiet = app.follow("o-quiet").member_id
    buyer = app.follow("o-buyer").member_id
    returner = app.follow("o-returner").member_id
    clock.advance(days=1)
    app.record_purchase(buyer, store.id, 500, "R-1")
    clock.advance(days=1)
    app.unfollow("o-returner")
    clock.advance(hours=1)
    app.follow("o-returner")  # a refollow
    runner.run_once()

    assert segment_members(db, active_since=start) == [returner, buyer, quiet]
    assert segment_members(db, active_since=start + timedelta(days=1)) == [returner, buyer]
    assert segment_members(db, active_since=start + timedelta(days=2)) == [returner]
    assert segment_size(db, active_since=clock.now + timedelta(seconds=1)) == 0

    app.unfollow("o-returner")  # leaving is not activity, and leaves the segment
    runner.run_once()
    assert segment_members(db, active_since=start + timedelta(days=2)) == []
    assert segment_members(db, active_since=start + timedelta(days=2), following_only=False) == [
        returner
    ]


def test_claims_tags_and_profiles_count_when_they_were_recorded(app, runner, db):
    campaign = app.start_campaign(
        app.create_campaign(
            CampaignTerms("c", "scan_gift", Reward("points", points=5), per_member_limit=2)
        ).id
    )
    claimer = app.follow("o-claimer").member_id
    gifted = app.follow("o-gifted").member_id
    tagged = app.follow("o-tagged").member_id
    claim = app.claim(campaign.id, claimer)
    app.claim(campaign.id, gifted, reason="follow-gift")  # on the member's behalf
    app.tag_member(tagged, "vip")
    runner.run_once()

    def active_exactly_since(member_id, moment):
        found = segment_members(db, active_since=moment)
        later = segment_members(db, active_since=moment + timedelta(microseconds=1))
        return member_id in found and member_id not in later

    followed_at = {m: app.get_member(m).followed_at for m in (claimer, gifted, tagged)}
    claimed_at = app.repository.get(claim.claim_id).created_on  # claims have no business time
    tagged_at = app.repository.get(Member.id_for("o-tagged")).modified_on
    assert active_exactly_since(claimer, max(claimed_at, followed_at[claimer]))
    assert active_exactly_since(tagged, max(tagged_at, followed_at[tagged]))
    assert active_exactly_since(gifted, followed_at[gifted])  # a gift is not their activity


def test_a_detected_region_segments_the_member(app, runner, db):
    member_id = app.follow("o-1").member_id
    app.update(lambda: app.member(member_id), lambda m: m.detect_region("西南"))
    runner.run_once()
    assert segment_members(db, region="西南") == [member_id]
