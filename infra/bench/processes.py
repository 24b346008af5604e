"""The processes a benchmark runs against: PostgreSQL, `lianjie serve`, `lianjie project`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_SH = ROOT / "infra" / "postgres.sh"
LIANJIE = [str(Path(sys.executable).with_name("lianjie"))]  # the installed command
READY_SECONDS = 60
STOP_SECONDS = 20


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """The server at `url`, or a throwaway one (infra/postgres.sh) stopped at the end."""
    if url:
        yield url
        return
    data = Path(tempfile.mkdtemp(prefix="lianjie-bench-pg.", dir="/tmp"))
    started = subprocess.run(
        [str(POSTGRES_SH), "start", str(data)], check=True, capture_output=True, text=True
    )
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(POSTGRES_SH), "stop", str(data)], check=False)


@contextmanager
def fresh_schema(base: str) -> Iterator[str]:
    """A schema of our own on the server (dropped at the end): earlier runs stay apart."""
    schema = f"bench_{uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A `lianjie` subcommand in a session of its own, its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("w") as out:
            self.popen = subprocess.Popen(
                [*LIANJIE, *args],
                env=os.environ | env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """SIGTERM (uvicorn passes it to its workers), then SIGKILL to its session."""
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


@contextmanager
def running(process: Process) -> Iterator[Process]:
    try:
        yield process
    finally:
        process.stop()


def api(env: dict[str, str], workers: int, logs: Path, name: str = "api") -> tuple[Process, str]:
    """`lianjie serve --workers N` on a free loopback port, once it answers /readyz."""
    port = free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    process = Process(name, [*args, "--log-level", "warning"], env, logs)
    base = f"http://127.0.0.1:{port}"
    wait_ready(process, base)
    return process, base


def wait_ready(process: Process, base: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        process.check_alive()
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} not ready after {READY_SECONDS} s")


def projector(env: dict[str, str], logs: Path) -> Process:
    """`lianjie project`: the views and the policies following the log."""
    return Process("project", ["project"], env, logs)


def rebuild(env: dict[str, str], logs: Path) -> str:
    """`lianjie rebuild` of every view; returns what it printed."""
    done = subprocess.run(
        [*LIANJIE, "rebuild"],
        env=os.environ | env | {"COLUMNS": "200"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    (logs / "rebuild.log").write_text(done.stdout + done.stderr)
    if done.returncode:
        raise RuntimeError(f"lianjie rebuild failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout
