"""Fault tests' machinery: real `lianjie serve` and `lianjie project` processes, a mixed
load that remembers every command the API acknowledged, and the event-log checks that
hold the API to those acknowledgements."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_two_processes import free_port
from tests.wechat.wechat_side import AES_KEY, APPID, TOKEN

LIANJIE = [sys.executable, "-c", "from services.cli import app; app()"]


def server_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """Environment of every process under test: one database, one card secret, WeChat on."""
    return os.environ | {
        "LIANJIE_DATABASE_URL": database_url,
        "LIANJIE_BOOTSTRAP_ADMIN": "admin:admin-password",
        "LIANJIE_DEV_LOGIN": "1",
        "LIANJIE_CARD_SECRET": "fault-tests-card-secret",
        "LIANJIE_RATE_LIMITS": "off",
        "LIANJIE_CLAIM_DEVICE_MEMBERS": "0",  # one load generator plays every phone
        "LIANJIE_PASSWORD_HASH_MEMORY_KIB": "8",
        "LIANJIE_PASSWORD_HASH_ITERATIONS": "1",
        "LIANJIE_VAR_DIR": str(var_dir),
        "LIANJIE_WECHAT_TOKEN": TOKEN,
        "LIANJIE_WECHAT_APPID": APPID,
        "LIANJIE_WECHAT_AES_KEY": AES_KEY,
    }


class Process:
    """A `lianjie` command in its own OS process; restartable, its output kept per start."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.args, self.env, self.log_dir = name, args, env, log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.log_dir / f"{self.name}-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [*LIANJIE, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        logs = sorted(self.log_dir.glob(f"{self.name}-*.log"))
        return "\n".join(path.read_text(errors="replace") for path in logs)


class Api(Process):
    """`lianjie serve` on a free port of its own."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        super().__init__(name, args, env, log_dir)

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.alive(), f"{self.name} exited early:\n{self.output()}"
            if self.ready():
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.name} not ready after {timeout} s:\n{self.output()}")


class Deployment:
    """Two API processes and one projection process on one database."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        env = server_env(database_url, tmp_path / "var")
        self.apis = [Api(name, env, tmp_path) for name in ("api-a", "api-b")]
        self.project = Process("project", ["project"], env, tmp_path)

    @property
    def processes(self) -> list[Process]:
        return [*self.apis, self.project]

    def start(self) -> None:
        for process in self.processes:
            process.start()
        for api in self.apis:
            api.wait_ready()

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


@pytest.fixture
def deploy(tmp_path: Path) -> Iterator[Callable[[str], Deployment]]:
    """Start a deployment on a database (its tables created first); stopped afterwards."""
    started: list[Deployment] = []

    def start(database_url: str) -> Deployment:
        env = server_env(database_url, tmp_path / "var")
        tables = subprocess.run([*LIANJIE, "status"], env=env, capture_output=True, check=False)
        assert tables.returncode == 0, tables.stdout + tables.stderr
        deployed = Deployment(database_url, tmp_path)
        started.append(deployed)
        deployed.start()
        return deployed

    yield start
    for deployed in started:
        deployed.stop()
