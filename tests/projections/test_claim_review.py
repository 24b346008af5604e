from uuid import uuid4

from domain.campaign import CampaignTerms, Reward
from projections.analytics import funnel
from projections.catalog import all_views
from projections.claim_review import claim_review_counts, claim_review_queue
from projections.runner import ProjectionRunner
from tests.projections.conftest import dump

PHONE = "one-phone-many-accounts"


def held_claims(app, count, stock=10):
    """A campaign claimed from one phone by two accounts, then by `count` more: held."""
    terms = CampaignTerms("新人券", "lucky_draw", Reward("coupon", "¥5", 500), stock=stock)
    campaign = app.start_campaign(app.create_campaign(terms).id).id
    members = [app.follow(f"o-sock-{index}").member_id for index in range(count + 2)]
    results = [app.claim(campaign, member, device=PHONE) for member in members]
    return campaign, members, [r.review_id for r in results if r.status == "held"]


def test_the_queue_follows_holds_and_verdicts(app, runner, db, clock):
    campaign, members, held = held_claims(app, 3)
    runner.run_once()

    queue = claim_review_queue(db)
    assert {row.member_id for row in queue} == set(members[2:])
    assert {tuple(row.other_members) for row in queue} == {tuple(members[:2])}
    assert {(row.campaign_id, row.device, row.claim_id) for row in queue} == {
        (campaign, PHONE, None)
    }
    assert claim_review_queue(db, campaign_id=uuid4()) == []
    assert funnel(db, campaign).claims == 2  # held claims are no claims

    operator = uuid4()
    approved = app.approve_claim(held[0], operator, "家人")
    app.reject_claim(held[1], operator)
    runner.run_once()
    (row,) = claim_review_queue(db, "approved")
    assert (row.id, row.claim_id, row.note, row.decided_at) == (
        held[0],
        approved.claim_id,
        "家人",
        clock.now,
    )
    assert claim_review_counts(db) == {
        "held": 1,
        "approved": 1,
        "rejected": 1,
        "out-of-stock": 0,
    }
    assert funnel(db, campaign).claims == 3


def test_a_rebuild_equals_live_processing(app, runner):
    _, _, held = held_claims(app, 6, stock=4)
    runner.run_once()
    app.approve_claim(held[0], uuid4())
    app.reject_claim(held[1], uuid4())
    app.approve_claim(held[2], uuid4())  # the last unit
    app.approve_claim(held[3], uuid4())  # out of stock
    runner.run_once()
    assert claim_review_counts(runner.db)["out-of-stock"] == 1
    rebuilt = ProjectionRunner(app, all_views(), batch_size=5000)
    rebuilt.rebuild()
    assert dump(rebuilt) == dump(runner)
