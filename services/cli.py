"""The `lianjie` command line."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from services import bench, demo, log_sealing, projection_commands
from services.api import cli as api_commands
from services.bootstrap import bootstrap
from services.policies import Policies
from services.settings import Settings
from services.storage import StorageAwareTyper

app = StorageAwareTyper(
    help="Lianjie (连接): campaigns and loyalty for WeChat brands.", no_args_is_help=True
)
console = Console()


@app.command("demo")
def demo_command(
    members: int = typer.Option(200, help="How many demo members to create."),
) -> None:
    """Seed a demo brand into an empty store and print what the log holds."""
    settings = Settings()
    application = bootstrap(settings)
    try:
        if application.recorder.max_notification_id():
            console.print(f"[yellow]{settings.database_url} already holds data: not seeding again")
        else:
            demo.seed(
                application,
                members=members,
                progress=lambda items: track(items, description="Seeding demo members"),
            )
        table = Table(title=f"Lianjie demo brand — {settings.database_url}")
        table.add_column("what")
        table.add_column("count", justify="right")
        for what, count in demo.summary(application):
            table.add_row(what, str(count))
        console.print(table)
    finally:
        application.close()


@app.command("policies")
def policies_command(
    once: bool = typer.Option(False, help="Process what is new and stop."),
    interval: float = typer.Option(0.5, help="Seconds between polls of the log."),
) -> None:
    """Run the referral-reward and follow-gift policies over the event log."""
    application = bootstrap(Settings())
    policies = Policies(application)
    try:
        while True:
            handled = policies.run_once()
            if handled:
                console.print(f"handled {handled} events")
            if once:
                return
            time.sleep(interval)
    finally:
        application.close()


projection_commands.register(app)
api_commands.register(app)
bench.register(app)
log_sealing.register(app)


@app.command("outbox")
def outbox_command() -> None:
    """Send the outbox (customer-service and template messages, pushes) as its own process."""
    from services.outbound.__main__ import main

    raise typer.Exit(main())
