"""SQLite on a full disk or a read-only file: a clear 503 and CLI error, and a sound log.

The disk is a real 8 MiB tmpfs filled to the last byte (mounting it needs root, as
./infra/test.sh runs here); the read-only file is made immutable (`chattr +i`, which
binds root too) or, for other users, mode 0444. After the fault clears the database
passes `PRAGMA integrity_check` and holds every acknowledged write.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.bootstrap import bootstrap
from tests.api.conftest import ADMIN, ADMIN_PASSWORD, api_settings, assert_problem, login
from tests.faults.conftest import LIANJIE

STORE = {"name": "满了店", "region": "上海"}


@pytest.fixture
def small_disk() -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("this test mounts an 8 MiB tmpfs to fill up: run it as root")
    mount_point = Path(tempfile.mkdtemp(prefix="lianjie-full."))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount_point], check=True)
    yield mount_point
    subprocess.run(["umount", "-l", mount_point], check=True)
    mount_point.rmdir()


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65_536)
                out.flush()
        except OSError:
            pass
    return filler


def open_stores(client: TestClient, operator: dict, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        response = client.post("/api/stores", json=STORE, headers=operator)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def cli(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"LIANJIE_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [*LIANJIE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def assert_sound(database: Path, store_ids: list[str], settings) -> None:
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    app = bootstrap(settings)
    try:
        assert all(app.exists(UUID(store_id)) for store_id in store_ids)
    finally:
        app.close()


def test_a_full_disk_answers_503_and_a_clear_cli_error_and_keeps_the_log_sound(
    small_disk, tmp_path
):
    database = small_disk / "lianjie.db"
    settings = api_settings(f"sqlite:///{database}", tmp_path)
    app = bootstrap(settings)
    with TestClient(create_app(settings, application=app)) as client:
        operator = login(client, ADMIN, ADMIN_PASSWORD)
        acknowledged = open_stores(client, operator, 20)
        filler = fill(small_disk)
        for _ in range(5):
            refused = client.post("/api/stores", json=STORE, headers=operator)
            body = assert_problem(refused, 503, "storage-full")
            assert refused.headers["Retry-After"]
        assert client.get("/api/stores", headers=operator).status_code == 200  # reads go on
        command = cli(database, "rebuild")
        assert command.returncode == 75, command.stdout + command.stderr
        assert "storage full" in command.stderr and "Traceback" not in command.stderr
        filler.unlink()
        acknowledged += open_stores(client, operator, 3)  # no restart needed
    app.close()
    assert_sound(database, acknowledged, settings)
    print(
        f"\ndisk full: writes answered 503 storage-full ({body['detail']!r}), reads 200, "
        f"`lianjie rebuild` exited 75 with {command.stderr.strip()!r}; space freed: writes "
        f"succeed again; integrity_check ok and all {len(acknowledged)} acknowledged stores "
        "in the log"
    )


def make_read_only(database: Path, read_only: bool) -> None:
    if os.geteuid() == 0:  # root ignores file modes but not the immutable attribute
        subprocess.run(["chattr", "+i" if read_only else "-i", database], check=True)
    else:
        database.chmod(0o444 if read_only else 0o644)


def test_a_read_only_database_answers_503_and_a_clear_cli_error_and_keeps_the_log_sound(
    tmp_path,
):
    database = tmp_path / "lianjie.db"
    settings = api_settings(f"sqlite:///{database}", tmp_path)
    app = bootstrap(settings)
    with TestClient(create_app(settings, application=app)) as client:
        operator = login(client, ADMIN, ADMIN_PASSWORD)  # a login is a write: log in first
        acknowledged = open_stores(client, operator, 5)
    app.close()
    make_read_only(database, True)
    try:
        app = bootstrap(settings)
        with TestClient(create_app(settings, application=app)) as client:
            refused = client.post("/api/stores", json=STORE, headers=operator)
            body = assert_problem(refused, 503, "storage-read-only")
            assert refused.headers["Retry-After"]
            assert client.get("/api/stores", headers=operator).status_code == 200
        app.close()
        command = cli(database, "rebuild")
    finally:
        make_read_only(database, False)
    assert command.returncode == 75, command.stdout + command.stderr
    assert "storage read-only" in command.stderr and "Traceback" not in command.stderr
    assert_sound(database, acknowledged, settings)
    print(
        f"\nread-only database: writes answered 503 storage-read-only ({body['detail']!r}), "
        f"reads 200, `lianjie rebuild` exited 75 with {command.stderr.strip()!r}; "
        f"integrity_check ok and all {len(acknowledged)} acknowledged stores in the log"
    )
