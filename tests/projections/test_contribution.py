from uuid import uuid4

import pytest

from domain.campaign import CampaignTerms, Reward
from domain.inbound import Inbound, InboundMessage
from domain.qaprogress import QaProgress
from projections.contribution import ContributionView, ContributionWeights, contribution_ranking
from projections.runner import ProjectionRunner


def coupon_campaign(app, kind="scan_gift", limit=3):
    terms = CampaignTerms("c", kind, Reward("coupon", "¥3", 300), per_member_limit=limit)
    return app.start_campaign(app.create_campaign(terms).id)


def parts(entry):
    return (entry.spreading, entry.interaction, entry.spending, entry.self_growth)


def test_each_part_counts_its_own_events(app, runner, db):
    store = app.open_store("A", "合肥")
    campaign = coupon_campaign(app)
    alice = app.follow("o-alice", store.qr_scene).member_id
    share = app.create_share(alice)
    app.create_share(alice, campaign.id)
    app.follow("o-friend", share.scene)
    app.claim(campaign.id, alice)
    app.claim(campaign.id, alice)
    app.record_purchase(alice, store.id, 12_345, "R-1")
    app.record_purchase(alice, store.id, 99, "R-2")
    app.complete_profile(alice, "合肥")
    app.complete_profile(alice, "河北")  # a profile counts once
    runner.run_once()

    top = contribution_ranking(db)[0]
    assert top.member_id == alice
    # spreading 2×2 shares + 10×1 referral; interaction 3×2 claims;
    # spending ¥124.44 → 124; self-growth 5 follow + 10 profile
    assert parts(top) == (14, 6, 124, 15)
    assert top.score == 14 + 6 + 124 + 15


def test_weights_reorder_at_query_time(app, runner, db):
    store = app.open_store("A", "合肥")
    spender = app.follow("o-spender").member_id
    sharer = app.follow("o-sharer").member_id
    app.record_purchase(spender, store.id, 10_000, "R-1")  # 100 spending points
    for index in range(3):
        app.follow(f"o-friend-{index}", app.create_share(sharer).scene)  # 36 spreading
    runner.run_once()

    default = contribution_ranking(db, limit=2)
    assert [e.member_id for e in default] == [spender, sharer]
    spreading_first = ContributionWeights(spreading=4.0, spending=0.5)
    ranked = contribution_ranking(db, spreading_first, limit=2)
    assert [(e.rank, e.member_id) for e in ranked] == [(1, sharer), (2, spender)]
    assert ranked[0].score == pytest.approx(4.0 * 36 + 5)
    assert ranked[1].score == pytest.approx(0.5 * 100 + 5)
    with pytest.raises(ValueError):
        ContributionWeights(interaction=-1)


def test_ties_go_to_the_earliest_follower_and_store_filters(app, runner, db, clock):
    store = app.open_store("A", "合肥")
    other = app.open_store("B", "河北")
    late = app.follow("o-late-but-first-id", other.qr_scene).member_id
    clock.advance(minutes=-5)
    early = app.follow("o-early", store.qr_scene).member_id
    clock.advance(minutes=10)
    app.follow("o-nowhere")
    runner.run_once()

    ranking = contribution_ranking(db)
    assert [e.member_id for e in ranking[:2]] == [early, late]
    assert {e.score for e in ranking} == {5.0}  # following is all any of them did
    assert [e.member_id for e in contribution_ranking(db, store_id=other.id)] == [late]
    assert len(contribution_ranking(db, limit=1)) == 1


def test_automatic_claims_and_refollows_earn_no_interaction_or_growth(app, runner, db):
    gift = app.start_campaign(
        app.create_campaign(CampaignTerms("gift", "follow_gift", Reward("points", points=5))).id
    )
    member = app.follow("o-1", f"campaign:{gift.id}").member_id
    app.claim(gift.id, member, reason="follow-gift")  # what the follow-gift policy does
    app.unfollow("o-1")
    app.follow("o-1")
    runner.run_once()
    assert parts(contribution_ranking(db)[0]) == (0, 0, 0, 5)
    assert contribution_ranking(db)[0].member_id == member


