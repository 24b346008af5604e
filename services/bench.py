"""`lianjie bench`: the performance harness (infra/bench/harness.py) from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# The harness lives in the source tree's infra/ (next to postgres.sh), not in the package.
SOURCE_TREE = Path(__file__).resolve().parents[1]
console = Console(width=None if sys.stdout.isatty() else 160)  # a whole table in logs


def bench(
    workers: Annotated[int, typer.Option(help="API processes (uvicorn workers).")] = 2,
    duration: Annotated[
        float | None, typer.Option(help="Seconds each steady scenario runs [10; quick 3].")
    ] = None,
    requests: Annotated[
        int | None, typer.Option(help="Requests per steady scenario, at most [100,000; quick 150].")
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(help="ceiling, redeem, stock, wallet, recordday, naive, rebuild (repeat)."),
    ] = None,
    quick: Annotated[bool, typer.Option(help="Tiny counts: a smoke run of about 30 s.")] = False,
    scale: Annotated[float, typer.Option(help="Fraction of the record day to replay.")] = 1.0,
    postgres_url: Annotated[
        str | None, typer.Option(help="Use this PostgreSQL (a fresh schema) instead of a new one.")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            help="A running deployment's URL (infra/deploy.sh); seeds LIANJIE_DATABASE_URL."
        ),
    ] = None,
    client: Annotated[str, typer.Option(help="Load client: raw or httpx.")] = "raw",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the rows here.")
    ] = None,
) -> None:
    """Benchmark the stack: redemptions, campaign stock, wallet reads, the record day, rebuild."""
    if not (SOURCE_TREE / "infra" / "bench" / "harness.py").exists():
        raise typer.BadParameter("lianjie bench runs from a source checkout (pip install -e .)")
    if str(SOURCE_TREE) not in sys.path:
        sys.path.insert(0, str(SOURCE_TREE))
    from infra.bench.harness import SCENARIOS, Options, run

    bounds = {"duration": duration, "requests": requests}
    options = (Options.quick_run if quick else Options)(
        **{name: value for name, value in bounds.items() if value is not None},
        workers=workers,
        scenarios=tuple(scenario or SCENARIOS),
        scale=scale,
        postgres_url=postgres_url,
        target=target,
        client=client,
        json_path=json_out,
    )
    try:
        rows = run(options, console)
    except (ValueError, RuntimeError) as failure:
        console.print(f"[red]{failure}")
        raise typer.Exit(2) from None
    if any(not held for row in rows for held in row.checks.values()):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
