"""Projection benchmark: log generation, full rebuild speed and live lag, SQLite and PostgreSQL.

Run from the repository root:

    .venv/bin/python -m infra.bench.projections --quick            # ~100k events, a smoke run
    .venv/bin/python -m infra.bench.projections --members 150000 --followers none  # ~1M, rebuilds
    .venv/bin/python -m infra.bench.projections                    # 300,000 members, ~2M events
    .venv/bin/python -m infra.bench.projections --backends postgres --postgres-url URL

1. Generates a simulated brand's log (infra/bench/loggen.py: 200 stores, members who
   follow through posters, campaigns and shares, claim, redeem, buy, share, exchange
   points…) into a fresh SQLite file, then copies the very same log (same bytes, same
   notification ids) into a fresh PostgreSQL schema with COPY. Without
   --postgres-url, a throwaway server is started with infra/postgres.sh and stopped
   at the end; with it, a fresh schema is created there and dropped at the end.
2. Catches every view up from an empty store (the views' tables made then, indexes
   and all, as `lianjie project` does on a new deployment or after a long stop), then
   rebuilds every view (projections.catalog.all_views) on each store from scratch, in
   --jobs processes (services/replaying.py, what `lianjie rebuild` does; one per two
   cores by default), or with --jobs 1 in this process (which --profile needs).
3. Live lag: runs a follower process on the store while a writer appends a new
   cohort's activity at a steady rate, and polls the views' tracking positions
   every few milliseconds. An event's lag is the time from its commit (the writer's
   save returned) until every view's position covers its notification id. The
   followers: `worker` is the real `lianjie project` (the views on its main thread,
   the policies on another); `views` is the views alone (the framework's own lag).
   Everything is local and bounded in time.
4. With --ceiling, the work no rebuild can skip, timed on one thread after the rebuild:
   reading and decoding the log, then that and every view's handlers (their lookups
   included) with nothing written. All of it runs under one GIL, so events per CPU
   second of that thread is the most a rebuild in one process can reach, however its
   writes are made.

Prints a table at the end. --profile writes a pyinstrument profile of the
PostgreSQL rebuild (pip install pyinstrument; it is not a project dependency).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import psycopg
from eventsourcing.persistence import Tracking

from infra.bench.loggen import LogGenerator, Shape
from infra.bench.processes import fresh_schema, postgres
from projections.catalog import all_views
from projections.runner import REBUILD_BATCH_SIZE, Lookups, ProjectionRunner, collector_paused
from services.app import Lianjie
from services.bootstrap import bootstrap
from services.policies import TRACKING_NAME
from services.replaying import DEFAULT_JOBS, catch_up_views, rebuild_views
from services.settings import Settings, pop_query_param

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Live:
    """One live run: which process followed the log, what was written, the lags."""

    follower: str  # "worker" (lianjie project) or "views" (the views alone)
    lag_ms: list[float] = field(default_factory=list)
    events: int = 0
    seconds: float = 0.0

    def lag(self, q: float) -> float:
        if not self.lag_ms:
            return float("nan")
        ordered = sorted(self.lag_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Result:
    backend: str
    events: int = 0
    rebuild_seconds: float = 0.0
    rebuild_cpu: float = 0.0
    catch_up_seconds: float = 0.0
    jobs: int = 1
    handled: int = 0
    live: list[Live] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    read_cpu: float = 0.0  # --ceiling: reading and decoding the log, CPU seconds
    handle_cpu: float = 0.0  # --ceiling: the views' handlers on it, nothing written

    @property
    def rebuild_rate(self) -> float:
        return per_second(self.events, self.rebuild_seconds)

    @property
    def catch_up_rate(self) -> float:
        return per_second(self.events, self.catch_up_seconds)

    @property
    def read_rate(self) -> float:  # --ceiling: events per CPU second, reading and decoding
        return per_second(self.events, self.read_cpu)

    @property
    def handled_rate(self) -> float:  # --ceiling: the same with the views' handlers too
        return per_second(self.events, self.read_cpu + self.handle_cpu)


def per_second(events: int, seconds: float) -> float:
    return events / seconds if seconds else 0.0


def say(text: str) -> None:
    print(text, flush=True)


# ---------------------------------------------------------------------- stores


@contextmanager
def postgres_base(args: argparse.Namespace) -> Iterator[str | None]:
    """A PostgreSQL base URL: none, the one given, or a throwaway local server's."""
    if "postgres" not in args.backends or args.postgres_url:
        yield args.postgres_url
        return
    say("starting a throwaway PostgreSQL")
    with postgres(None) as url:
        yield url


