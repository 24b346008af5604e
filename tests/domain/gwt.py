"""Given events / when command / then events (or error), for aggregate tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, AggregateCreated
from eventsourcing.utils import get_topic

NOW = datetime(2026, 11, 11, 10, 0, tzinfo=UTC)
Fact = tuple[type, dict[str, Any]]


def given(aggregate_class: type[Aggregate], *facts: Fact, id: UUID | None = None) -> Any:
    """An aggregate rebuilt from past events, each given as (EventClass, attributes)."""
    aggregate, originator_id = None, id or uuid4()
    for version, (event_class, attributes) in enumerate(facts, start=1):
        envelope: dict[str, Any] = {
            "originator_id": originator_id,
            "originator_version": version,
            "timestamp": NOW,
        }
        if issubclass(event_class, AggregateCreated):
            envelope["originator_topic"] = get_topic(aggregate_class)
        aggregate = event_class(**envelope, **attributes).mutate(aggregate)
    return aggregate


def when(aggregate: Any, command: Callable[[Any], Any]) -> list[Any]:
    """Run a command; the events it triggered (a creating command returns its aggregate)."""
    result = command(aggregate)
    target = result if isinstance(result, Aggregate) else aggregate
    return list(target.collect_events())


def then(events: list[Any], *expected: Fact) -> None:
    """The events are exactly these types, each with at least these attribute values."""
    assert [type(e) for e in events] == [cls for cls, _ in expected]
    for event, (_, attributes) in zip(events, expected, strict=True):
        for name, value in attributes.items():
            assert getattr(event, name) == value, f"{type(event).__name__}.{name}"


def then_error(aggregate: Any, command: Callable[[Any], Any], error: type[Exception]) -> None:
    """The command raises this error and triggers nothing."""
    with pytest.raises(error):
        command(aggregate)
    if aggregate is not None:
        assert list(aggregate.collect_events()) == []
