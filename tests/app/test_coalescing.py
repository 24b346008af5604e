"""The coalescing writer: concurrent redemptions and claims share transactions, each one
still decided by the rules against what the batch before it left, exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from uuid import uuid4

import pytest

from domain.campaign import CampaignTerms, Reward
from domain.claim import Claim, ClaimLimitReached
from domain.codes import new_coupon_code
from domain.coupon import Coupon, CouponNotFound
from domain.errors import DomainError
from domain.stock import StockShard
from services.app import Lianjie
from services.app.idempotency import IdempotencyRecord
from services.bootstrap import bootstrap
from services.settings import Settings


class Outcomes:
    """Calls run on threads of their own; each one's answer (or refusal slug) and position."""

    def __init__(self, app: Lianjie) -> None:
        self.app = app
        self.threads: list[threading.Thread] = []
        self.results: dict[str, object] = {}
        self.positions: dict[str, int] = {}

    def start(self, name: str, call: Callable[[], object]) -> None:
        def run() -> None:
            try:
                self.results[name] = call()
            except DomainError as refused:
                self.results[name] = refused.slug
            except Exception as error:
                self.results[name] = error
            self.positions[name] = self.app.last_position()

        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append(thread)

    def join(self) -> dict[str, object]:
        for thread in self.threads:
            thread.join(timeout=30)
        return self.results


@contextmanager
def one_batch(app: Lianjie, commands: int) -> Iterator[None]:
    """Commands handed over inside the block wait while the writer is held, then are
    decided as one batch."""
    deciding, release = threading.Event(), threading.Event()

    def hold() -> tuple[None, list]:
        deciding.set()
        release.wait(10)
        return None, []

    holder = threading.Thread(target=lambda: app.once("hold", None, dict, hold, coalesce=True))
    holder.start()
    assert deciding.wait(10)
    try:
        yield
        wait_until(lambda: app.writer.queue.qsize() >= commands)
    finally:
        release.set()
        holder.join(timeout=10)


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


@pytest.fixture
def store(app):
    return app.open_store("静安店", "上海")


@pytest.fixture
def codes(app):
    member = app.follow("o-batch")
    terms = CampaignTerms("批量", "scan_gift", Reward("coupon", "¥5", 500), per_member_limit=20)
    campaign = app.create_campaign(terms)
    app.start_campaign(campaign.id)
    return [app.claim(campaign.id, member.member_id).code for _ in range(12)]


def redeemed_events(app: Lianjie, code: str) -> int:
    events = app.repository.event_store.get(Coupon.id_for(code))
    return sum(isinstance(event, Coupon.Redeemed) for event in events)


def test_concurrent_redemptions_share_one_transaction_and_carry_its_position(app, store, codes):
    outcomes = Outcomes(app)
    with one_batch(app, len(codes)):
        for code in codes:
            outcomes.start(code, lambda code=code: app.redeem_coupon(code, store.id))
    results = outcomes.join()

    assert all(results[code].status == "redeemed" for code in codes)
    assert len(set(outcomes.positions.values())) == 1  # one transaction for all twelve
    assert app.count_events(Coupon.Redeemed) == len(codes)
    assert outcomes.positions[codes[0]] == app.recorder.max_notification_id()  # its last event


def test_a_batch_too_big_for_one_insert_is_saved_in_several(app, store):
    window = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    coupons = [
        Coupon.issue(new_coupon_code(), uuid4(), uuid4(), "¥1", 100, window, None)
        for _ in range(250)
    ]
    app.save(*coupons)
    outcomes = Outcomes(app)
    with one_batch(app, len(coupons)):
        for coupon in coupons:
            redeem = partial(app.redeem_coupon, coupon.code, store.id, None, None, coupon.code)
            outcomes.start(coupon.code, redeem)  # two events each: Redeemed and its record
    results = outcomes.join()

    assert all(result.status == "redeemed" for result in results.values())
    assert len(set(outcomes.positions.values())) == 2  # 500 events: over 400 a transaction
    assert app.count_events(Coupon.Redeemed) == 250


def test_a_refused_command_does_not_fail_its_neighbours(app, store, codes):
    app.redeem_coupon(codes[0], store.id)
    other_store = app.open_store("徐汇店", "上海")
    outcomes = Outcomes(app)
    with one_batch(app, 5):
        outcomes.start("again", lambda: app.redeem_coupon(codes[0], store.id))
        outcomes.start("unknown", lambda: app.redeem_coupon("0000-0000-0000-0000", store.id))
        outcomes.start("closed", lambda: app.redeem_coupon(codes[1], uuid4()))
        outcomes.start("first", lambda: app.redeem_coupon(codes[2], store.id))
        outcomes.start("second", lambda: app.redeem_coupon(codes[3], other_store.id))
    results = outcomes.join()

    assert results["again"] == "coupon-already-redeemed"
    assert results["unknown"] == CouponNotFound.slug
    assert results["closed"] == "store-not-found"
    assert results["first"].status == results["second"].status == "redeemed"
    assert [redeemed_events(app, code) for code in codes[:4]] == [1, 0, 1, 1]


def test_two_redemptions_of_one_coupon_in_one_batch_give_one_success(app, store, codes):
    outcomes = Outcomes(app)
    with one_batch(app, 2):
        outcomes.start("a", lambda: app.redeem_coupon(codes[0], store.id))
        outcomes.start("b", lambda: app.redeem_coupon(codes[0], store.id))
    results = outcomes.join()

    assert sorted(str(getattr(r, "status", r)) for r in results.values()) == [
        "coupon-already-redeemed",
        "redeemed",
    ]
    assert redeemed_events(app, codes[0]) == 1


