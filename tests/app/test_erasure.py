"""Crypto-shredding: personal fields sealed per member; erasing deletes the key, not the log."""

from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.persistence import Mapper

from domain.campaign import CampaignTerms, Reward
from domain.conversation import Conversation
from domain.inbound import Inbound, InboundMessage
from domain.member import Member
from domain.personal import ERASED
from projections.catalog import all_views
from projections.inbox import conversation_messages
from projections.leaderboard import referral_leaderboard
from projections.runner import ProjectionRunner
from projections.segments import segment_members
from projections.wallet import exported_members, wallet
from services.app.privacy import IDS_PER_QUERY, DataKeys
from services.bootstrap import bootstrap
from services.settings import Settings
from tests.projections.conftest import dump

OPERATOR = uuid4()
PHONE = "13800138000"


def stored_states(app) -> list[bytes]:
    return [bytes(n.state) for n in app.recorder.select_notifications(1, 10_000)]


def test_sealed_fields_round_trip_and_never_reach_the_log_in_clear(app):
    member = app.follow("o-secret-openid").member_id
    app.complete_profile(member, "合肥", PHONE)
    fields = {"FromUserName": "o-secret-openid"}
    text = "我的地址是幸福路 8 号"
    inbound = Inbound(
        "o-secret-openid", "gh", "text", 1_790_000_000, 7, content=text, fields=fields
    )
    received = InboundMessage.receive(inbound, app.now())
    app.save(received)
    reply = {"content": "王女士，您的取货码是 8812"}
    app.queue_outbound("o-secret-openid", "text", reply, "reply:o-secret-openid:7")

    (event,) = app.repository.event_store.get(received.id)
    assert (event.openid, event.content, event.fields) == (
        "o-secret-openid",
        "我的地址是幸福路 8 号",
        {"FromUserName": "o-secret-openid"},
    )
    assert app.get_member(member).phone == PHONE
    assert app.outbound_by_key("reply:o-secret-openid:7").payload == reply
    raw = b"".join(stored_states(app))
    for secret in ("o-secret-openid", PHONE, "幸福路", "王女士", "取货码"):
        assert secret.encode() not in raw and secret.encode("unicode_escape") not in raw


def test_an_erased_member_keeps_points_coupons_referrals_and_rank(app, clock, database_url):
    runner = ProjectionRunner(app, all_views())
    gift = app.create_campaign(CampaignTerms("gift", "scan_gift", Reward("coupon", "礼", 300)))
    app.start_campaign(gift.id)
    alice = app.follow("o-alice").member_id
    app.complete_profile(alice, "合肥", PHONE)
    app.tag_member(alice, "vip")
    app.claim(gift.id, alice)
    app.award_points(alice, 120, "welcome", "welcome:alice")
    app.receive_wechat_message(Inbound("o-alice", "gh", "text", 1_790_000_000, 42, content=PHONE))
    for friend in ("o-f1", "o-f2"):
        app.follow(friend, app.create_share(alice, None).scene)
    bob = app.follow("o-bob").member_id
    app.follow("o-f3", app.create_share(bob, None).scene)
    runner.run_once()
    before = wallet(runner.db, alice, clock.now)
    board = referral_leaderboard(runner.db)

    erased = app.erase_member(alice, OPERATOR)
    runner.run_once()

    assert (erased.openid, erased.phone, erased.following) == (ERASED, None, False)
    reloaded = bootstrap(Settings(database_url=database_url), clock=clock)
    assert reloaded.get_member(alice).openid == ERASED
    assert reloaded.get_points(alice).balance == before.points == 120
    after = wallet(runner.db, alice, clock.now)
    assert (after.openid, after.points, after.referrals) == (ERASED, 120, 2)
    assert after.coupons == before.coupons and after.tags == ["vip"]
    assert referral_leaderboard(runner.db) == board
    assert alice in segment_members(runner.db, tags=["vip"], following_only=False)
    (message,) = conversation_messages(runner.db, Conversation.id_for("o-alice"))
    assert (message.text, message.message_key) == (ERASED, ERASED)
    exported = {row[0]: row for row in exported_members(runner.db)}
    assert exported[str(alice)][1] == ERASED and exported[str(bob)][1] == "o-bob"
    live = dump(runner)
    runner.rebuild()
    assert dump(runner) == live
    reloaded.close()


