"""`lianjie bench`: PostgreSQL, the API (N workers) and `lianjie project` started, a brand
seeded, each scenario run, and one table of figures with their ratios to the same run's
trivial-endpoint ceiling and naive (one transaction per command) baseline.

Order: the ceiling, redemptions (coalesced), campaign stock, wallet reads during
redemptions, the record day; then the API restarts with LIANJIE_COALESCE_WRITES=false for
the naive redemptions; then everything stops and `lianjie rebuild` replays the whole log.
With `target` (a running deployment, infra/deploy.sh) nothing is started: the brand is
seeded through LIANJIE_DATABASE_URL and the naive baseline is left out.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from infra.bench import processes, scenarios
from infra.bench.budget import budget
from infra.bench.recordday import Account, Mix
from infra.bench.scenarios import Bench, Row
from infra.bench.seed import Brand, Size, seed
from services.app import Lianjie
from services.bootstrap import bootstrap
from services.settings import Settings

SCENARIOS = ("ceiling", "redeem", "stock", "wallet", "recordday", "naive", "rebuild")
REDEMPTIONS_PER_SECOND_AT_MOST = 3000  # coupons seeded per second of --duration
SLOWER_REDEMPTIONS_AT_MOST = 1000  # naive, and alongside the wallet reads
WALLET_RATE, REDEEM_RATE_DURING_READS = 1000.0, 500.0


@dataclass(frozen=True)
class Options:
    workers: int = 2
    duration: float = 10.0
    requests: int = 100_000
    scenarios: tuple[str, ...] = SCENARIOS
    quick: bool = False
    scale: float = 1.0
    postgres_url: str | None = None
    target: str | None = None
    client: str = "raw"
    json_path: Path | None = None

    @classmethod
    def quick_run(cls, duration: float = 2.0, requests: int = 100, **given: Any) -> Options:
        """Tiny counts for a smoke run: every scenario in well under a minute."""
        return cls(duration=duration, requests=requests, quick=True, **given)

    def size(self) -> Size:
        # Three scenarios redeem fresh coupons: coalesced, during wallet reads, and naive.
        coalesced = min(self.requests, int(self.duration * REDEMPTIONS_PER_SECOND_AT_MOST))
        slower = min(self.requests, int(self.duration * SLOWER_REDEMPTIONS_AT_MOST))
        coupons = coalesced + 2 * slower
        if self.quick:
            return Size(tills=4, followers=40, coupons=coupons, stock=100)
        return Size(coupons=coupons, stock=5000)

    def mix(self) -> Mix:
        return Mix().scaled(0.001 if self.quick else self.scale)

    def rates(self) -> tuple[float, float]:
        return (100.0, 50.0) if self.quick else (WALLET_RATE, REDEEM_RATE_DURING_READS)


def run(options: Options, console: Console) -> list[Row]:
    """Run the chosen scenarios; print and return their rows."""
    unknown = set(options.scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenarios {sorted(unknown)}: choose from {SCENARIOS}")
    with ExitStack() as stack:
        logs = Path(tempfile.mkdtemp(prefix="lianjie-bench."))
        console.print(f"logs in {logs}")
        env, settings = stack.enter_context(environment(options))
        # A deployment's own processes are already among the server's open connections.
        started = 0 if options.target else options.workers
        plan = budget(settings, started, project=not options.target, harness=True)
        console.print(plan.table())
        if not plan.fits:
            raise RuntimeError("the connection budget does not fit this PostgreSQL")
        app = bootstrap(settings)
        stack.callback(app.close)
        with console.status("seeding the brand"):
            brand = seed(app, options.size())
        services = Services(options.workers, logs, console)
        stack.callback(services.stop)
        rows = run_scenarios(options, env, app, brand, services, console)
    table = render(rows, console)
    if options.json_path:
        options.json_path.write_text(json.dumps([asdict(row) for row in rows], indent=2))
    console.print(table)
    return rows


@contextmanager
def environment(options: Options) -> Iterator[tuple[dict[str, str], Settings]]:
    """The LIANJIE_* environment of the processes, on a fresh schema unless targeting."""
    if options.target:
        settings = Settings()
        if settings.rate_limits:
            raise RuntimeError("benchmark a deployment started with LIANJIE_RATE_LIMITS=off")
        yield {}, settings
        return
    with (
        processes.postgres(options.postgres_url) as server,
        processes.fresh_schema(server) as database_url,
    ):
        env = Account.fresh().env() | {
            "LIANJIE_DATABASE_URL": database_url,
            "LIANJIE_RATE_LIMITS": "off",
            "LIANJIE_CARD_SECRET": secrets.token_hex(16),
            "LIANJIE_COALESCE_WRITES": "true",
            # One load generator plays every follower's phone: no claim is held by device.
            "LIANJIE_CLAIM_DEVICE_MEMBERS": "0",
        }
        yield env, Settings(**{k.removeprefix("LIANJIE_").lower(): v for k, v in env.items()})


class Services:
    """The API (N workers) and the projector this run started; restartable with other env."""

    def __init__(self, workers: int, logs: Path, console: Console) -> None:
        self.workers, self.logs, self.console = workers, logs, console
        self.running = ExitStack()

    def start(self, env: dict[str, str], name: str = "api") -> str:
        self.stop()
        status = f"starting {name} ({self.workers} workers) and lianjie project"
        with self.console.status(status):
            projector = processes.projector(env, self.logs)
            self.running.enter_context(processes.running(projector))
            api, base_url = processes.api(env, self.workers, self.logs, name)
            self.running.enter_context(processes.running(api))
            projector.check_alive()
        return base_url

    def stop(self) -> None:
        self.running.close()


def run_scenarios(
    options: Options,
    env: dict[str, str],
    app: Lianjie,
    brand: Brand,
    services: Services,
    console: Console,
) -> list[Row]:
    chosen, rows = set(options.scenarios), []
    base_url = options.target or services.start(env)
    bench = Bench(app, base_url, brand, options.duration, options.requests, options.client)
    if not scenarios.wait_caught_up(app, scenarios.CAUGHT_UP_SECONDS):
        raise RuntimeError("the projections did not catch up with the seeded brand")
    account = account_of(options, env)
    size = options.size()
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("ceiling", lambda: [scenarios.ceiling(bench)]),
        ("redeem", lambda: [scenarios.redemptions(bench, "coalesced")]),
        ("stock", lambda: [scenarios.campaign_stock(bench, size.claims_per_follower, size.stock)]),
        ("wallet", lambda: scenarios.wallet_reads(bench, *options.rates())),
        ("recordday", lambda: [scenarios.the_record_day(bench, account, options.mix())]),
    ]
    for name, step in steps:
        if name in chosen:
            console.print(f"running {name}")
            rows += step()
    if not options.target and "naive" in chosen:
        bench.base_url = services.start(env | {"LIANJIE_COALESCE_WRITES": "false"}, "api-naive")
        console.print("running naive")
        rows.append(scenarios.redemptions(bench, "naive"))
    services.stop()
    if not options.target and "rebuild" in chosen:
        console.print("running rebuild")
        rows.append(scenarios.rebuild(env, services.logs))
    return rows


def account_of(options: Options, env: dict[str, str]) -> Account:
    """The WeChat keys the API checks pushes with: ours, or the deployment's settings."""
    if not options.target:
        return Account(
            env["LIANJIE_WECHAT_TOKEN"], env["LIANJIE_WECHAT_APPID"], env["LIANJIE_WECHAT_AES_KEY"]
        )
    settings = Settings()
    if not (settings.wechat_token and settings.wechat_appid and settings.wechat_aes_key):
        raise RuntimeError("targeting a deployment needs its LIANJIE_WECHAT_* keys in the env")
    return Account(
        settings.wechat_token.get_secret_value(),
        settings.wechat_appid,
        settings.wechat_aes_key.get_secret_value(),
    )


