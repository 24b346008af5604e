"""The projection process: keeps every read model and the policies up to date."""

from __future__ import annotations

import signal
from threading import Event, Thread

from projections.catalog import all_views
from projections.runner import ProjectionRunner
from projections.wakeup import wakeup_for
from services.app import Lianjie
from services.outbound.sender import Sender
from services.policies import Policies


class Worker:
    """Follows the log: views first (so reads catch up fast), then the policies.

    With a sender, the outbox is sent on a thread of its own: its rate-limited, blocking
    WeChat calls must never hold up the views.
    """

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
        """Until `stop` is set: woken by NOTIFY on PostgreSQL, polling on SQLite."""
        sending = None
        if self.sender:
            sending = Thread(target=self.sender.run_forever, args=(self.stop,), name="outbox")
            sending.start()
        try:
            with wakeup_for(self.app, poll_interval) as wakeup:
                while not self.stop.is_set():
                    if not self.run_once():
                        wakeup.wait(timeout=0.5)
        finally:
            self.stop.set()
            if sending:
                sending.join(timeout=30)


def stop_on_signals(worker: Worker) -> None:
    """SIGTERM and SIGINT end `run_forever` after the batch in hand (main thread only)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop.set())
