from uuid import uuid4

from projections.catalog import all_views
from projections.contribution import contribution_ranking
from projections.leaderboard import referral_leaderboard, referral_rank
from projections.review import review_counts, review_queue
from projections.runner import ProjectionRunner
from projections.wallet import wallet
from services.policies import Policies
from tests.projections.conftest import dump


def settle(app, runner):
    Policies(app).run_once()
    runner.run_once()


def test_the_queue_and_the_board_follow_flags_and_verdicts(app, runner, db, clock):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice)
    friends = []
    for index in range(10):  # the tenth within the hour is a burst (limit 10)
        friends.append(app.follow(f"o-friend-{index}", share.scene).member_id)
        clock.advance(minutes=1)
    app.unfollow("o-friend-0")
    app.follow("o-friend-0", app.create_share(alice).scene)
    settle(app, runner)

    (held,) = review_queue(db)
    assert (held.member_id, held.referrer_id, held.reasons) == (friends[9], alice, ["burst"])
    assert [row.reasons for row in review_queue(db, "refused")] == [["refollow"]]
    assert review_counts(db) == {
        "flagged": 1,
        "approved": 0,
        "rejected": 0,
        "refused": 1,
        "capped": 0,
        "cleared": 9,
    }
    assert [(e.member_id, e.referrals) for e in referral_leaderboard(db)] == [(alice, 9)]
    day = referral_leaderboard(db, period="day", period_key="2026-11-11")
    assert [e.referrals for e in day] == [9]

    app.approve_referral(held.id, uuid4(), "新店开业")
    settle(app, ProjectionRunner(app, all_views()))  # a fresh process: the hold is read back
    assert review_queue(db) == []
    (approved,) = review_queue(db, "approved")
    assert (approved.id, approved.note, approved.decided_at) == (held.id, "新店开业", clock.now)
    assert [e.referrals for e in referral_leaderboard(db)] == [10]
    assert referral_rank(db, alice) == 1


def test_a_flagged_referral_that_is_rejected_never_reaches_the_board(app, runner, db, clock):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice, device="alices-phone")
    app.open_invitation(share.token, "alices-phone")
    app.follow("o-alice-2", share.scene)
    settle(app, runner)
    (held,) = review_queue(db, referrer_id=alice)
    assert referral_leaderboard(db) == [] and referral_rank(db, alice) is None
    app.reject_referral(held.id, uuid4())
    settle(app, runner)
    assert referral_leaderboard(db) == []
    assert [row.id for row in review_queue(db, "rejected")] == [held.id]


def counted(db, member_id, clock) -> tuple[int, int, int]:
    """A referrer as three views see them: board referrals, wallet referrals, spreading."""
    board = {e.member_id: e.referrals for e in referral_leaderboard(db)}
    (spreading,) = [
        e.spreading for e in contribution_ranking(db, limit=50) if e.member_id == member_id
    ]
    return board.get(member_id, 0), wallet(db, member_id, clock.now).referrals, spreading


def cleared_and_flagged(app, runner):
    """Alice brings one friend cleanly and a second account of her own (held: the link was
    opened on her own phone). Spreading so far: 2 shares x 2 + 1 opening + 10 per referral."""
    alice = app.follow("o-alice").member_id
    app.follow("o-friend", app.create_share(alice).scene)
    share = app.create_share(alice, device="alices-phone")
    app.open_invitation(share.token, "alices-phone")
    app.follow("o-alice-2", share.scene)
    settle(app, runner)
    (held,) = review_queue(runner.db, referrer_id=alice)
    assert held.reasons == ["owner-device"]
    return alice, held.id


def test_a_held_referral_counts_in_no_view_until_an_operator_approves_it(app, runner, db, clock):
    alice, held = cleared_and_flagged(app, runner)
    assert counted(db, alice, clock) == (1, 1, 4 + 1 + 10)

    app.approve_referral(held, uuid4())
    settle(app, ProjectionRunner(app, all_views()))  # a fresh process: holds are read back

    assert counted(db, alice, clock) == (2, 2, 4 + 1 + 20)


def test_a_rejected_referral_never_counts_also_after_a_rebuild(app, runner, db, clock):
    alice, held = cleared_and_flagged(app, runner)
    app.reject_referral(held, uuid4())
    settle(app, runner)
    assert counted(db, alice, clock) == (1, 1, 4 + 1 + 10)

    runner.rebuild()

    assert counted(db, alice, clock) == (1, 1, 4 + 1 + 10)


def test_a_rebuild_equals_live_processing(app, runner, clock):
    alice = app.follow("o-alice").member_id
    share = app.create_share(alice, device="alices-phone")
    for index in range(12):
        app.follow(f"o-friend-{index}", share.scene)
        settle(app, runner)  # flags and approvals land in batches of their own
        if index == 3:
            app.open_invitation(share.token, "alices-phone")
    for row in review_queue(runner.db)[:2]:
        app.approve_referral(row.id, uuid4())
    settle(app, runner)
    rebuilt = ProjectionRunner(app, all_views(), batch_size=5000)
    rebuilt.rebuild()
    assert dump(rebuilt) == dump(runner)
