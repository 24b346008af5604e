"""In-process write benchmark: coupon redemptions and campaign claims per second on PostgreSQL,
coalesced (the writer, services/app/coalescing.py) against naive (one transaction per command).

Run from the repository root:

    .venv/bin/python -m infra.bench.writes --postgres URL
    .venv/bin/python -m infra.bench.writes --postgres URL --redemptions 20000 --threads 128
    .venv/bin/python -m infra.bench.writes --postgres URL --modes coalesced --profile /tmp/w.prof
    # (--profile: cProfile of the writer thread's batches)

Each mode gets a fresh schema (dropped at the end) holding one store, `--redemptions`
issued coupons and `--claims` following members, all written in bulk. Then `--threads`
threads (the HTTP worker threads' stand-in) redeem every coupon once, with an
idempotency key as the till sends, and then claim a campaign holding half as many units
as there are claimers (the burst race: exactly that many coupons must be issued). Each
call is timed; the table shows commands per second, p50/p99 latency and how many
transactions (distinct log positions) the successful commands took, and the process's
CPU time per command (PostgreSQL's own CPU not included): on a busy machine that is the
steadier figure.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from domain.campaign import CampaignTerms, Reward
from domain.codes import new_coupon_code
from domain.coupon import Coupon
from domain.errors import DomainError
from domain.member import Attribution, Member
from domain.points import PointsAccount
from infra.bench.processes import fresh_schema
from services.app import Lianjie
from services.bootstrap import bootstrap
from services.settings import Settings

CHUNK = 500


@dataclass
class Run:
    """One scenario in one mode: each call's latency and outcome, the positions written."""

    mode: str
    scenario: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    writer_cpu_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    refused: int = 0
    positions: set[int] = field(default_factory=set)

    @property
    def done(self) -> int:
        return len(self.latencies_ms) - self.refused

    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def row(self) -> str:
        return (
            f"| {self.mode} | {self.scenario} | {len(self.latencies_ms)} | {self.done} "
            f"| {self.per_second():,.0f} | {self.percentile(0.5):.1f} "
            f"| {self.percentile(0.99):.1f} | {len(self.positions)} "
            f"| {self.cpu_seconds / len(self.latencies_ms) * 1e6:.0f} "
            f"| {self.writer_cpu_seconds / len(self.latencies_ms) * 1e6:.0f} |"
        )


def save_in_chunks(app: Lianjie, aggregates: Iterable) -> None:
    chunk = []
    for aggregate in aggregates:
        chunk.append(aggregate)
        if len(chunk) == CHUNK:
            app.save(*chunk)
            chunk = []
    app.save(*chunk)


def issue_coupons(app: Lianjie, count: int) -> list[str]:
    campaign = app.create_campaign(CampaignTerms("bench", "scan_gift", Reward("coupon", "¥5", 500)))
    now = datetime.now(UTC)
    window = (now - timedelta(days=1), now + timedelta(days=30))
    coupons = [
        Coupon.issue(new_coupon_code(), campaign.id, uuid4(), "¥5", 500, window, None)
        for _ in range(count)
    ]
    save_in_chunks(app, coupons)
    return [coupon.code for coupon in coupons]


def follow_members(app: Lianjie, count: int) -> list[UUID]:
    now = datetime.now(UTC)
    members = [Member.follow(f"o-bench-{uuid4().hex}", Attribution(), now) for _ in range(count)]
    save_in_chunks(app, (a for m in members for a in (m, PointsAccount.open(m.id))))
    return [member.id for member in members]


