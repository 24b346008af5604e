"""Entry point for uvicorn: `uvicorn --factory services.api.main:app_from_env`."""

from fastapi import FastAPI

from services.api.app import create_app
from services.settings import Settings


def app_from_env() -> FastAPI:
    """The API configured from LIANJIE_* environment variables."""
    return create_app(Settings())