def copy_log(sqlite_path: Path, app: Lianjie, url: str) -> tuple[int, float]:
    """Copy every stored event, ids included, and the members' data keys (without them
    every sealed field reads as erased) from a SQLite file into a PostgreSQL app."""
    recorder = app.recorder
    schema, table = recorder.datastore.schema, recorder.events_table_name
    target = f'"{schema}"."{table}"'
    started = time.perf_counter()
    source = sqlite3.connect(sqlite_path)
    copied = 0
    columns = "notification_id, originator_id, originator_version, topic, state"
    _, base = pop_query_param(url, "schema")
    with psycopg.connect(base) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for row in source.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events ORDER BY rowid"
            ):
                copy.write_row(row)
                copied += 1
        keys = f'"{schema}".member_data_keys'
        with cursor.copy(
            f"COPY {keys} (key_id, member_id, data_key, created_at) FROM STDIN"
        ) as copy:
            for row in source.execute(
                "SELECT key_id, member_id, data_key, created_at FROM member_data_keys"
            ):
                copy.write_row(row)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{target}', 'notification_id'), "
            f"(SELECT max(notification_id) FROM {target}))"
        )
        cursor.execute(f"ANALYZE {target}")
    source.close()
    return copied, time.perf_counter() - started


def open_app(url: str) -> Lianjie:
    return bootstrap(Settings(database_url=url))


# ------------------------------------------------------------------ generation


def generate(app: Lianjie, shape: Shape) -> LogGenerator:
    generator = LogGenerator(app, shape)
    generator.setup()
    last = [time.perf_counter()]

    def progress(written: int) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            rate = written / generator.seconds if generator.seconds else 0
            say(f"  … {written:,} events, {rate:,.0f}/s")

    generator.write_all(progress, step=20_000)
    return generator


# --------------------------------------------------------------------- rebuild


def rebuild(
    app: Lianjie, url: str, result: Result, args: argparse.Namespace, workdir: Path
) -> None:
    """Every view rebuilt: in this process (so it can be profiled), or in `--jobs` processes."""
    result.events = app.recorder.max_notification_id() or 0
    started, cpu = time.perf_counter(), process_and_children_cpu()
    if args.jobs > 1:
        done = rebuild_views(Settings(database_url=url), [], args.jobs)
        result.handled, result.jobs = done.read, len(done.groups)
    else:
        runner = ProjectionRunner(app, all_views(), rebuild_batch_size=args.batch_size)
        profile_to = workdir / f"rebuild-{result.backend}.txt" if args.profile else None
        with profiled(profile_to, result.notes):
            result.handled = runner.rebuild()
    result.rebuild_seconds = time.perf_counter() - started
    result.rebuild_cpu = process_and_children_cpu() - cpu


def ceiling(app: Lianjie, result: Result, args: argparse.Namespace) -> None:
    """The CPU a rebuild cannot skip, on this thread: reading and decoding the log, and
    every view's handlers on it (lookups included), with nothing written."""
    runner = ProjectionRunner(app, all_views(), batch_size=args.batch_size)
    head, start = app.recorder.max_notification_id() or 0, 0
    with collector_paused():  # as a rebuild runs
        while start < head:
            reading = time.thread_time()
            page = runner.read(start, head)
            handling = time.thread_time()
            with Lookups(runner.db, runner.settle) as lookups:
                for view in runner.views:
                    runner.handled(view, page, start, lookups)
            result.read_cpu += handling - reading
            result.handle_cpu += time.thread_time() - handling
            start = page.end


def process_and_children_cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextmanager
def profiled(profile_to: Path | None, notes: list[str]) -> Iterator[None]:
    """A pyinstrument profile of the block written to `profile_to`, when given."""
    if profile_to is None:
        yield
        return
    try:
        from pyinstrument import Profiler
    except ImportError:
        notes.append("--profile needs pyinstrument (pip install pyinstrument)")
        yield
        return
    profiler = Profiler(interval=0.002)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        profile_to.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        notes.append(f"profile of the rebuild: {profile_to}")


