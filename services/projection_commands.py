"""`lianjie project`, `lianjie rebuild` and `lianjie status`: the read models from the CLI."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from projections.catalog import all_views, views_named
from projections.runner import ProjectionRunner
from services.bootstrap import bootstrap
from services.outbound.sender import sender_from_settings
from services.settings import Settings
from services.worker import Worker, stop_on_signals

console = Console()


def project() -> None:
    """Run every projection, policy and (with WeChat credentials) the outbox sender."""
    settings = Settings()
    application = bootstrap(settings)
    worker = Worker(application, sender=sender_from_settings(application, settings))
    stop_on_signals(worker)
    console.print("following the event log; Ctrl-C stops")
    try:
        worker.run_forever()
    finally:
        application.close()


ViewNames = Annotated[list[str] | None, typer.Argument(help="Views to rebuild; all if none.")]


def rebuild(names: ViewNames = None) -> None:
    """Drop views and rebuild them from the event log (stop `lianjie project` first)."""
    try:
        views = views_named(names or [])
    except KeyError as unknown:
        raise typer.BadParameter(str(unknown.args[0])) from None
    application = bootstrap(Settings())
    try:
        runner = ProjectionRunner(application, views)
        head = application.recorder.max_notification_id() or 0
        columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn())
        columns += (TimeRemainingColumn(),)
        started = time.perf_counter()
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("rebuilding " + ", ".join(v.name for v in views), total=head)
            read = runner.rebuild(lambda position, _: progress.update(task, completed=position))
        seconds = time.perf_counter() - started
        rate = read / seconds if seconds else 0
        console.print(
            f"replayed the log to position {head:,}: {read:,} events for these views "
            f"in {seconds:.1f} s, {rate:,.0f} events/s"
        )
    finally:
        application.close()


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
