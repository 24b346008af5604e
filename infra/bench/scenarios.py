"""The benchmark's scenarios: each sends its load and checks what the log then holds."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID, uuid4

from domain.coupon import Coupon
from domain.inbound import InboundMessage
from infra.bench import processes
from infra.bench.load import Call, Result, Target, closed_loop, open_loop, run_async
from infra.bench.recordday import Account, Mix, record_day
from infra.bench.seed import Brand
from projections.catalog import all_views
from projections.runner import ProjectionRunner
from services.app import Lianjie
from services.policies import Policies

CONCURRENCY = 64
TWIN_EVERY = 10  # one coupon in ten also gets a racing second redemption (another key)
CAUGHT_UP_SECONDS = 600


@dataclass
class Row:
    """One line of the table: a load's figures, its target and the checks that held."""

    scenario: str
    requests: int
    seconds: float
    errors: int = 0
    latency_ms: tuple[float, float, float] | None = None  # p50, p95, p99
    statuses: dict[int, int] = field(default_factory=dict)
    target: str = ""
    met: bool | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, scenario: str, result: Result, target: str = "") -> Row:
        percentiles = tuple(result.percentile_ms(q) for q in (0.50, 0.95, 0.99))
        return cls(
            scenario,
            result.requests,
            result.seconds,
            result.errors,
            percentiles,
            dict(sorted(result.statuses.items())),
            target,
        )

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Bench:
    """What every scenario runs against: the API, the store behind it, the seeded brand."""

    app: Lianjie
    base_url: str
    brand: Brand
    duration: float
    requests: int
    client: str
    coupons: Iterator[str] = field(init=False)

    def __post_init__(self) -> None:
        self.coupons = iter(self.brand.coupons)  # each coupon is redeemed by one scenario

    @property
    def target(self) -> Target:
        return Target(self.base_url, self.client)


def ceiling(bench: Bench) -> Row:
    """GET /healthz: the cheapest endpoint (one query), what the stack answers at best."""
    calls = itertools.repeat(Call("GET", "/healthz"), bench.requests)
    result = run_async(
        closed_loop(bench.target, calls, concurrency=CONCURRENCY, duration=bench.duration)
    )
    return Row.of("trivial endpoint (GET /healthz)", result)


def redemption_calls(bench: Bench) -> Iterator[Call]:
    """Till redemptions of fresh coupons, each with its own key; every TWIN_EVERY-th coupon
    is sent again at once with another key, as a second till would."""
    tills = itertools.cycle(bench.brand.till_tokens)
    for number, code in enumerate(bench.coupons):
        for twin in range(2 if number % TWIN_EVERY == 0 else 1):
            headers = (
                ("Authorization", f"Bearer {next(tills)}"),
                ("Idempotency-Key", f"bench-{uuid4().hex}"),
                ("Content-Type", "application/json"),
            )
            body = json.dumps({"order_ref": f"POS-{number}-{twin}"}).encode()
            yield Call("POST", f"/api/till/coupons/{code}/redeem", headers, body)


def redemptions(bench: Bench, label: str) -> Row:
    """Coupons redeemed over HTTP at the till; then exactly-once is checked in the log."""
    before = redeemed_counts(bench.app)
    calls = itertools.islice(redemption_calls(bench), bench.requests)
    load = closed_loop(
        bench.target, calls, concurrency=CONCURRENCY, duration=bench.duration, expected=(200, 409)
    )
    result = run_async(load)
    row = Row.of(f"coupon redemptions ({label})", result, "≥ 2,000/s, p99 < 50 ms")
    row.met = result.throughput >= 2000 and result.percentile_ms(0.99) < 50
    row.checks = exactly_once(bench.app, before, result)
    return row


def redeemed_counts(app: Lianjie) -> Counter[UUID]:
    return Counter(n.originator_id for n in app.notifications_of(Coupon.Redeemed))


def exactly_once(app: Lianjie, before: Counter[UUID], result: Result) -> dict[str, bool]:
    after = redeemed_counts(app)
    return {
        "Redeemed events = 2xx": sum(after.values()) - sum(before.values()) == result.count(200),
        "no coupon redeemed twice": all(count == 1 for count in after.values()),
    }


