"""Personal data in events: which fields are personal and whose they are (PIPL erasure).

The domain only declares. An event class that carries personal data names the fields
and how to find the member they belong to (`personal_data = PersonalData(...)`); the
services encrypt those fields with that member's key and, once an erasure deleted the
key, read them back as ERASED. Ids derived from an openid (uuid5) stay in the clear:
they are pseudonymous, linkable only by someone who already knows the openid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

ERASED = "erased"  # what an erased personal field reads as, whatever its type was


def originator(event: Any) -> UUID:
    """The member is the aggregate itself (Member events)."""
    return event.originator_id


def member_field(event: Any) -> UUID:
    """The event names its member in `member_id`."""
    return event.member_id


@dataclass(frozen=True)
class PersonalData:
    """The personal fields of an event class and the member (data subject) they belong to."""

    fields: tuple[str, ...]
    subject: Callable[[Any], UUID] = originator
