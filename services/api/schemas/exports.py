"""The answer to a CSV import."""

from pydantic import BaseModel


class RejectedRow(BaseModel):
    line: int
    reason: str
    detail: str


class ImportReport(BaseModel):
    imported: int
    rejected: list[RejectedRow]