def test_one_idempotency_key_twice_in_one_batch_gets_one_answer(app, store, codes):
    member = app.follow("o-twice")
    campaign = app.create_campaign(
        CampaignTerms("两次", "scan_gift", Reward("coupon", "¥1", 100), per_member_limit=5)
    )
    app.start_campaign(campaign.id)
    outcomes = Outcomes(app)
    with one_batch(app, 4):
        for name in ("redeem-1", "redeem-2"):
            outcomes.start(name, lambda: app.redeem_coupon(codes[0], store.id, None, None, "k-1"))
        for name in ("claim-1", "claim-2"):
            outcomes.start(name, lambda: app.claim(campaign.id, member.member_id, "tap-1"))
    results = outcomes.join()

    assert results["redeem-1"] == results["redeem-2"]
    assert results["redeem-1"].status == "redeemed"
    assert results["claim-1"] == results["claim-2"]
    assert app.count_events(Claim.Made) == len(codes) + 1
    assert redeemed_events(app, codes[0]) == 1
    assert app.count_events(IdempotencyRecord.Recorded) == 2


def test_a_refused_claim_in_a_batch_leaves_no_reserved_unit_behind(app):
    campaign = app.create_campaign(
        CampaignTerms("限量", "lucky_draw", Reward("coupon", "¥9", 900), stock=10)
    )  # ten units: one shard, so every claim of the batch reserves from the same one
    app.start_campaign(campaign.id)
    early, late = app.follow("o-early").member_id, app.follow("o-late").member_id
    app.claim(campaign.id, early)
    others = [app.follow(f"o-other-{i}").member_id for i in range(3)]
    outcomes = Outcomes(app)
    with one_batch(app, 5):
        outcomes.start("late", lambda: app.claim(campaign.id, late))
        outcomes.start("early again", lambda: app.claim(campaign.id, early))  # reserves first
        for i, member in enumerate(others):
            outcomes.start(f"other {i}", lambda member=member: app.claim(campaign.id, member))
    results = outcomes.join()

    assert results.pop("early again") == ClaimLimitReached.slug
    assert all(result.status == "issued" for result in results.values())
    shard = app.repository.get(StockShard.id_for(campaign.id, 0))
    assert shard.reserved == app.count_events(StockShard.UnitReserved) == 5
    assert app.count_events(Coupon.Issued) == 5


def test_a_conflicting_batch_decides_again_only_what_conflicted(app, settings, clock, store, codes):
    other_process = bootstrap(settings, clock=clock)  # another API process, same database
    decided: list[str] = []
    decide = app.decide_redemption
    app.decide_redemption = lambda code, *rest: decided.append(code) or decide(code, *rest)

    def void_meanwhile() -> tuple[None, list]:
        other_process.void_coupon(codes[0], "withdrawn")  # after the batch read it
        return None, []

    outcomes = Outcomes(app)
    try:
        with one_batch(app, 4):
            outcomes.start(
                "void", lambda: app.once("void", None, dict, void_meanwhile, coalesce=True)
            )
            wait_until(lambda: app.writer.queue.qsize() == 1)
            for code in codes[:3]:
                outcomes.start(code, lambda code=code: app.redeem_coupon(code, store.id))
        results = outcomes.join()
    finally:
        other_process.close()

    assert results[codes[0]] == "coupon-voided"  # decided again on what the log now says
    assert results[codes[1]].status == results[codes[2]].status == "redeemed"
    assert outcomes.positions[codes[1]] == outcomes.positions[codes[2]]
    assert sorted(decided) == sorted([codes[0], *codes[:3]])
    assert [redeemed_events(app, code) for code in codes[:3]] == [0, 1, 1]


def test_a_change_made_by_another_process_is_seen_by_the_next_batch(
    app, settings, clock, store, codes
):
    app.redeem_coupon(codes[0], store.id)  # the writer now holds this coupon
    other_process = bootstrap(settings, clock=clock)
    try:
        other_process.reverse_redemption(codes[0], store.id)
    finally:
        other_process.close()

    assert app.redeem_coupon(codes[0], store.id).status == "redeemed"
    assert redeemed_events(app, codes[0]) == 2


def test_an_unexpected_error_reaches_its_caller_and_the_writer_carries_on(app, store, codes):
    def unsaveable() -> tuple[None, list]:
        return None, [IdempotencyRecord.record("test", "bad", {"value": object()})]

    def broken() -> tuple[None, list]:
        raise RuntimeError("a bug")

    outcomes = Outcomes(app)
    with one_batch(app, 2):
        outcomes.start("broken", lambda: app.once("t", None, dict, broken, coalesce=True))
        outcomes.start("redeem", lambda: app.redeem_coupon(codes[0], store.id))
    results = outcomes.join()
    assert isinstance(results["broken"], RuntimeError)
    assert results["redeem"].status == "redeemed"

    with pytest.raises(TypeError):  # the whole batch fails to save: its caller hears why
        app.once("t", None, dict, unsaveable, coalesce=True)
    assert app.redeem_coupon(codes[1], store.id).status == "redeemed"


def test_without_coalescing_each_command_has_its_own_transaction(database_url, clock):
    app = bootstrap(Settings(database_url=database_url, coalesce_writes=False), clock=clock)
    try:
        assert app.writer is None
        store = app.open_store("徐汇店", "上海")
        member = app.follow("o-naive")
        campaign = app.create_campaign(CampaignTerms("n", "scan_gift", Reward("coupon", "t", 1)))
        app.start_campaign(campaign.id)
        code = app.claim(campaign.id, member.member_id).code
        assert app.redeem_coupon(code, store.id, None, None, "k").status == "redeemed"
    finally:
        app.close()


def test_closing_the_application_stops_the_writer(settings, clock):
    app = bootstrap(settings, clock=clock)
    writer = app.writer
    app.close()
    assert not writer.thread.is_alive()
    assert not writer.accepts()
