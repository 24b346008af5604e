"""PostgreSQL stopped for 10 seconds under load, then started again.

Two real API processes and the projection process run on a PostgreSQL server of this
test's own while four threads send follows, claims, redemptions and purchases. The
server is stopped (`pg_ctl stop -m fast`: every connection drops) for 10 s and started
again. Every answer must be a success or a 503 problem with Retry-After (a coupon
redeemed a second time may be refused as usual), none may take longer than the bound,
the processes must recover without a restart, and every acknowledged command must be in
the log.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from projections.catalog import all_views
from projections.runner import ProjectionRunner
from services.bootstrap import bootstrap
from services.settings import Settings
from tests.faults.load import Answer, Load, check_log, set_up_brand

pytestmark = pytest.mark.postgres_only
POSTGRES_SH = Path(__file__).parents[2] / "infra" / "postgres.sh"
OUTAGE_SECONDS = 10
# A request gives up on the pool after about 3 s (LIANJIE_DB_POOL_WAIT_SECONDS); it may
# then still have work to do once the server is back.
ANSWER_BOUND_SECONDS = 10
RECOVERY_BOUND_SECONDS = 10


@pytest.fixture
def own_postgres() -> Iterator[tuple[Path, str]]:
    """A PostgreSQL server of this test's own (short path: the socket lives in it)."""
    directory = Path(tempfile.mkdtemp(prefix="lianjie-pg-outage."))
    started = subprocess.run(
        [POSTGRES_SH, "start", str(directory)], capture_output=True, text=True, check=True
    )
    yield directory, started.stdout.strip()
    subprocess.run([POSTGRES_SH, "stop", str(directory)], capture_output=True, check=False)


def postgres(command: str, directory: Path) -> None:
    subprocess.run([POSTGRES_SH, command, str(directory)], capture_output=True, check=True)


def as_expected(answer: Answer) -> bool:
    """A success, a 503 that says when to retry, or a second redemption refused."""
    if answer.acknowledged:
        return True
    if answer.status == 503:
        return answer.slug == "database-unavailable" and answer.retry_after is not None
    return answer.kind == "redeem" and answer.slug == "coupon-already-redeemed"


def first_success_after(load: Load, moment: float) -> float:
    """Seconds from `moment` to the first acknowledgement of a request sent after it."""
    deadline = moment + RECOVERY_BOUND_SECONDS
    while time.monotonic() < deadline:
        answers = list(load.answers)
        done = [a.started + a.seconds for a in answers if a.acknowledged and a.started > moment]
        if done:
            return min(done) - moment
        time.sleep(0.05)
    raise AssertionError(f"no success within {RECOVERY_BOUND_SECONDS} s of the restart")


def wait_until_views_catch_up(runner: ProjectionRunner, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while any(status.lag for status in runner.status()):
        assert time.monotonic() < deadline, f"views never caught up: {runner.status()}"
        time.sleep(0.1)


def test_postgres_stopped_for_ten_seconds_answers_503_then_recovers_losing_nothing(
    own_postgres, deploy
):
    directory, url = own_postgres
    deployed = deploy(url)
    load = Load(set_up_brand(deployed.apis[0].base), [api.base for api in deployed.apis])
    load.start(threads=4)
    try:
        time.sleep(2)  # a steady load first
        pids = [process.process.pid for process in deployed.processes]
        down = time.monotonic()
        postgres("pause", directory)
        time.sleep(OUTAGE_SECONDS)
        postgres("resume", directory)
        up = time.monotonic()
        recovered_after = first_success_after(load, up)
        time.sleep(2)  # and a steady load again
    finally:
        load.finish()

    unexpected = [a for a in load.answers if not as_expected(a)]
    assert not unexpected, f"answers that are neither a success nor a 503: {unexpected[:10]}"
    during = [a for a in load.answers if down <= a.started <= up]
    refused = [a for a in during if a.status == 503]
    assert refused, "the outage was never felt"
    slowest = max(a.seconds for a in load.answers)
    assert slowest < ANSWER_BOUND_SECONDS, f"an answer took {slowest:.1f} s"
    assert [process.process.pid for process in deployed.processes] == pids
    assert all(process.alive() for process in deployed.processes)
    for api in deployed.apis:
        assert "Traceback" not in api.output(), api.output()
    late_tries = sum(api.output().count("trying again") for api in deployed.apis)

    app = bootstrap(Settings(database_url=url))
    try:
        in_log = check_log(app, load)
        wait_until_views_catch_up(ProjectionRunner(app, all_views()))
    finally:
        app.close()
    print(
        f"\nPostgreSQL down {OUTAGE_SECONDS} s under load: {len(during)} requests began in the "
        f"outage, {len(refused)} answered 503 with Retry-After, "
        f"{sum(a.acknowledged for a in during)} succeeded; slowest answer {slowest:.1f} s "
        f"(bound {ANSWER_BOUND_SECONDS} s); first success {recovered_after:.1f} s after the "
        f"restart, no process restarted; {len(load.answers)} answers in all; acknowledged "
        f"and in the log: {in_log}; pushes tried again after their window: {late_tries}; "
        "views caught up with the log"
    )
