"""What the operator console reads: member history and labels, campaign figures, the
contribution board, and the dashboard's charts as server-drawn SVG."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from domain.member import MemberNotFound
from projections.analytics import daily_metrics, funnel, totals
from projections.contribution import contribution_ranking
from projections.sql import local_day
from projections.wallet import wallet
from services.api.deps import ContextDep, OperatorDep, ReadAfter
from services.api.schemas.common import problem_responses
from services.api.schemas.console import (
    CampaignFigures,
    CampaignFiguresList,
    ContributionBoard,
    ContributionEntryOut,
    MemberHistory,
    MemberLabel,
    MemberLabels,
    MemberWallet,
)
from services.web import charts
from services.web.history import member_history
from services.web.i18n import messages

router = APIRouter(
    tags=["console"], responses=problem_responses(401, 403, 404, 422), dependencies=[ReadAfter]
)
SVG = {200: {"content": {"image/svg+xml": {}}, "description": "a chart"}}
Lang = Annotated[Literal["zh", "en"], Query()]
Days = Annotated[int, Query(ge=1, le=92)]


def chart(text: str) -> Response:
    return Response(text, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def day_range(context: ContextDep, days: int) -> tuple[str, str]:
    today = date.fromisoformat(local_day(context.lianjie.now()))
    return (today - timedelta(days=days - 1)).isoformat(), today.isoformat()


@router.get("/api/console/members/labels")
def member_labels(
    _: OperatorDep,
    context: ContextDep,
    ids: Annotated[list[UUID], Query(max_length=200)],
) -> MemberLabels:
    """Openids for member ids (leaderboards name members by id); unknown ids are left out."""
    found = []
    for member_id in dict.fromkeys(ids):
        try:
            found.append(
                MemberLabel(id=member_id, openid=context.lianjie.get_member(member_id).openid)
            )
        except MemberNotFound:
            continue
    return MemberLabels(items=found)


@router.get("/api/console/members/{member_id}/wallet")
def member_wallet(member_id: UUID, _: OperatorDep, context: ContextDep) -> MemberWallet:
    """A member's points, coupons, tags and referrals as the wallet read model has them."""
    seen = wallet(context.read_models.db, member_id, context.lianjie.now())
    if seen is None:
        raise MemberNotFound(f"no member {member_id} in the wallet read model")
    return MemberWallet.model_validate(seen, from_attributes=True)


@router.get("/api/console/members/{member_id}/history")
def history(
    member_id: UUID,
    _: OperatorDep,
    context: ContextDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> MemberHistory:
    """The member's own events, their points account's and their coupons', newest first."""
    app = context.lianjie
    seen = wallet(context.read_models.db, member_id, app.now())
    app.get_member(member_id)  # 404 for a member that does not exist
    codes = [coupon.code for coupon in seen.coupons] if seen else []
    entries = member_history(app, member_id, codes, limit)
    return MemberHistory.model_validate({"items": entries}, from_attributes=True)


@router.get("/api/console/campaigns/figures")
def campaign_figures(_: OperatorDep, context: ContextDep) -> CampaignFiguresList:
    """Claims, redemptions and stock left per campaign (from the analytics read model)."""
    db, items = context.read_models.db, []
    for view in context.lianjie.list_campaigns(None, 0, 500):
        counts = totals(db, ["claims", "redemptions"], campaign_id=view.id)
        left = max(view.stock - counts["claims"], 0) if view.stock else None
        items.append(
            CampaignFigures(campaign_id=view.id, stock=view.stock, remaining=left, **counts)
        )
    return CampaignFiguresList(items=items)


@router.get("/api/leaderboards/contribution", tags=["leaderboards"])
def contribution(
    _: OperatorDep,
    context: ContextDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
    store_id: UUID | None = None,
) -> ContributionBoard:
    """Members by contribution score (spreading, interaction, spending, self-growth)."""
    entries = contribution_ranking(context.read_models.db, limit=limit, store_id=store_id)
    return ContributionBoard(
        entries=[ContributionEntryOut.model_validate(e, from_attributes=True) for e in entries]
    )


@router.get("/api/console/charts/follows.svg", response_class=Response, responses=SVG)
def follows_chart(_: OperatorDep, context: ContextDep, days: Days = 14, lang: Lang = "zh"):
    """New follows per day, one line per store (Asia/Shanghai days)."""
    t, (since, until) = messages(lang), day_range(context, days)
    db, stores = context.read_models.db, context.lianjie.list_stores(0, 8)
    series = [
        (store.name, [n for _, n in daily_metrics(db, "follows", since, until, store.id)])
        for store in stores
    ]
    day_list = [day for day, _ in daily_metrics(db, "follows", since, until)]
    return chart(charts.line_chart(t["chart_follows"], day_list, series, t["no_data"]))


@router.get("/api/console/charts/redemptions.svg", response_class=Response, responses=SVG)
def redemptions_chart(_: OperatorDep, context: ContextDep, days: Days = 30, lang: Lang = "zh"):
    """Redemptions per store over the last days."""
    t, (since, until) = messages(lang), day_range(context, days)
    db = context.read_models.db
    bars = [
        (store.name, totals(db, ["redemptions"], since, until, store.id)["redemptions"])
        for store in context.lianjie.list_stores(0, 50)
    ]
    return chart(charts.bar_chart(t["chart_redemptions"], bars, t["no_data"]))


@router.get("/api/console/charts/share-rate.svg", response_class=Response, responses=SVG)
def share_rate_chart(_: OperatorDep, context: ContextDep, days: Days = 14, lang: Lang = "zh"):
    """Shares / reads per day against the playbook's 5% line."""
    t, (since, until) = messages(lang), day_range(context, days)
    db = context.read_models.db
    shares = daily_metrics(db, "shares", since, until)
    opens = dict(daily_metrics(db, "opens", since, until))
    rates = [n / opens[day] if opens[day] else None for day, n in shares]
    return chart(
        charts.rate_chart(
            t["chart_share_rate"],
            [day for day, _ in shares],
            rates,
            0.05,
            t["target_5"],
            t["share_rate_empty"],
        )
    )


@router.get("/api/console/charts/funnel.svg", response_class=Response, responses=SVG)
def funnel_chart(
    _: OperatorDep, context: ContextDep, campaign_id: UUID | None = None, lang: Lang = "zh"
):
    """Scan → follow → claim → redeem for one campaign (the first one when none is named)."""
    t = messages(lang)
    if campaign_id is None:
        first = context.lianjie.list_campaigns(None, 0, 1)
        campaign_id = first[0].id if first else None
    if campaign_id is None:
        return chart(charts.funnel_chart(t["chart_funnel"], [], t["no_campaign"]))
    name = context.lianjie.get_campaign(campaign_id).name
    seen = funnel(context.read_models.db, campaign_id)
    stages = [
        (t["stage_scans"], seen.scans),
        (t["stage_follows"], seen.follows),
        (t["stage_claims"], seen.claims),
        (t["stage_redemptions"], seen.redemptions),
    ]
    return chart(charts.funnel_chart(f"{t['chart_funnel']} · {name}", stages, t["no_data"]))
