"""A rebuild gives exactly the rows live processing gave, and runs resume after a stop."""

import random

from domain.campaign import CampaignTerms, Reward
from domain.errors import DomainError
from projections.catalog import all_views
from projections.runner import ProjectionRunner
from tests.projections.conftest import dump


def busy_log(app, members: int, seed: int = 7) -> None:
    """A mixed log: follows through stores and shares, claims, redemptions, points, tags."""
    rng = random.Random(seed)
    stores = [app.open_store(f"S{i}", "合肥") for i in range(3)]
    campaign = app.create_campaign(
        CampaignTerms(
            "c", "scan_gift", Reward("coupon", "t", 100), stock=members, per_member_limit=2
        )
    )
    app.start_campaign(campaign.id)
    ids = []
    for index in range(members):
        scene = rng.choice(stores).qr_scene
        if ids and rng.random() < 0.4:
            scene = app.create_share(rng.choice(ids)).scene
        ids.append(app.follow(f"o-{index}", scene).member_id)
        try:
            store = rng.choice(stores)
            app.record_purchase(ids[-1], store.id, rng.randint(100, 9_999), f"r-{index}")
            code = app.claim(campaign.id, rng.choice(ids)).code
            if rng.random() < 0.5:
                app.redeem_coupon(code, store.id)
            app.tag_member(ids[-1], rng.choice(["a", "b"]))
            if rng.random() < 0.1:
                app.unfollow(f"o-{rng.randrange(index + 1)}")
        except DomainError:
            pass


def test_a_rebuild_equals_live_processing(app, runner):
    busy_log(app, 120)
    live = ProjectionRunner(app, all_views(), batch_size=13)
    for _ in range(200):  # live: many small batches, interleaved with new events
        live.step()
    live.run_once()
    before = dump(live)
    ProjectionRunner(app, all_views(), batch_size=1000).rebuild()
    assert dump(live) == before
    assert all(status.lag == 0 for status in live.status())


def test_a_view_behind_the_others_catches_up_alone(app, runner):
    busy_log(app, 30)
    runner.run_once()
    before = dump(runner)
    wallet_only = ProjectionRunner(app, [v for v in all_views() if v.name == "wallet"])
    wallet_only.rebuild()
    assert dump(runner) == before


def test_wait_for_returns_once_views_reach_a_write(app, runner):
    app.follow("o-1")
    position = app.last_position()
    assert not runner.wait_for(position, timeout=0.01)
    runner.run_once()
    assert runner.wait_for(position, timeout=0.01)
