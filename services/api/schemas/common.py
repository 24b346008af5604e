"""What every schema shares: strict requests, clean text, problem details."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def printable(text: str) -> str:
    """Refuse control characters and lone surrogates: they cannot be shown or stored."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError("text may not contain control characters")
    return text


def text(min_length: int, max_length: int) -> object:
    """A trimmed, printable string type of `min_length` to `max_length` characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(printable),
    ]


Name = text(1, 64)
Region = text(1, 32)
Username = text(1, 64)
OpenId = text(1, 128)
Title = text(1, 64)
OrderRef = text(1, 64)
ScannedCode = text(1, 128)
Secret = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(printable)]


class RequestBody(BaseModel):
    """A request body: unknown fields are an error (422 naming the field)."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    """One rejected field of an invalid request: where, why, and pydantic's error type."""

    loc: list[str]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details; `type` ends in a stable slug."""

    type: str = Field(examples=["https://lianjie.example/problems/coupon-already-redeemed"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = Field(None, description="invalid-request only")


def problem_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI entries for problem+json error answers with these statuses."""
    return {status: {"model": Problem, "description": "problem details"} for status in statuses}