def race(
    app: Lianjie,
    run: Run,
    items: list,
    call: Callable[[object], object],
    threads: int,
    writer_clock: ThreadClock,
) -> Run:
    def timed(item: object) -> tuple[float, bool, int]:
        started = time.perf_counter()
        try:
            call(item)
            refused = False
        except DomainError:
            refused = True
        return (time.perf_counter() - started) * 1000, refused, app.last_position()

    started, cpu_started = time.perf_counter(), time.process_time()
    writer_started = writer_clock.seconds
    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(timed, items))
    run.seconds = time.perf_counter() - started
    run.cpu_seconds = time.process_time() - cpu_started
    run.writer_cpu_seconds = writer_clock.seconds - writer_started
    for latency, refused, position in outcomes:
        run.latencies_ms.append(latency)
        run.refused += refused
        if not refused:
            run.positions.add(position)
    return run


class ThreadClock:
    """CPU time spent inside a wrapped call, on whichever thread runs it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, call: Callable) -> Callable:
        def run(*args, **kwargs):
            started = time.thread_time()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - started

        return run


def profiled(call: Callable, profile: cProfile.Profile) -> Callable:
    def run(*args, **kwargs):
        profile.enable()
        try:
            return call(*args, **kwargs)
        finally:
            profile.disable()

    return run


def instrumented(mode: str, url: str, profile: cProfile.Profile | None) -> tuple:
    """The application for a mode, with its writer's batches timed (and profiled)."""
    settings = Settings(
        database_url=url,
        coalesce_writes=mode == "coalesced",
        db_pool_size=50,  # the naive mode needs one connection per thread
        db_pool_overflow=50,
        db_pool_wait_seconds=5,
    )
    app = bootstrap(settings)
    writer_clock = ThreadClock()
    if app.writer:
        app.writer.run_batch = writer_clock.wrap(app.writer.run_batch)
    if profile and app.writer:  # cProfile sees one thread: the writer's batches
        app.writer.run_batch = profiled(app.writer.run_batch, profile)
    return app, writer_clock


def redemptions(app: Lianjie, mode: str, count: int, threads: int, clock: ThreadClock) -> Run:
    """Every coupon redeemed once, keyed as the till sends it."""
    store = app.open_store("压测店", "上海")
    codes = issue_coupons(app, count)

    def redeem(code: object) -> object:
        return app.redeem_coupon(str(code), store.id, None, None, f"key-{code}")

    return race(app, Run(mode, "redeem"), codes, redeem, threads, clock)


def stock_race(app: Lianjie, mode: str, claimers: int, threads: int, clock: ThreadClock) -> Run:
    """`claimers` followers claim a campaign holding half as many units: exactly that many
    coupons must be issued."""
    members = follow_members(app, claimers)
    units = claimers // 2
    terms = CampaignTerms("burst", "lucky_draw", Reward("coupon", "¥10", 1000), stock=units)
    campaign = app.create_campaign(terms)
    app.start_campaign(campaign.id)
    issued_before = app.count_events(Coupon.Issued)
    run = Run(mode, f"claim ({units} units)")
    race(app, run, members, lambda m: app.claim(campaign.id, m), threads, clock)
    issued = app.count_events(Coupon.Issued) - issued_before
    if issued != units or run.done != units:
        raise SystemExit(f"{mode}: {issued} coupons issued for {units} units")
    return run


def print_table(runs: list[Run]) -> None:
    print(
        "| mode | scenario | commands | succeeded | per s | p50 ms | p99 ms | transactions "
        "| CPU µs/command | writer CPU µs/command |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(run.row())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True, help="postgresql:// URL of a server")
    parser.add_argument("--redemptions", type=int, default=5000)
    parser.add_argument("--claims", type=int, default=4000, help="claimers; units are half")
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--modes", default="coalesced,naive")
    parser.add_argument("--profile", help="write a cProfile of the writer's batches here")
    args = parser.parse_args()
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    runs: list[Run] = []
    for mode in args.modes.split(","):
        with fresh_schema(args.postgres) as url:
            app, clock = instrumented(mode, url, profile)
            try:
                if args.redemptions:
                    runs.append(redemptions(app, mode, args.redemptions, args.threads, clock))
                if args.claims:
                    runs.append(stock_race(app, mode, args.claims, args.threads, clock))
            finally:
                app.close()
    print_table(runs)
    if profile:
        profile.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
