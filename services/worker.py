"""The projection process: keeps every read model and the policies up to date."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from threading import Event, Thread

from projections.catalog import all_views
from projections.runner import ProjectionRunner
from projections.wakeup import wakeup_for
from services.app import Lianjie
from services.outbound.sender import Sender
from services.policies import Policies

log = logging.getLogger(__name__)


class Worker:
    """Follows the log: the views, the policies and (with WeChat credentials) the outbox."""

    def __init__(self, app: Lianjie, batch_size: int = 5000, sender: Sender | None = None):
        self.app = app
        self.views = ProjectionRunner(app, all_views(), batch_size=batch_size)
        self.policies = Policies(app)
        self.sender = sender
        self.stop = Event()

    def run_once(self) -> int:
        """Process what is new now; returns how many notifications were read."""
        return self.views.run_once() + self.policies.run_once()

    def run_forever(self, poll_interval: float = 0.02) -> None:
        """Until `stop` is set: views here, policies and the sender on threads of their own,
        each woken by NOTIFY on PostgreSQL or polling on SQLite. A slow policy (a referral
        reward loads the referrer chain) must never hold the views back."""
        helpers = [Thread(target=self.keep_policies, args=(poll_interval,), name="policies")]
        if self.sender:
            helpers.append(Thread(target=self.sender.run_forever, args=(self.stop,), name="outbox"))
        for helper in helpers:
            helper.start()
        try:
            self.follow(self.views.run_once, poll_interval)
        finally:
            self.stop.set()
            for helper in helpers:
                helper.join(timeout=30)

    def keep_policies(self, poll_interval: float) -> None:
        while not self.stop.is_set():
            try:
                self.follow(self.policies.run_once, poll_interval)
            except Exception:  # the database is away: log, wait, go on
                log.exception("policies round failed; trying again in a second")
                self.stop.wait(1.0)

    def follow(self, run_once: Callable[[], int], poll_interval: float) -> None:
        with wakeup_for(self.app, poll_interval) as wakeup:
            while not self.stop.is_set():
                if not run_once():
                    wakeup.wait(timeout=0.5)


def stop_on_signals(worker: Worker) -> None:
    """SIGTERM and SIGINT end `run_forever` after the batch in hand (main thread only)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop.set())
