"""Stores: open, list, look up, update, close, and print their QR posters."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.api.deps import AccountHolderDep, ContextDep, OperatorDep
from services.api.posters import follow_link, poster_png, poster_svg
from services.api.schemas.common import problem_responses
from services.api.schemas.stores import StoreCreate, StoreList, StoreOut, StoreUpdate
from services.app.stores import StoreView

router = APIRouter(
    prefix="/api/stores", tags=["stores"], responses=problem_responses(401, 403, 404, 409, 422)
)
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
PNG = {200: {"content": {"image/png": {}}, "description": "A5 poster, 300 dpi"}}
SVG = {200: {"content": {"image/svg+xml": {}}, "description": "A5 poster"}}


def store_out(store: StoreView, context: ContextDep) -> StoreOut:
    return StoreOut(
        id=store.id,
        name=store.name,
        region=store.region,
        qr_scene=store.qr_scene,
        is_open=store.is_open,
        follow_url=follow_link(context.settings.public_url, store.qr_scene),
    )


@router.post("", status_code=201)
def open_store(body: StoreCreate, _: OperatorDep, context: ContextDep) -> StoreOut:
    """Open a store; its QR scene is store:<id>."""
    return store_out(context.lianjie.open_store(body.name, body.region), context)


@router.get("")
def list_stores(
    _: OperatorDep, context: ContextDep, offset: Offset = 0, limit: Limit = 100
) -> StoreList:
    """Stores in the order they were opened."""
    stores = context.lianjie.list_stores(offset, limit)
    return StoreList(items=[store_out(store, context) for store in stores])


@router.get("/{store_id}")
def get_store(store_id: UUID, who: AccountHolderDep, context: ContextDep) -> StoreOut:
    """A store (staff see only their own)."""
    who.require_store(store_id)
    return store_out(context.lianjie.get_store(store_id), context)


@router.patch("/{store_id}")
def update_store(
    store_id: UUID, body: StoreUpdate, _: OperatorDep, context: ContextDep
) -> StoreOut:
    """Rename a store or change its region."""
    return store_out(context.lianjie.update_store(store_id, body.name, body.region), context)


@router.post("/{store_id}/close")
def close_store(store_id: UUID, _: OperatorDep, context: ContextDep) -> StoreOut:
    """Close a store for good: no more staff, purchases or redemptions there."""
    return store_out(context.lianjie.close_store(store_id), context)


def poster_parts(store_id: UUID, who: AccountHolderDep, context: ContextDep) -> tuple[str, str]:
    who.require_store(store_id)
    store = context.lianjie.get_store(store_id)
    return store.name, follow_link(context.settings.public_url, store.qr_scene)


@router.get("/{store_id}/poster.png", response_class=Response, responses=PNG)
def store_poster_png(store_id: UUID, who: AccountHolderDep, context: ContextDep) -> Response:
    """A printable A5 PNG (300 dpi): store name, slogan and a QR of the follow link."""
    name, link = poster_parts(store_id, who, context)
    settings = context.settings
    font = str(settings.poster_font) if settings.poster_font else None
    return Response(poster_png(name, settings.poster_slogan, link, font), media_type="image/png")


@router.get("/{store_id}/poster.svg", response_class=Response, responses=SVG)
def store_poster_svg(store_id: UUID, who: AccountHolderDep, context: ContextDep) -> Response:
    """The same poster as SVG, for print shops."""
    name, link = poster_parts(store_id, who, context)
    svg = poster_svg(name, context.settings.poster_slogan, link)
    return Response(svg, media_type="image/svg+xml")
