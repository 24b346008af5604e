import pytest

from projections.catalog import all_views
from projections.runner import ProjectionRunner


@pytest.fixture
def runner(app):
    return ProjectionRunner(app, all_views(), batch_size=7)


@pytest.fixture
def db(runner):
    return runner.db


def dump(runner: ProjectionRunner) -> dict[str, list[tuple]]:
    """Every row of every view table, sorted: for comparing two builds."""
    tables = [table for view in runner.views for table in view.tables]
    return {table: sorted(map(repr, runner.db.read(f"SELECT * FROM {table}"))) for table in tables}
