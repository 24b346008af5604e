"""`lianjie project`, `lianjie rebuild` and `lianjie status`: the read models from the CLI."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from projections.catalog import all_views, views_named
from projections.runner import ProjectionRunner
from services.bootstrap import bootstrap
from services.outbound.sender import sender_from_settings
from services.replaying import DEFAULT_JOBS, ReplayFailed, catch_up_views, rebuild_views
from services.settings import Settings
from services.worker import Worker, stop_on_signals

console = Console()
PARALLEL_CATCH_UP_EVENTS = 50_000  # below this, spawning processes costs more than it saves


Jobs = Annotated[
    int,
    typer.Option(min=1, help="Processes replaying at once, each its share of the views."),
]


def project(jobs: Jobs = DEFAULT_JOBS) -> None:
    """Run every projection, policy and (with WeChat credentials) the outbox sender."""
    settings = Settings()
    application = bootstrap(settings)
    worker = Worker(
        application, sender=sender_from_settings(application, settings), own_process=True
    )
    stop_on_signals(worker)
    catch_up_first(worker, settings, jobs)
    console.print("following the event log; Ctrl-C stops")
    try:
        worker.run_forever()
    finally:
        application.close()


def catch_up_first(worker: Worker, settings: Settings, jobs: int) -> None:
    """Far behind (a long stop, a new view), the views catch up in `jobs` processes first;
    should that fail, they go on in this process, which outlives database outages."""
    if jobs < 2 or not worker.views.db.postgres:
        return  # (SQLite writes one transaction at a time: no gain in more processes)
    behind = max(view.lag for view in worker.views.status())
    if behind < PARALLEL_CATCH_UP_EVENTS:
        return
    console.print(f"the views are {behind:,} events behind: catching up in {jobs} processes")
    try:
        done = catch_up_views(settings, jobs, worker.stop)
    except Exception as error:  # the worker's own loop retries and logs what goes on failing
        console.print(f"parallel catch-up stopped ({error}); going on in this process")
        return
    rate = behind / done.seconds if done.seconds else 0
    console.print(
        f"caught up to position {done.head:,} in {done.seconds:.1f} s: {rate:,.0f} events/s"
    )


ViewNames = Annotated[list[str] | None, typer.Argument(help="Views to rebuild; all if none.")]


def rebuild(names: ViewNames = None, jobs: Jobs = DEFAULT_JOBS) -> None:
    """Drop views and rebuild them from the event log (stop `lianjie project` first)."""
    settings = Settings()
    try:
        views = views_named(names or [])
    except KeyError as unknown:
        raise typer.BadParameter(str(unknown.args[0])) from None
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn())
    columns += (TimeRemainingColumn(),)
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("rebuilding " + ", ".join(v.name for v in views), total=None)

        def advance(position: int, head: int) -> None:
            progress.update(task, completed=position, total=head)

        try:
            done = rebuild_views(settings, names or [], jobs, advance)
        except ReplayFailed as failed:
            console.print(f"[red]rebuild failed:[/red] {failed}")
            raise typer.Exit(1) from None
    rate = done.head / done.seconds if done.seconds else 0
    console.print(
        f"replayed the log to position {done.head:,} in {done.seconds:.1f} s: "
        f"{rate:,.0f} events/s ({done.read:,} read by the views, "
        f"{len(done.groups)} process(es))"
    )


def status() -> None:
    """Each view's position in the log and how far behind it is."""
    application = bootstrap(Settings())
    try:
        table = Table(title="read models")
        for column in ("view", "position", "log head", "lag (events)"):
            table.add_column(column, justify="left" if column == "view" else "right")
        for view in ProjectionRunner(application, all_views()).status():
            table.add_row(view.name, f"{view.position:,}", f"{view.head:,}", f"{view.lag:,}")
        console.print(table)
    finally:
        application.close()


def register(app: typer.Typer) -> None:
    app.command("project")(project)
    app.command("rebuild")(rebuild)
    app.command("status")(status)
