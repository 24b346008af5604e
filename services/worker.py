"""The projection process: keeps every read model and the policies up to date."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from threading import Event, Thread

from projections.catalog import all_views
from projections.runner import ProjectionRunner
from projections.wakeup import wakeup_for
from services.app import Lianjie
from services.outbound.sender import Sender
from services.policies import Policies
from services.storage import storage_fault

log = logging.getLogger(__name__)
RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS = 0.25, 4.0


class Worker:
    """Follows the log: the views, the policies and (with WeChat credentials) the outbox."""

    def __init__(
        self,
        app: Lianjie,
        batch_size: int = 5000,
        sender: Sender | None = None,
        *,
        own_process: bool = False,
    ):
        self.app = app
        # In a process of its own (`lianjie project`), what the views remember after a
        # catch-up is frozen out of the garbage collector's later full passes.
        self.views = ProjectionRunner(
            app, all_views(), batch_size=batch_size, freeze_after_catch_up=own_process
        )
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
            self.keep_following("views", self.views.run_once, poll_interval)
        finally:
            self.stop.set()
            for helper in helpers:
                helper.join(timeout=30)

    def keep_policies(self, poll_interval: float) -> None:
        self.keep_following("policies", self.policies.run_once, poll_interval)

    def keep_following(self, what: str, run_once: Callable[[], int], poll_interval: float) -> None:
        """Follow the log until stopped, outliving database outages: a failed round is
        logged and tried again, waiting longer each time up to RETRY_MAX_SECONDS. Nothing
        is lost or counted twice: a round's rows commit with their tracking position."""
        pause = RETRY_FIRST_SECONDS
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.follow(run_once, poll_interval)
            except Exception as error:  # the database is away (or a bug): log, wait, go on
                if time.monotonic() - started > RETRY_MAX_SECONDS:
                    pause = RETRY_FIRST_SECONDS  # it had been running well: a fresh outage
                fault = storage_fault(error)
                report = log.error if fault else log.exception
                why = fault.slug if fault else error
                report("%s round failed (%s); again in %.1f s", what, why, pause)
                self.stop.wait(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)

    def follow(self, run_once: Callable[[], int], poll_interval: float) -> None:
        with wakeup_for(self.app, poll_interval) as wakeup:
            while not self.stop.is_set():
                if not run_once():
                    wakeup.wait(timeout=0.5)


def stop_on_signals(worker: Worker) -> None:
    """SIGTERM and SIGINT end `run_forever` after the batch in hand (main thread only)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop.set())
