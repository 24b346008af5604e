"""Puts the pages, their static files and the JSON endpoints only they need on the API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.api.routes import console, counter, storefront
from services.web.pages import STATIC_DIR, router


def install_web(api: FastAPI) -> None:
    """Add /till, /wallet, /console, /assets and the console, till and wallet extras."""
    for module in (console, counter, storefront):
        api.include_router(module.router)
    api.include_router(router)
    api.mount("/assets", StaticFiles(directory=STATIC_DIR), name="assets")