def wechat_push(clock, openid, msg_type, msg_id=None, event=None):
    """A push as WeChat sends it, received now (not saved yet)."""
    pushed = Inbound(openid, "gh_brand", msg_type, int(clock.now.timestamp()), msg_id, event)
    return InboundMessage.receive(pushed, clock.now)


def test_quiz_answers_and_messages_are_interaction(app, runner, db, clock):
    alice = app.follow("o-alice").member_id
    quiz = QaProgress.begin(alice)
    for step, (answer, tag) in enumerate([("A", "咖啡"), ("B", "上班族")]):
        quiz.trigger_event(
            QaProgress.QuestionAnswered, flow_id=uuid4(), step=step, answer=answer, tag=tag,
            at=clock.now,
        )  # fmt: skip
    app.save(quiz)
    runner.run_once()  # the next batch finds the quiz's member without its Begun event
    app.save(wechat_push(clock, "o-alice", "text", msg_id=1))
    app.save(wechat_push(clock, "o-alice", "image", msg_id=2))
    app.save(wechat_push(clock, "o-alice", "event", event="subscribe"))  # not a message
    progress = app.repository.get(quiz.id)
    progress.trigger_event(
        QaProgress.QuestionAnswered, flow_id=uuid4(), step=0, answer="C", tag="学生", at=clock.now
    )
    app.save(progress)
    runner.run_once()

    # interaction: 5 × 3 answers + 1 × 2 messages; self-growth: 5 for following
    assert parts(contribution_ranking(db)[0]) == (0, 17, 0, 5)


def test_a_rebuild_counts_answers_and_messages_the_same(app, runner, db, clock):
    member = app.follow("o-bob").member_id
    quiz = QaProgress.begin(member)
    quiz.trigger_event(
        QaProgress.QuestionAnswered, flow_id=uuid4(), step=0, answer="A", tag="t", at=clock.now
    )
    app.save(quiz, wechat_push(clock, "o-bob", "voice", msg_id=7))
    runner.run_once()
    live = contribution_ranking(db)
    ProjectionRunner(app, [ContributionView()]).rebuild()
    assert contribution_ranking(db) == live
    assert parts(live[0]) == (0, 6, 0, 5)


def test_openings_of_a_members_links_are_spreading(app, runner, db):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    for device in ("phone-1", "phone-2", "phone-1"):
        app.open_invitation(share.token, device)
    runner.run_once()
    # spreading: 2 for the share + 1 per opening; self-growth: 5 for following
    assert parts(contribution_ranking(db)[0]) == (5, 0, 0, 5)


def test_a_message_from_a_follower_lianjie_never_saw_counts_after_their_follow(app, runner, db):
    inbound = Inbound("o-stranger", "gh_brand", "text", 1_790_000_000, 99, content="在吗")
    app.receive_wechat_message(inbound)  # enrols them in the same transaction as the message
    runner.run_once()

    # interaction: 1 message; self-growth: 5 for following
    assert parts(contribution_ranking(db)[0]) == (0, 1, 0, 5)


def test_a_booking_is_a_sign_up_and_an_activated_card_is_growth(app, runner, db):
    booking = coupon_campaign(app, kind="booking_discount")
    gift = coupon_campaign(app)
    alice = app.follow("o-alice").member_id
    app.claim(booking.id, alice)
    app.claim(booking.id, alice)
    app.claim(gift.id, alice)
    app.activate_card(alice)
    app.activate_card(alice)  # an active card: nothing more
    runner.run_once()

    # interaction: 8 × 2 sign-ups + 3 × 1 claim; self-growth: 5 following + 5 card
    assert parts(contribution_ranking(db)[0]) == (0, 19, 0, 10)


def test_a_restarted_view_finds_the_campaign_kind_and_a_rebuild_agrees(app, runner, db):
    booking = coupon_campaign(app, kind="booking_discount")
    bob = app.follow("o-bob").member_id
    runner.run_once()  # the campaign's kind is in the view's table now
    app.claim(booking.id, bob)
    app.activate_card(bob)
    ProjectionRunner(app, [ContributionView()]).run_once()  # a view that remembers nothing
    live = contribution_ranking(db)
    assert parts(live[0]) == (0, 8, 0, 10)

    ProjectionRunner(app, [ContributionView()]).rebuild()
    assert contribution_ranking(db) == live
