"""Replaying the log into views in several processes at once: `lianjie rebuild --jobs N`,
and `lianjie project` when it starts far behind.

Views are independent: each has its own tables and its own tracking row, so runners on
disjoint sets of views never meet. The views are split into groups of about equal work
(the notifications their topics cover, counted in the log) and each group is replayed
by a process of its own, so one group's Python work overlaps another's database work.
Only on PostgreSQL: SQLite has one writer at a time, and a transaction that read before
another's commit cannot write, so there it stays one process. A rebuild drops the views
first; a catch-up goes on from where each view stopped. The processes are spawned, not
forked, so none inherits a connection pool or a thread of this one.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.queues import Queue
from queue import Empty
from threading import Event
from typing import Any

from projections.catalog import views_named
from projections.runner import ProjectionRunner, split_by_work
from projections.view import View
from services.bootstrap import bootstrap
from services.settings import Settings
from services.storage import StorageFaultRaised, storage_fault

log = logging.getLogger(__name__)
# One replaying process keeps about two cores busy: its own Python and the database's
# work on its batches. On 2 cores, 1 and 2 processes rebuilt 1M events equally fast.
DEFAULT_JOBS = max(1, (os.cpu_count() or 1) // 2)
Progress = Callable[[int, int], None]  # (position every view has reached, head of the log)


class ReplayFailed(RuntimeError):
    """A replaying process failed; its error, in one line."""


@dataclass(frozen=True)
class Replayed:
    head: int  # the log's position when the replay started
    read: int  # notifications read, summed over the processes
    seconds: float
    groups: list[list[str]]  # which views each process replayed


def rebuild_views(
    settings: Settings, names: list[str], jobs: int, progress: Progress | None = None
) -> Replayed:
    """Drop and rebuild the named views (all when none) in up to `jobs` processes."""
    return replay(settings, names, jobs, progress, fresh=True)


def catch_up_views(settings: Settings, jobs: int, stop: Event) -> Replayed:
    """Bring every view to the log's head from where it stopped, in up to `jobs` processes;
    setting `stop` ends the processes early (each keeps its last whole batch)."""
    return replay(settings, [], jobs, None, fresh=False, stop=stop)


def replay(
    settings: Settings,
    names: list[str],
    jobs: int,
    progress: Progress | None,
    fresh: bool,
    stop: Event | None = None,
) -> Replayed:
    started = time.perf_counter()
    application = bootstrap(settings)
    try:
        runner = ProjectionRunner(application, views_named(names))
        head = application.recorder.max_notification_id() or 0
        if jobs <= 1 or not runner.db.postgres:  # SQLite writes one transaction at a time
            read = run(runner, fresh, progress)
            return Replayed(head, read, time.perf_counter() - started, [view_names(runner.views)])
        groups = [
            view_names(group) for group in split_by_work(runner.views, runner.topic_counts(), jobs)
        ]
    finally:
        application.close()
    read = replay_in_processes(settings, groups, head, progress, fresh, stop or Event())
    return Replayed(head, read, time.perf_counter() - started, groups)


def run(runner: ProjectionRunner, fresh: bool, progress: Progress | None) -> int:
    return runner.rebuild(progress) if fresh else runner.run_once(progress)


def view_names(views: Sequence[View]) -> list[str]:
    return [view.name for view in views]


def replay_in_processes(
    settings: Settings,
    groups: list[list[str]],
    head: int,
    progress: Progress | None,
    fresh: bool,
    stop: Event,
) -> int:
    """Each group replayed by a spawned process; how many notifications they read in all."""
    context = multiprocessing.get_context("spawn")
    reports: Queue = context.Queue()
    processes = [
        context.Process(target=replay_group, args=(settings, group, fresh, index, reports))
        for index, group in enumerate(groups)
    ]
    for process in processes:
        process.start()
    try:
        return follow_reports(reports, processes, head, progress, stop)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()


def follow_reports(
    reports: Queue, processes: list[Any], head: int, progress: Progress | None, stop: Event
) -> int:
    """Progress until every process has reported done (or `stop` is set); the first failure
    is raised."""
    positions, finished, read = [0] * len(processes), set(), 0
    while len(finished) < len(processes) and not stop.is_set():
        try:
            kind, index, value = reports.get(timeout=0.2)
        except Empty:
            check_alive(processes, finished)
            continue
        if kind == "failed":
            raise value
        if kind == "done":
            finished.add(index)
            read, positions[index] = read + value, head
        else:
            positions[index] = value
        if progress:
            progress(min(positions), head)
    return read


def check_alive(processes: list[Any], finished: set[int]) -> None:
    """A process that died without a word (killed, out of memory) fails the rebuild."""
    for index, process in enumerate(processes):
        if index not in finished and not process.is_alive():
            raise ReplayFailed(f"replaying process {index} exited with code {process.exitcode}")


def replay_group(
    settings: Settings, names: list[str], fresh: bool, index: int, reports: Queue
) -> None:
    """In a process of its own: replay into these views, reporting progress and the outcome."""
    try:
        application = bootstrap(settings)
        try:
            runner = ProjectionRunner(application, views_named(names))
            read = run(
                runner, fresh, lambda position, _: reports.put(("progress", index, position))
            )
        finally:
            application.close()
    except Exception as error:
        log.error("replaying into %s failed", ", ".join(names), exc_info=True)
        reports.put(("failed", index, portable(error)))
    else:
        reports.put(("done", index, read))


def portable(error: Exception) -> Exception:
    """The error as another process can raise it: a storage fault stays one."""
    fault = storage_fault(error)
    if fault is not None:
        return StorageFaultRaised(fault)
    return ReplayFailed(f"{type(error).__name__}: {error}")
