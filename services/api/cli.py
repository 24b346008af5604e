"""`lianjie serve` and `lianjie posters`: the HTTP API and printable store posters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import track

from services.api.posters import follow_link, poster_png, poster_svg
from services.app import Lianjie
from services.app.catalog import MAX_PAGE
from services.app.stores import StoreView
from services.bootstrap import bootstrap
from services.settings import Settings

console = Console()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes (uvicorn workers).")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (API.md) with uvicorn."""
    Settings()  # fail fast, before forking workers, when a LIANJIE_* setting is invalid
    uvicorn.run(
        "services.api.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=True,
    )


def posters(
    out: Annotated[Path, typer.Option(help="Directory to write the posters into.")] = Path(
        "posters"
    ),
    svg: Annotated[bool, typer.Option(help="Also write an SVG of each poster.")] = True,
) -> None:
    """Write a printable QR poster (PNG, and SVG) for every open store."""
    settings = Settings()
    application = bootstrap(settings)
    font = str(settings.poster_font) if settings.poster_font else None
    try:
        stores = [s for s in all_stores(application) if s.is_open]
        out.mkdir(parents=True, exist_ok=True)
        for store in track(stores, description="Drawing posters", console=console):
            link = follow_link(settings.public_url, store.qr_scene)
            stem = out / f"store-{store.id}"
            png = poster_png(store.name, settings.poster_slogan, link, font)
            stem.with_suffix(".png").write_bytes(png)
            if svg:
                text = poster_svg(store.name, settings.poster_slogan, link)
                stem.with_suffix(".svg").write_text(text, encoding="utf-8")
        console.print(f"wrote posters for {len(stores)} store(s) into {out}")
    finally:
        application.close()


def all_stores(application: Lianjie) -> list[StoreView]:
    stores: list[StoreView] = []
    while page := application.list_stores(offset=len(stores), limit=MAX_PAGE):
        stores.extend(page)
    return stores


def register(app: typer.Typer) -> None:
    """Add `serve` and `posters` to the `lianjie` command."""
    app.command("serve")(serve)
    app.command("posters")(posters)
