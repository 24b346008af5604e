"""A rebuild gives exactly the rows live processing gave, and runs resume after a stop."""

import gc
import random

from domain.campaign import CampaignTerms, Reward
from domain.errors import DomainError
from projections.catalog import all_views
from projections.runner import ProjectionRunner, split_by_work
from services import projection_commands
from services.replaying import rebuild_views
from services.worker import Worker
from tests.projections.conftest import dump


def busy_log(app, members: int, seed: int = 7) -> None:
    """A mixed log: follows through stores, campaigns and shares, claims (some of them
    sign-ups), redemptions and their reversals, points earned, spent and reversed,
    profiles, tags, card activations, unfollows, refollows."""
    rng = random.Random(seed)
    stores = [app.open_store(f"S{i}", "合肥") for i in range(3)]
    campaign = app.create_campaign(
        CampaignTerms(
            "c", "scan_gift", Reward("coupon", "t", 100), stock=members, per_member_limit=2
        )
    )
    app.start_campaign(campaign.id)
    booking = app.create_campaign(
        CampaignTerms("b", "booking_discount", Reward("coupon", "t", 100), per_member_limit=2)
    )
    app.start_campaign(booking.id)
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
            code = app.claim(rng.choice([campaign.id, booking.id]), rng.choice(ids)).code
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
            if rng.random() < 0.3:
                app.activate_card(rng.choice(ids))  # some twice, some refused (left)
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


def test_far_behind_a_runner_reads_rebuild_pages_with_the_collector_paused(app, monkeypatch):
    busy_log(app, 40, seed=13)
    ProjectionRunner(app, all_views(), batch_size=13).run_once()
    busy_log(app, 80, seed=14)  # the views are now more than a rebuild page behind
    runner = ProjectionRunner(app, all_views(), batch_size=13, rebuild_batch_size=100)
    pages: list[tuple[int, bool]] = []
    read = runner.read

    def recording(start: int, head: int):
        pages.append((runner.batch_size, gc.isenabled()))
        return read(start, head)

    monkeypatch.setattr(runner, "read", recording)

    runner.run_once()
    assert len(pages) > 3 and set(pages) == {(100, False)}
    assert gc.isenabled() and runner.batch_size == 13
    app.follow("o-near")  # a little behind: live pages, the collector on
    pages.clear()
    runner.run_once()
    assert set(pages) == {(13, True)}
    caught_up = dump(runner)
    ProjectionRunner(app, all_views(), batch_size=13).rebuild()
    assert dump(runner) == caught_up


def test_a_worker_of_its_own_process_freezes_what_its_catch_up_leaves(app):
    busy_log(app, 80, seed=15)
    worker = Worker(app, batch_size=13, own_process=True)
    worker.views.rebuild_batch_size = 50
    frozen = gc.get_freeze_count()
    try:
        assert worker.views.run_once() >= 50  # a catch-up: the views were a rebuild page behind
        caught_up = gc.get_freeze_count()
        assert caught_up > frozen
        app.follow("o-later")
        assert worker.views.run_once() == 1  # following live: nothing more is frozen
        assert gc.get_freeze_count() <= caught_up  # (frozen objects can still be freed)
    finally:
        gc.unfreeze()


def test_a_worker_on_a_thread_of_the_api_freezes_nothing(app):
    busy_log(app, 80, seed=16)
    worker = Worker(app, batch_size=13)
    worker.views.rebuild_batch_size = 50
    frozen = gc.get_freeze_count()
    assert worker.views.run_once() >= 50
    assert gc.get_freeze_count() <= frozen


def test_a_rebuild_in_two_processes_equals_live_processing(app, settings):
    """On PostgreSQL; SQLite, one writer at a time, keeps to one process."""
    busy_log(app, 120, seed=11)
    live = ProjectionRunner(app, all_views(), batch_size=17)
    live.run_once()
    before = dump(live)
    reached: list[int] = []

    done = rebuild_views(
        settings, [], jobs=2, progress=lambda position, _: reached.append(position)
    )

    assert dump(live) == before
    assert len(done.groups) == (2 if on_postgres(settings) else 1)
    assert sorted(name for group in done.groups for name in group) == sorted(
        view.name for view in all_views()
    )
    assert reached[-1] == done.head == app.recorder.max_notification_id()
    assert all(status.lag == 0 for status in live.status())


def test_views_far_behind_catch_up_in_two_processes_and_equal_a_rebuild(
    app, settings, monkeypatch, capsys
):
    """On PostgreSQL; on SQLite the worker's own loop catches up."""
    busy_log(app, 60, seed=5)
    worker = Worker(app)
    worker.views.run_once()
    busy_log(app, 60, seed=6)  # more arrives while `lianjie project` is stopped
    assert min(view.lag for view in worker.views.status()) > 0
    monkeypatch.setattr(projection_commands, "PARALLEL_CATCH_UP_EVENTS", 1)

    projection_commands.catch_up_first(worker, settings, jobs=2)

    printed = capsys.readouterr().out
    if not on_postgres(settings):
        assert printed == "" and min(view.lag for view in worker.views.status()) > 0
        worker.views.run_once()
    assert all(view.lag == 0 for view in worker.views.status())
    assert ("catching up in 2 processes" in printed) == on_postgres(settings)
    caught_up = dump(worker.views)
    ProjectionRunner(app, all_views()).rebuild()
    assert dump(worker.views) == caught_up


def on_postgres(settings) -> bool:
    return settings.database_url.startswith("postgresql")


def test_views_are_split_into_groups_of_about_equal_work():
    views = all_views()
    topics = sorted({topic for view in views for topic in view.topics})
    counts = {topic: 10 + 997 * index % 1_000 for index, topic in enumerate(topics)}
    work = {view.name: sum(counts[topic] for topic in view.topics) for view in views}

    groups = split_by_work(views, counts, 2)

    loads = [sum(work[view.name] for view in group) for group in groups]
    assert sorted(view.name for group in groups for view in group) == sorted(work)
    assert len(groups) == 2 and max(loads) - min(loads) <= max(work.values())
    assert split_by_work(views, counts, 1) == [sorted(views, key=lambda v: -work[v.name])]


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
