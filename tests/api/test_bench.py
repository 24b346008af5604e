"""`lianjie bench --quick` end to end: the real command, its processes and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import postgres_base_url

pytestmark = pytest.mark.postgres_only
SCENARIOS = (
    "trivial endpoint",
    "coupon redemptions (coalesced)",
    "campaign stock",
    "wallet reads",
    "while redeeming",
    "record day",
    "coupon redemptions (naive)",
    "projection rebuild",
)


def test_a_quick_bench_runs_every_scenario_without_errors_and_exactly_once(tmp_path: Path):
    rows_file = tmp_path / "rows.json"
    lianjie = Path(sys.executable).with_name("lianjie")
    command = [str(lianjie), "bench", "--quick", "--workers", "1", "--json", str(rows_file)]
    done = subprocess.run(
        [*command, "--postgres-url", postgres_base_url()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    rows = {row["scenario"]: row for row in json.loads(rows_file.read_text())}
    for scenario in SCENARIOS:
        [name] = [name for name in rows if scenario in name]
        row = rows[name]
        assert row["requests"] > 0 and row["seconds"] > 0, row
        assert row["errors"] == 0, row
        assert all(row["checks"].values()), row
        assert scenario in done.stdout
    assert rows["campaign stock: 200 claims, 100 units"]["statuses"] == {"201": 100, "409": 100}
