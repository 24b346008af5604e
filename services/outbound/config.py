"""The sender's settings in one value: rate, retries, staleness, fallback template."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from domain.outbox import RetryPolicy
from services.settings import Settings


@dataclass(frozen=True)
class OutboxConfig:
    """How fast, how often and how patiently the sender sends."""

    rate: float = 20.0  # sends per second (token bucket)
    burst: int = 5
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    stale_after: timedelta = timedelta(seconds=60)
    notice_template_id: str | None = None
    batch_size: int = 100  # due messages read per round

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxConfig:
        """LIANJIE_OUTBOX_* as one config."""
        return cls(
            rate=settings.outbox_rate,
            burst=settings.outbox_burst,
            policy=RetryPolicy(
                base=timedelta(seconds=settings.outbox_backoff_seconds),
                max_delay=timedelta(seconds=settings.outbox_backoff_max_seconds),
                max_attempts=settings.outbox_max_attempts,
            ),
            stale_after=timedelta(seconds=settings.outbox_stale_seconds),
            notice_template_id=settings.outbox_template_id,
        )
