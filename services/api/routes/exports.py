"""CSV export of members and coupons, and CSV import of existing members (operators)."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Body, Response

from domain.errors import DomainError, InvalidInput
from projections.redemption import COUPON_EXPORT_COLUMNS, exported_coupons
from projections.wallet import MEMBER_EXPORT_COLUMNS, exported_members
from services.api.deps import ContextDep, OperatorDep, ReadAfter
from services.api.schemas.common import problem_responses
from services.api.schemas.exports import ImportReport, RejectedRow

router = APIRouter(tags=["exports"], responses=problem_responses(401, 403, 422))
CSV_TYPE = "text/csv; charset=utf-8"
CSV_ANSWER = {200: {"content": {"text/csv": {}}, "description": "a CSV file"}}
MAX_IMPORT_BYTES = 5_000_000


def csv_response(name: str, header: tuple, rows: list[tuple]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response("\ufeff" + out.getvalue(), media_type=CSV_TYPE, headers=disposition)


@router.get("/api/exports/members.csv", response_class=Response, responses=CSV_ANSWER,
            dependencies=[ReadAfter])  # fmt: skip
def export_members(_: OperatorDep, context: ContextDep) -> Response:
    """Every member (openid, following, since, store, points, referrals, tags) as CSV."""
    rows = exported_members(context.read_models.db)
    return csv_response("members.csv", MEMBER_EXPORT_COLUMNS, rows)


@router.get("/api/exports/coupons.csv", response_class=Response, responses=CSV_ANSWER,
            dependencies=[ReadAfter])  # fmt: skip
def export_coupons(_: OperatorDep, context: ContextDep) -> Response:
    """Every coupon (owner, campaign, value, window, stores, redemption) as CSV."""
    rows = exported_coupons(context.read_models.db)
    return csv_response("coupons.csv", COUPON_EXPORT_COLUMNS, rows)


@router.post("/api/imports/members")
def import_members(
    _: OperatorDep,
    context: ContextDep,
    body: Annotated[str, Body(media_type="text/csv", max_length=MAX_IMPORT_BYTES)],
) -> ImportReport:
    """Import members from CSV (openid, region, phone, tags joined by '|'): each good row
    whole, each broken row reported with its line and reason, nothing half-written."""
    columns, rows = csv_rows(body)
    imported_on: dict[str, int] = {}  # openid -> the line it was imported from
    rejected = []
    for line, row in rows:
        try:
            check_row(row, columns, imported_on)
            import_row(context, row)
            imported_on[row["openid"].strip()] = line
        except DomainError as refused:
            rejected.append(RejectedRow(line=line, reason=refused.slug, detail=refused.detail))
    return ImportReport(imported=len(imported_on), rejected=rejected)


def csv_rows(body: str) -> tuple[int, list[tuple[int, dict]]]:
    """The header's column count and each row with the line it ends on; the whole file
    is refused (422, nothing imported) when it is not CSV at all."""
    reader = csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise InvalidInput(f"not CSV (line {reader.line_num}): {error}") from None
    return len(reader.fieldnames or ()), rows


class WrongColumnCount(InvalidInput):
    """A CSV row has more or fewer fields than the header."""

    slug = "wrong-column-count"
    title = "Wrong number of columns"


class DuplicateRow(InvalidInput):
    """A CSV row names a member an earlier row of the same file imported."""

    slug = "duplicate-row"
    title = "Duplicate row"


def check_row(row: dict, columns: int, imported_on: dict[str, int]) -> None:
    """Refuse a row with more or fewer fields than the header, or whose openid an earlier
    row imported. (csv puts extra fields under None and gives missing ones as None.)"""
    named = [value for name, value in row.items() if name is not None and value is not None]
    fields = len(named) + len(row.get(None) or [])
    if fields != columns:
        raise WrongColumnCount(f"{fields} fields where the header has {columns}")
    openid = (row.get("openid") or "").strip()
    if openid in imported_on:
        raise DuplicateRow(f"line {imported_on[openid]} imported this openid already")


def import_row(context: ContextDep, row: dict) -> None:
    openid = (row.get("openid") or "").strip()
    if not openid or len(openid) > 128:
        raise InvalidInput("openid is required (at most 128 characters)")
    tags = [t for t in (row.get("tags") or "").split("|") if t.strip()]
    region = (row.get("region") or "").strip() or None
    phone = (row.get("phone") or "").strip() or None
    if phone and not region:
        raise InvalidInput("a phone goes with a region")
    context.lianjie.import_member(openid, region, phone, tags)
