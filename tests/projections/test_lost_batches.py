"""A batch whose transaction never commits leaves nothing behind in a view's memory.

The runner handles a batch again when its commit fails (another runner moved the view
on first): whatever a view remembers between batches must hold either way.
"""

from domain.campaign import CampaignTerms, Reward
from projections.catalog import all_views
from projections.runner import ProjectionRunner
from projections.view import Batch
from tests.projections.conftest import dump
from tests.projections.test_rebuild import busy_log


def handle_and_roll_back(app, runner: ProjectionRunner, after: int) -> None:
    """Handle every event after `after` in a transaction that is then rolled back."""
    notifications = app.recorder.select_notifications(after + 1, 100_000)
    events = [(n.topic, app.mapper.to_domain_event(n)) for n in notifications]
    with runner.db.transaction(commit=False) as sql:
        for view in runner.views:
            view.handle(events, Batch(sql))


def test_a_batch_handled_but_never_committed_changes_nothing(app):
    busy_log(app, 30)
    store = app.open_store("A", "合肥")
    terms = CampaignTerms("c", "scan_gift", Reward("coupon", "¥3", 300), per_member_limit=2)
    campaign = app.start_campaign(app.create_campaign(terms).id)
    member = app.follow("o-x", store.qr_scene).member_id
    codes = [app.claim(campaign.id, member).code for _ in range(2)]
    for code in codes:
        app.redeem_coupon(code, store.id)
    live = ProjectionRunner(app, all_views(), batch_size=50)
    live.run_once()
    committed = app.recorder.max_notification_id()

    app.reverse_redemption(codes[0], store.id)
    app.complete_profile(member, "合肥")
    app.unfollow("o-x")
    handle_and_roll_back(app, live, after=committed)
    app.reverse_redemption(codes[1], store.id)
    app.follow("o-x")
    live.run_once()
    survived = dump(live)

    ProjectionRunner(app, all_views(), batch_size=1000).rebuild()
    assert dump(live) == survived