def campaign_stock(bench: Bench, claims_per_follower: int, stock: int) -> Row:
    """Every follower claims the stock campaign `claims_per_follower` times, all at once."""
    campaign = bench.brand.stock_campaign
    calls = (
        Call(
            "POST",
            f"/api/me/campaigns/{campaign}/claim",
            (("Authorization", f"Bearer {f.token}"), ("Idempotency-Key", uuid4().hex)),
        )
        for _ in range(claims_per_follower)
        for f in bench.brand.followers
    )
    claims = claims_per_follower * len(bench.brand.followers)
    load = closed_loop(
        bench.target,
        calls,
        concurrency=CONCURRENCY,
        duration=CAUGHT_UP_SECONDS,
        expected=(201, 409),
    )
    result = run_async(load)
    issued = sum(1 for event in bench.app.logged(Coupon.Issued) if event.campaign_id == campaign)
    row = Row.of(f"campaign stock: {claims:,} claims, {stock:,} units", result, "≥ 1,000 claims/s")
    row.met = result.throughput >= 1000
    row.checks = {
        f"exactly {stock:,} coupons": issued == stock == result.count(201),
        "every claim answered": result.requests == claims,
    }
    return row


def wallet_reads(bench: Bench, rate: float, redemption_rate: float) -> list[Row]:
    """Followers' wallets read at `rate` per second while tills redeem at `redemption_rate`."""
    followers = itertools.cycle(bench.brand.followers)
    reads = (
        Call("GET", "/api/me/wallet", (("Authorization", f"Bearer {next(followers).token}"),))
        for _ in range(bench.requests)
    )
    before = redeemed_counts(bench.app)
    redeeming = itertools.islice(redemption_calls(bench), bench.requests)

    async def both() -> tuple[Result, Result]:
        return await asyncio.gather(
            open_loop(bench.target, reads, rate=rate, duration=bench.duration),
            open_loop(
                bench.target,
                redeeming,
                rate=redemption_rate,
                duration=bench.duration,
                expected=(200, 409),
            ),
        )

    read, redeemed = run_async(both())
    row = Row.of(f"wallet reads at {rate:,.0f}/s", read, "p99 < 20 ms")
    row.met = read.percentile_ms(0.99) < 20 and read.throughput >= 0.95 * rate
    background = Row.of(f"  while redeeming at {redemption_rate:,.0f}/s", redeemed)
    background.checks = exactly_once(bench.app, before, redeemed)
    return [row, background]


RECORD_DAY_SECONDS = 120


def the_record_day(bench: Bench, account: Account, mix: Mix) -> Row:
    """The record day through /wechat/callback, then until every projection has caught up."""
    prepared = time.perf_counter()
    calls = record_day(account, mix, [bench.brand.store_id], bench.app.now(), uuid4().hex[:6])
    prepared = time.perf_counter() - prepared
    received = bench.app.count_events(InboundMessage.Received)
    started = time.perf_counter()
    load = closed_loop(bench.target, calls, concurrency=CONCURRENCY, duration=CAUGHT_UP_SECONDS)
    result = run_async(load)
    caught_up = wait_caught_up(bench.app, CAUGHT_UP_SECONDS)
    total = time.perf_counter() - started
    # The target is the whole day in 2 minutes: a part of the day gets its share of them.
    allowed = RECORD_DAY_SECONDS * mix.total / Mix().total
    row = Row.of(
        f"record day: {mix.follows:,} follows + {mix.interactions:,} more",
        result,
        f"≤ {allowed:,.0f} s",
    )
    row.met = caught_up and total <= allowed
    row.notes = [
        f"every projection caught up {total:.1f} s after the first push "
        f"(replay {result.seconds:.1f} s); pushes sealed beforehand in {prepared:.1f} s"
    ]
    row.checks = {
        "every push recorded once": bench.app.count_events(InboundMessage.Received) - received
        == result.count(200),
        "projections caught up": caught_up,
    }
    return row


def wait_caught_up(app: Lianjie, timeout: float) -> bool:
    """Until every view has reached the log's head and the policies have nothing left."""
    views, policies = ProjectionRunner(app, all_views()), Policies(app)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(view.lag == 0 for view in views.status()) and not policies.next_batch():
            return True
        time.sleep(0.05)
    return False


REPLAYED = re.compile(r"to position ([\d,]+) in ([\d.]+) s")


def rebuild(env: dict[str, str], logs: Path) -> Row:
    """`lianjie rebuild` of every view over the whole log (the projection process stopped)."""
    printed = " ".join(processes.rebuild(env, logs).split())
    found = REPLAYED.search(printed)
    if not found:
        raise RuntimeError(f"unexpected `lianjie rebuild` output: {printed[-500:]}")
    events, seconds = int(found[1].replace(",", "")), float(found[2])
    row = Row("projection rebuild (events)", events, seconds, target="≥ 20,000 events/s")
    row.met = row.throughput >= 20_000
    return row
