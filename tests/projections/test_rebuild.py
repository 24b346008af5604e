"""A rebuild gives exactly the rows live processing gave, and runs resume after a stop."""

import random

from domain.campaign import CampaignTerms, Reward
from domain.errors import DomainError
from projections.catalog import all_views
from projections.runner import ProjectionRunner
from tests.projections.conftest import dump


def busy_log(app, members: int, seed: int = 7) -> None:
    """A mixed log: follows through stores, campaigns and shares, claims, redemptions and
    their reversals, points earned, spent and reversed, profiles, tags, unfollows, refollows."""
    rng = random.Random(seed)
    stores = [app.open_store(f"S{i}", "合肥") for i in range(3)]
    campaign = app.create_campaign(
        CampaignTerms(
            "c", "scan_gift", Reward("coupon", "t", 100), stock=members, per_member_limit=2
        )
    )
    app.start_campaign(campaign.id)
    scenes = [store.qr_scene for store in stores] + [f"campaign:{campaign.id}"]
    ids, left = [], []
    for index in range(members):
        scene = rng.choice(scenes)
        if ids and rng.random() < 0.4:
            scene = app.create_share(rng.choice(ids), rng.choice([None, campaign.id])).scene
        ids.append(app.follow(f"o-{index}", scene).member_id)
        try:
            store = rng.choice(stores)
            app.record_purchase(ids[-1], store.id, rng.randint(100, 9_999), f"r-{index}")
            if rng.random() < 0.2:
                app.spend_points(ids[-1], 1, "gift", f"g-{index}")
                app.reverse_points(ids[-1], rng.choice([f"g-{index}", f"purchase:r-{index}"]))
            if rng.random() < 0.3:
                app.complete_profile(ids[-1], rng.choice(["合肥", "河北"]))
            code = app.claim(campaign.id, rng.choice(ids)).code
            if rng.random() < 0.5:
                app.redeem_coupon(code, store.id)
                if rng.random() < 0.3:
                    app.reverse_redemption(code, store.id)
            app.tag_member(ids[-1], rng.choice(["a", "b"]))
            if left and rng.random() < 0.3:
                app.follow(left.pop(rng.randrange(len(left))), rng.choice(scenes))  # refollow
            if rng.random() < 0.1:
                app.unfollow(leaving := f"o-{rng.randrange(index + 1)}")
                left.append(leaving)
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
