"""One typed settings object, read once from LIANJIE_* environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.points import EarningRule
from services.app.rules import BusinessRules


class Settings(BaseSettings):
    """Everything configurable; see the README's Configuration section."""

    model_config = SettingsConfigDict(env_prefix="LIANJIE_", extra="ignore")

    database_url: str = "sqlite:///./var/lianjie.db"
    db_pool_size: int = Field(5, ge=1, le=100)
    db_pool_overflow: int = Field(5, ge=0, le=100)
    aggregate_cache_size: int = Field(20_000, ge=0)
    redemption_grace_minutes: int = Field(10, ge=0, le=24 * 60)
    points_per_yuan: int = Field(1, ge=0, le=1000)
    points_valid_days: int = Field(365, ge=1)
    referral_levels: int = Field(1, ge=1, le=3)
    referral_points: str = "50,20,10"

    @field_validator("database_url")
    @classmethod
    def check_database_url(cls, url: str) -> str:
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("use sqlite:///path/to/file.db or postgresql://user:pass@host/db")
        return url

    @field_validator("referral_points")
    @classmethod
    def check_referral_points(cls, text: str) -> str:
        points = [part.strip() for part in text.split(",")]
        if not 1 <= len(points) <= 3 or not all(p.isdigit() for p in points):
            raise ValueError("referral_points is 1 to 3 whole numbers, e.g. 50,20,10")
        return text

    def rules(self) -> BusinessRules:
        """The business rules these settings choose."""
        return BusinessRules(
            grace_period=timedelta(minutes=self.redemption_grace_minutes),
            earning=EarningRule(self.points_per_yuan),
            points_valid_for=timedelta(days=self.points_valid_days),
            referral_levels=self.referral_levels,
            referral_points=tuple(int(p) for p in self.referral_points.split(",")),
        )

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for the chosen database."""
        env = {
            "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size),
            "AGGREGATE_CACHE_FASTFORWARD": "y",
        }
        if self.database_url.startswith("sqlite:///"):
            return env | sqlite_env(self.database_url)
        return env | postgres_env(self.database_url, self.db_pool_size, self.db_pool_overflow)


def sqlite_env(url: str) -> dict[str, str]:
    path = url.removeprefix("sqlite:///")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def postgres_env(url: str, pool_size: int, overflow: int) -> dict[str, str]:
    """Split a postgresql:// URL (host may be a socket directory; ?schema= picks a schema)."""
    schema, plain_url = pop_query_param(url, "schema")
    params = conninfo_to_dict(plain_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "lianjie")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_SCHEMA": schema or "",
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(overflow),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_PRE_PING": "y",
    }


def pop_query_param(url: str, name: str) -> tuple[str | None, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    value = query.pop(name, [None])[0]
    return value, urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