def render(rows: list[Row], console: Console) -> Table:
    ceiling = next((r.throughput for r in rows if r.scenario.startswith("trivial")), None)
    naive = next((r.throughput for r in rows if r.scenario.endswith("(naive)")), None)
    table = Table(title="lianjie bench")
    for column in ("scenario", "requests", "/s", "p50 ms", "p95 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for column in ("× ceiling", "× naive", "target", "checks"):
        table.add_column(column, justify="right" if column.startswith("×") else "left")
    for row in rows:
        table.add_row(*cells(row, ceiling, naive))
    for row in rows:
        for note in row.notes:
            console.print(f"{row.scenario}: {note}")
        if row.checks:
            console.print(f"{row.scenario}: checked " + ", ".join(row.checks))
    return table


def cells(row: Row, ceiling: float | None, naive: float | None) -> list[str]:
    latency = [f"{ms:.1f}" for ms in row.latency_ms] if row.latency_ms else ["—"] * 3
    met = {True: "[green]✓", False: "[red]✗", None: ""}[row.met]
    failed = [name for name, held in row.checks.items() if not held]
    checks = ("[red]✗ " + "; ".join(failed)) if failed else ("✓" if row.checks else "")
    return [
        row.scenario,
        f"{row.requests:,}",
        f"{row.throughput:,.0f}",
        *latency,
        str(row.errors),
        ratio(row.throughput, ceiling),
        ratio(row.throughput, naive),
        f"{row.target} {met}".strip(),
        checks,
    ]


def ratio(value: float, reference: float | None) -> str:
    return f"{value / reference:.2f}" if reference else "—"
