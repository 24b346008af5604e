"""At scale: 50,000+ events processed live in small interleaved batches equal a full rebuild.

The log is a simulated brand (infra/bench/loggen.py, shared with the benchmark):
follows through store posters, campaign QR codes and friends' shares, referral
rewards, follow gifts, claims against sharded stock, redemptions (a few reversed),
voided coupons, purchases earning points (a few refunded), points exchanges,
expiring promo points, profiles, tags, unfollows and re-follows. Runs on SQLite
and on PostgreSQL (the `app` fixture).
"""

from __future__ import annotations

from collections import Counter

from infra.bench.loggen import LogGenerator, Shape
from projections.catalog import all_views
from projections.runner import ProjectionRunner
from tests.projections.conftest import dump

EVENTS = 50_000


def test_fifty_thousand_events_live_in_small_batches_equal_a_rebuild(app):
    generator = LogGenerator(app, Shape(members=9_000, stores=30, days=20, seed=3, chunk=250))
    generator.setup()
    live = ProjectionRunner(app, all_views(), batch_size=700)
    steps = 0
    while generator.written < EVENTS:
        generator.write(2_500)  # the log grows between steps: live runs chase its head
        for _ in range(3):
            live.step()
            steps += 1
    live.run_once()
    assert steps >= 60
    head = app.recorder.max_notification_id()
    assert head >= EVENTS
    assert all(status.position == head for status in live.status())
    mix = generator.by_topic
    for topic in (
        "Member.Followed",
        "Member.Unfollowed",
        "Member.Refollowed",
        "Member.Tagged",
        "Member.ProfileCompleted",
        "Member.PurchaseRecorded",
        "PointsAccount.Earned",
        "PointsAccount.Spent",
        "PointsAccount.Expired",
        "PointsAccount.Reversed",
        "Claim.Made",
        "Coupon.Issued",
        "Coupon.Redeemed",
        "Coupon.RedemptionReversed",
        "Coupon.Voided",
        "ShareToken.Shared",
        "StockShard.UnitReserved",
    ):
        assert mix[topic] > 0, f"the log has no {topic}"
    before = dump(live)
    rows = Counter({table: len(found) for table, found in before.items()})
    assert sum(rows.values()) > 50_000

    ProjectionRunner(app, all_views(), batch_size=5_000).rebuild()

    after = dump(live)
    for table in before:  # name the table that differs before comparing everything
        assert after[table] == before[table], table
    assert after == before