# -------------------------------------------------------------------- live lag


class PositionPoller(threading.Thread):
    """Reads every view's tracking position every `interval` s: (time, lowest position)."""

    def __init__(self, app: Lianjie, url: str, interval: float) -> None:
        super().__init__(daemon=True)
        runner = ProjectionRunner(app, all_views())
        self.names = [view.name for view in runner.views]
        self.table = runner.db.tracking_table
        self.postgres = runner.db.postgres
        self.url = url
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        marks = ", ".join(["%s"] * len(self.names))
        if self.postgres:
            schema, base = pop_query_param(self.url, "schema")
            conn = psycopg.connect(base, autocommit=True)
            query = (
                f'SELECT min(notification_id), count(*) FROM "{schema}"."{self.table}" '
                f"WHERE application_name IN ({marks})"
            )
        else:
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30)
            query = (
                f"SELECT min(notification_id), count(*) FROM {self.table} "
                f"WHERE application_name IN ({marks.replace('%s', '?')})"
            )
        try:
            while not self.stopped.is_set():
                lowest, found = conn.execute(query, self.names).fetchone()
                position = lowest if found == len(self.names) else 0
                self.samples.append((time.perf_counter(), position or 0))
                time.sleep(self.interval)
        finally:
            conn.close()

    def seen_at(self, commits: list[tuple[float, list[int]]]) -> list[float]:
        """For each committed event: ms from commit until the views' position covered it."""
        lags, index, samples = [], 0, self.samples
        for committed_at, ids in commits:
            for notification_id in ids:
                while index < len(samples) and samples[index][1] < notification_id:
                    index += 1
                if index == len(samples):
                    return lags
                lags.append(max(0.0, samples[index][0] - committed_at) * 1000)
        return lags


def follower_process(follower: str, url: str, log: Path) -> subprocess.Popen:
    """`lianjie project` (views; policies and outbox on threads), or the views alone."""
    if follower == "worker":
        command = [str(Path(sys.executable).parent / "lianjie"), "project"]
        if not Path(command[0]).exists():
            command = [sys.executable, "-c", "from services.cli import app; app()", "project"]
    else:
        command = [sys.executable, "-m", "infra.bench.projections", "--follow-views"]
    env = {**os.environ, "LIANJIE_DATABASE_URL": url}
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def follow_views() -> int:
    """The views alone following the log the way Worker.run_forever does, until SIGTERM."""
    from threading import Event

    from projections.wakeup import wakeup_for

    app = bootstrap(Settings())
    runner = ProjectionRunner(app, all_views())
    stop = Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with wakeup_for(app, 0.02) as wakeup:
            while not stop.is_set():
                if not runner.run_once():
                    wakeup.wait(timeout=0.5)
    finally:
        app.close()
    return 0


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def live_lag(app: Lianjie, url: str, live: Live, args: argparse.Namespace, backend: str) -> None:
    """Steady writes while a follower process follows; per-event commit→visible lag."""
    head = app.recorder.max_notification_id() or 0
    # The views are at the head (just rebuilt); the policies' effects are in the log
    # already (the generator saved them), so start the policies at the head too.
    tracking = app.factory.tracking_recorder()
    if (tracking.max_tracking_id(TRACKING_NAME) or 0) < head:
        tracking.insert_tracking(Tracking(TRACKING_NAME, head))
    runner = ProjectionRunner(app, all_views())
    log = Path(args.workdir) / f"{live.follower}-{backend}.log"
    worker = follower_process(live.follower, url, log)
    try:
        # A new cohort whose lives run 500 times faster than the main log's, so the
        # live mix has claims, redemptions, purchases and shares, not only follows.
        cohort = LogGenerator(
            app,
            Shape(
                members=max(2_000, int(args.live_rate * args.live_seconds / 5)),
                stores=10,
                days=0.05,
                seed=args.seed + 1,
                chunk=args.live_chunk,
                openid_prefix=f"live-{uuid4().hex[:6]}",
                tempo=0.002,
            ),
        )
        cohort.setup()
        target = app.recorder.max_notification_id() or 0

        def caught_up() -> bool:
            if worker.poll() is not None:
                raise RuntimeError(f"the {live.follower} process exited: see {log}")
            return min(runner.positions().values()) >= target

        wait_until(caught_up, 120, "the projection process did not catch up before the run")
        poller = PositionPoller(app, url, args.poll_interval)
        commits: list[tuple[float, list[int]]] = []
        cohort.on_save = lambda ids: commits.append((time.perf_counter(), ids))
        poller.start()
        period = args.live_chunk / args.live_rate
        started = time.perf_counter()
        next_write = started
        while time.perf_counter() - started < args.live_seconds:
            cohort.write(args.live_chunk, chunk=args.live_chunk)
            next_write += period
            pause = next_write - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        live.seconds = time.perf_counter() - started
        live.events = sum(len(ids) for _, ids in commits)
        target = max(commits[-1][1]) if commits else target
        wait_until(caught_up, 120, "the projection process did not catch up after the run")
        time.sleep(args.poll_interval * 3)
        poller.stopped.set()
        poller.join()
        live.lag_ms = poller.seen_at(commits)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()


