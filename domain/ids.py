"""Ids derived from business keys, so the same key always names the same aggregate."""

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c2d3e-8a4b-5c6d-9e0f-1a2b3c4d5e6f")


def derived_id(*parts: object) -> UUID:
    """A stable uuid5 from the given parts, joined with ':'."""
    return uuid5(NAMESPACE, ":".join(str(part) for part in parts))
