"""Read models as the API process sees them: queries, read-your-writes, an optional worker."""

from __future__ import annotations

import logging
from threading import Thread

from projections.catalog import all_views
from projections.runner import ProjectionRunner
from projections.sql import Database
from services.app import Lianjie
from services.worker import Worker

log = logging.getLogger(__name__)


class ReadModels:
    """The views' database, a bounded wait for a log position, and (optionally) their worker.

    Production runs `lianjie project` as its own process; `embedded=True` runs the same
    worker on a thread of this process instead (the demo, tests, one-box installs).
    """

    def __init__(self, app: Lianjie, *, embedded: bool, wait_seconds: float) -> None:
        self.positions = ProjectionRunner(app, all_views())
        self.db: Database = self.positions.db
        self.wait_seconds = wait_seconds
        self.worker = Worker(app) if embedded else None
        self.thread: Thread | None = None

    def wait_for(self, position: int | None) -> bool:
        """Wait (bounded) until every view shows the write at `position`; False on timeout."""
        if not position:
            return True
        reached = self.positions.wait_for(position, timeout=self.wait_seconds)
        if not reached:
            log.warning("read models still behind log position %s", position)
        return reached

    def start(self) -> None:
        if self.worker and self.thread is None:
            self.thread = Thread(target=self.worker.run_forever, name="read-models", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        if self.worker and self.thread:
            self.worker.stop.set()
            self.thread.join(timeout=10)
            self.thread = None