# ------------------------------------------------------------------------ main


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m infra.bench.projections",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--members", type=int, default=300_000, help="simulated members")
    parser.add_argument("--stores", type=int, default=200, help="simulated stores")
    parser.add_argument("--days", type=float, default=30.0, help="simulated days of arrivals")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 15,000 members (~100k events), 10 s live"
    )
    parser.add_argument(
        "--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    parser.add_argument(
        "--postgres-url", help="use this server (a fresh schema is made and dropped)"
    )
    parser.add_argument("--workdir", help="where the SQLite file and logs go (a temp dir)")
    parser.add_argument(
        "--batch-size", type=int, default=REBUILD_BATCH_SIZE, help="rebuild batch size"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="processes rebuilding at once (1: in this process, and --profile works)",
    )
    parser.add_argument("--chunk", type=int, default=500, help="events per save when generating")
    parser.add_argument("--live-rate", type=float, default=1000.0, help="events/s while live")
    parser.add_argument("--live-seconds", type=float, default=25.0)
    parser.add_argument("--live-chunk", type=int, default=10, help="events per save while live")
    parser.add_argument("--poll-interval", type=float, default=0.003, help="seconds")
    parser.add_argument(
        "--followers",
        default="worker,views",
        help="live runs, comma-separated: worker (lianjie project), views (the views alone); "
        "none to skip",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile each rebuild (needs pyinstrument)"
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="after each rebuild, time reading, decoding and handling the log with no writes",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.members = min(args.members, 15_000)
        args.live_seconds = min(args.live_seconds, 10.0)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.followers = [f.strip() for f in args.followers.split(",") if f.strip() not in ("", "none")]
    if set(args.followers) - {"worker", "views"}:
        parser.error("followers are worker and/or views")
    unknown = set(args.backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sys.setswitchinterval(0.0005)  # let the position poller run between the writer's steps
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="lianjie-bench.")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sqlite_path = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        with suppress(FileNotFoundError):
            Path(f"{sqlite_path}{suffix}").unlink()
    sqlite_url = f"sqlite:///{sqlite_path}"
    shape = Shape(
        members=args.members, stores=args.stores, days=args.days, seed=args.seed, chunk=args.chunk
    )
    say(f"generating: {shape.members:,} members, {shape.stores} stores, {shape.days:g} days")
    source = open_app(sqlite_url)
    generator = generate(source, shape)
    summary = generator.summary()
    say(
        f"generated {summary['events']:,} events in {summary['seconds']:.1f} s "
        f"({summary['rate']:,.0f} events/s, {summary['saves']:,} saves) into SQLite"
    )
    mix = ", ".join(f"{topic} {n:,}" for topic, n in list(summary["by_topic"].items())[:12])
    say(f"mix: {mix}")
    results: list[Result] = []
    copy_note = ""
    with ExitStack() as stack:
        base = stack.enter_context(postgres_base(args))
        apps: dict[str, tuple[Lianjie, str]] = {}
        for backend in args.backends:  # every store holds the same log before any live run
            if backend == "sqlite":
                apps[backend] = (source, sqlite_url)
                continue
            assert base is not None
            url = stack.enter_context(fresh_schema(base))
            app = open_app(url)
            stack.callback(app.close)
            copied, seconds = copy_log(sqlite_path, app, url)
            copy_note = f"copied into PostgreSQL with COPY: {copied / seconds:,.0f} rows/s"
            say(copy_note)
            apps[backend] = (app, url)
        for backend in args.backends:
            result = Result(backend)
            results.append(result)
            app, url = apps[backend]
            run_backend(app, url, result, args, workdir)
    source.close()
    report(summary, results, copy_note, args)
    return 0


def run_backend(
    app: Lianjie, url: str, result: Result, args: argparse.Namespace, workdir: Path
) -> None:
    result.events = app.recorder.max_notification_id() or 0
    say(f"[{result.backend}] catching up from an empty store, as `lianjie project` would …")
    done = catch_up_views(Settings(database_url=url), args.jobs, threading.Event())
    result.catch_up_seconds = done.seconds
    say(
        f"[{result.backend}] caught up {done.head:,} events in {done.seconds:.1f} s: "
        f"{result.catch_up_rate:,.0f} events/s"
    )
    say(f"[{result.backend}] rebuilding every view …")
    rebuild(app, url, result, args, workdir)
    say(
        f"[{result.backend}] rebuilt {result.events:,} events ({result.handled:,} read by views) "
        f"in {result.rebuild_seconds:.1f} s: {result.rebuild_rate:,.0f} events/s"
    )
    if args.ceiling:
        say(f"[{result.backend}] timing the rebuild's ceiling: reading and handling, no writes …")
        ceiling(app, result, args)
        say(f"[{result.backend}] {ceiling_line(result)}")
    for follower in args.followers:
        live = Live(follower)
        result.live.append(live)
        say(
            f"[{result.backend}] live, followed by {follower}: {args.live_rate:g} events/s "
            f"for {args.live_seconds:g} s …"
        )
        live_lag(app, url, live, args, result.backend)
        say(
            f"[{result.backend}] {follower}: lag p50 {live.lag(0.5):.1f} ms, "
            f"p95 {live.lag(0.95):.1f} ms, p99 {live.lag(0.99):.1f} ms"
        )


def ceiling_line(result: Result) -> str:
    return (
        f"ceiling, events per CPU second of one thread: reading and decoding "
        f"{result.read_rate:,.0f} ({result.read_cpu:.1f} s); with the views' handlers, nothing "
        f"written {result.handled_rate:,.0f} ({result.read_cpu + result.handle_cpu:.1f} s)"
    )


def report(summary: dict, results: list[Result], copy_note: str, args: argparse.Namespace) -> None:
    say("")
    say(f"log: {summary['events']:,} events, {summary['members']:,} members, {args.stores} stores")
    say(f"generation: {summary['rate']:,.0f} events/s into SQLite ({summary['saves']:,} saves)")
    if copy_note:
        say(copy_note)
    header = (
        f"{'store':<10} {'events':>10} {'processes':>9} {'catch-up/s':>10} {'rebuild s':>10} "
        f"{'events/s':>10} {'cpu s':>7}"
    )
    say(header)
    say("-" * len(header))
    for r in results:
        say(
            f"{r.backend:<10} {r.events:>10,} {r.jobs:>9} {r.catch_up_rate:>10,.0f} "
            f"{r.rebuild_seconds:>10.1f} "
            f"{r.rebuild_rate:>10,.0f} {r.rebuild_cpu:>7.1f}"
        )
        for note in r.notes:
            say(f"  {r.backend}: {note}")
        if r.read_cpu:
            say(f"  {r.backend}: {ceiling_line(r)}")
    lives = [(r.backend, live) for r in results for live in r.live]
    if lives:
        say("")
        header = (
            f"{'store':<10} {'follower':<8} {'events':>8} {'ev/s':>7} {'p50 ms':>8} "
            f"{'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        )
        say(header)
        say("-" * len(header))
        for backend, live in lives:
            rate = live.events / live.seconds if live.seconds else 0
            peak = max(live.lag_ms) if live.lag_ms else float("nan")
            say(
                f"{backend:<10} {live.follower:<8} {live.events:>8,} {rate:>7,.0f} "
                f"{live.lag(0.5):>8.1f} {live.lag(0.95):>8.1f} {live.lag(0.99):>8.1f} {peak:>8.1f}"
            )
        say("(lag: from an event's commit until every view's tracking position covers it;")
        say(" worker = `lianjie project`: views, and policies on a thread; views = views alone)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--follow-views"]:
        raise SystemExit(follow_views())
    raise SystemExit(main())
