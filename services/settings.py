"""One typed settings object, read once from LIANJIE_* environment variables."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from argon2 import PasswordHasher
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.access import Lockout
from domain.points import EarningRule
from domain.review import FraudLimits
from services.app.lockout import LoginLockouts
from services.app.rules import BusinessRules


class Settings(BaseSettings):
    """Everything configurable; see the README's Configuration section."""

    model_config = SettingsConfigDict(env_prefix="LIANJIE_", extra="ignore")

    database_url: str = "sqlite:///./var/lianjie.db"
    db_pool_size: int = Field(5, ge=1, le=100)
    db_pool_overflow: int = Field(5, ge=0, le=100)
    # Bounded waits on PostgreSQL: one attempt to get a pooled connection (eventsourcing
    # makes 10 attempts 0.2 s apart, so a request gives up on an unreachable server after
    # about 10 × (this + 0.2) = 3 s and answers 503: inside WeChat's 4 s reply window, so
    # WeChat retries a push rather than taking `success`), and libpq's connect timeout.
    db_pool_wait_seconds: float = Field(0.1, gt=0, le=30)
    db_connect_timeout_seconds: int = Field(5, ge=2, le=60)
    aggregate_cache_size: int = Field(20_000, ge=0)
    # How long a process keeps members' data keys: an erasure reaches every process within it.
    key_cache_seconds: float = Field(30, ge=0, le=3600)
    # Redemptions and claims share transactions (services/app/coalescing.py); false runs
    # one transaction per command. The writer gathers commands for up to the window.
    coalesce_writes: bool = True
    coalesce_window_ms: float = Field(1.0, ge=0, le=50)
    coalesce_max_batch: int = Field(200, ge=1, le=5000)
    redemption_grace_minutes: int = Field(10, ge=0, le=24 * 60)
    points_per_yuan: int = Field(1, ge=0, le=1000)
    points_valid_days: int = Field(365, ge=1)
    referral_levels: int = Field(1, ge=1, le=3)
    referral_points: str = "50,20,10"
    # Referral fraud (domain/review.py): rewards per referrer per day (0: no cap), and when
    # a referral is held for review: follows per referrer or link openings per device.
    referral_daily_cap: int = Field(20, ge=0)
    referral_window_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    referral_burst: int = Field(10, ge=2)
    referral_device_opens: int = Field(3, ge=2)
    # Claim fraud (domain/claim_review.py): members one device may claim a campaign for
    # through the follower API before a further member's claim is held (0: no limit).
    claim_device_members: int = Field(2, ge=0)

    # Read models in the API process: run their worker on a thread (demo, tests, one box)
    # instead of a separate `lianjie project`; how long a read waits for a client's write.
    embedded_worker: bool = False
    read_wait_seconds: float = Field(2.0, ge=0, le=30)

    # HTTP API (services/api): logins, member cards, QR posters, rate limits.
    public_url: str = "http://127.0.0.1:8000"
    var_dir: Path = Path("var")
    bootstrap_admin: SecretStr | None = None
    dev_login: bool = False
    token_ttl_hours: float = Field(12, gt=0, le=24 * 30)
    password_hash_memory_kib: int = Field(19_456, ge=8, le=1_048_576)
    password_hash_iterations: int = Field(2, ge=1, le=20)
    card_secret: SecretStr | None = None
    card_step_seconds: int = Field(60, ge=10, le=3600)
    rate_limits: bool = True
    rate_limit_per_minute: int = Field(120, ge=1)
    rate_limit_burst: int = Field(30, ge=1)
    rate_limit_ip_per_minute: int = Field(600, ge=1)
    rate_limit_ip_burst: int = Field(120, ge=1)
    # Failed password logins in a row before a username (an address) is locked out; the
    # lockout starts at login_lockout_seconds and doubles per further failure up to the max.
    login_lockout_failures: int = Field(5, ge=1, le=1000)
    login_lockout_ip_failures: int = Field(50, ge=1, le=100_000)
    login_lockout_seconds: float = Field(30, gt=0, le=3600)
    login_lockout_max_seconds: float = Field(900, gt=0, le=86_400)
    poster_slogan: str = "扫码关注 · 领会员卡和优惠券"
    poster_font: Path | None = None
    wechat_token: SecretStr | None = None
    wechat_appid: str | None = None
    wechat_secret: SecretStr | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_api_base: str = "https://api.weixin.qq.com/"

    # Outbox sender (services/outbound): customer-service and template messages, pushes.
    outbox_rate: float = Field(20.0, gt=0, le=10_000)  # WeChat API sends per second
    outbox_burst: int = Field(5, ge=1, le=10_000)
    outbox_max_attempts: int = Field(6, ge=1, le=50)
    outbox_backoff_seconds: float = Field(30.0, gt=0)
    outbox_backoff_max_seconds: float = Field(3600.0, gt=0)
    # An attempt without outcome this old was abandoned by its sender; well under the
    # 9 minutes a template replay may still rely on WeChat's de-duplication.
    outbox_stale_seconds: float = Field(60.0, gt=0, le=300)
    outbox_template_id: str | None = None  # notice template for text/news outside 48 h
    wechat_timeout_seconds: float = Field(10.0, gt=0, le=60)

    @field_validator("database_url")
    @classmethod
    def check_database_url(cls, url: str) -> str:
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("use sqlite:///path/to/file.db or postgresql://user:pass@host/db")
        return url

    @field_validator("bootstrap_admin")
    @classmethod
    def check_bootstrap_admin(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and ":" not in value.get_secret_value():
            raise ValueError("bootstrap_admin is username:password")
        return value

    @field_validator("public_url", "wechat_api_base")
    @classmethod
    def check_base_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL")
        return url

    @model_validator(mode="after")
    def check_outbox_timing(self) -> Settings:
        if self.wechat_timeout_seconds >= self.outbox_stale_seconds:
            raise ValueError("outbox_stale_seconds must exceed wechat_timeout_seconds")
        return self

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
            fraud=FraudLimits(
                daily_cap=self.referral_daily_cap,
                window=timedelta(minutes=self.referral_window_minutes),
                burst=self.referral_burst,
                device_opens=self.referral_device_opens,
            ),
            claim_device_members=self.claim_device_members,
        )

    def admin_credentials(self) -> tuple[str, str] | None:
        """(username, password) of the operator to create at start-up, if any."""
        if self.bootstrap_admin is None:
            return None
        username, _, password = self.bootstrap_admin.get_secret_value().partition(":")
        return username, password

    def password_hasher(self) -> PasswordHasher:
        """argon2id; the defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane)."""
        return PasswordHasher(
            time_cost=self.password_hash_iterations,
            memory_cost=self.password_hash_memory_kib,
            parallelism=1,
        )

    def login_lockouts(self) -> LoginLockouts:
        """How failed password logins lock a username and a client address."""
        base, cap = (
            timedelta(seconds=self.login_lockout_seconds),
            timedelta(seconds=self.login_lockout_max_seconds),
        )
        return LoginLockouts(
            by_username=Lockout(self.login_lockout_failures, base, cap),
            by_address=Lockout(self.login_lockout_ip_failures, base, cap),
        )

    def token_ttl(self) -> timedelta:
        return timedelta(hours=self.token_ttl_hours)

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for the chosen database."""
        env = {
            "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size),
            "AGGREGATE_CACHE_FASTFORWARD": "y",
            "KEY_CACHE_SECONDS": str(self.key_cache_seconds),
        }
        if self.database_url.startswith("sqlite:///"):
            return env | sqlite_env(self.database_url)
        return env | postgres_env(
            self.database_url,
            self.db_pool_size,
            self.db_pool_overflow,
            pool_wait=math.ceil(self.db_pool_wait_seconds),  # whole seconds; see bootstrap
        )


def sqlite_env(url: str) -> dict[str, str]:
    path = url.removeprefix("sqlite:///")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def postgres_env(url: str, pool_size: int, overflow: int, pool_wait: int) -> dict[str, str]:
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
        "POSTGRES_CONNECT_TIMEOUT": str(pool_wait),  # eventsourcing's pool wait, not libpq's
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_PRE_PING": "y",
    }


def pop_query_param(url: str, name: str) -> tuple[str | None, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    value = query.pop(name, [None])[0]
    return value, urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
