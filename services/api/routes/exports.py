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
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    imported, rejected = 0, []
    for line, row in enumerate(rows, start=2):
        try:
            import_row(context, row)
            imported += 1
        except DomainError as refused:
            rejected.append(RejectedRow(line=line, reason=refused.slug, detail=refused.detail))
    return ImportReport(imported=imported, rejected=rejected)


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