def test_another_process_stops_reading_erased_fields(database_url, clock):
    settings = Settings(database_url=database_url, key_cache_seconds=0)
    first, second = bootstrap(settings, clock=clock), bootstrap(settings, clock=clock)
    member = first.follow("o-carol").member_id
    first.complete_profile(member, "成都", PHONE)
    assert second.get_member(member).phone == PHONE  # decrypted, key now cached

    first.erase_member(member, OPERATOR)

    followed = next(second.logged(Member.Followed))
    assert followed.openid == ERASED
    profile = next(second.logged(Member.ProfileCompleted))
    assert (profile.phone, profile.region) == (ERASED, "成都")
    assert second.get_member(member).openid == ERASED
    first.close()
    second.close()


def test_a_follow_after_erasure_records_the_openid_under_a_new_key(app):
    member = app.follow("o-dave").member_id
    app.erase_member(member, OPERATOR)

    again = app.follow("o-dave", "store:somewhere")

    assert (again.member_id, again.is_new) == (member, False)
    view = app.get_member(member)
    assert (view.openid, view.following) == ("o-dave", True)
    followed, _, refollowed = app.repository.event_store.get(member)
    assert (followed.openid, refollowed.openid) == (ERASED, "o-dave")
    key_ids = [sealed_key(n) for n in app.recorder.select_notifications(1, 100)
               if n.originator_id == member and b"_sealed" in bytes(n.state)]  # fmt: skip
    assert len(key_ids) == 2 and key_ids[0] != key_ids[1]


def test_events_stored_in_clear_before_sealing_still_load(app):
    member_id = Member.id_for("o-legacy")
    legacy = Member.Followed(
        originator_id=member_id, originator_version=1, timestamp=datetime.now(UTC),
        originator_topic="domain.member:Member", openid="o-legacy", scene=None,
        store_id=None, campaign_id=None, referrer_id=None, share_token=None,
        at=datetime.now(UTC),
    )  # fmt: skip
    plain = Mapper(transcoder=app.mapper.transcoder).to_stored_event(legacy)
    app.recorder.insert_events([plain])

    assert app.get_member(member_id).openid == "o-legacy"


def sealed_key(notification) -> str:
    state = bytes(notification.state).decode()
    return state.split('"_sealed":"', 1)[1].split(".", 1)[0]


def test_a_reader_brings_the_keys_of_a_page_in_one_query(app, database_url):
    members = [app.follow(f"o-many-{n}").member_id for n in range(30)]
    reader = bootstrap(Settings(database_url=database_url))
    queries = []
    original = reader.personal_data.db.read
    reader.personal_data.db.read = lambda *args: queries.append(args[0]) or original(*args)
    try:
        ProjectionRunner(reader, all_views()).run_once()  # one page: thirty members' follows
        openids = {reader.get_member(member).openid for member in members}
    finally:
        reader.close()
    assert openids == {f"o-many-{n}" for n in range(30)}
    assert len([query for query in queries if "member_data_keys" in query]) == 1


def test_more_keys_than_one_query_lists_are_all_found_and_a_missing_one_reads_erased(app):
    members = [uuid4() for _ in range(2 * IDS_PER_QUERY + 500)]
    app.personal_data.prepare(members)
    key_ids = [str(app.personal_data.current(member)[0]) for member in members]
    erased = str(uuid4())
    reader = DataKeys(app.personal_data.db, ttl=30)

    found = reader.fetch([*key_ids, erased])

    assert all(found[key_id] is not None for key_id in key_ids)
    assert found[erased] is None
