"""The page a store poster's or a share's QR opens: how to follow the Official Account."""

from __future__ import annotations

from contextlib import suppress
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from domain.referral import ShareTokenNotFound
from domain.scenes import Scene, parse_scene
from services.api.deps import ContextDep, client_address
from services.api.devices import device_of
from services.api.ratelimit import RateLimited
from services.api.schemas.common import problem_responses

router = APIRouter(tags=["follow"])
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>关注我们 · Follow us</title></head>
<body style="font-family: sans-serif; text-align: center; padding: 2em;">
<h1>欢迎！</h1>
<p>请在微信中长按识别公众号二维码并关注，即可领取会员卡和优惠券。</p>
<p>Open this link in WeChat and follow our Official Account to get your member card.</p>
<p><small>{scene}</small></p>
</body></html>
"""


@router.get("/follow", response_class=HTMLResponse, responses=problem_responses(422))
def follow_page(
    scene: Annotated[str, Query(min_length=1, max_length=200)],
    request: Request,
    context: ContextDep,
) -> HTMLResponse:
    """Landing page of store posters and share links; the scene names where they came from."""
    parsed = parse_scene(scene)
    if parsed.kind == "ref":
        record_opening(parsed, request, context)
    return HTMLResponse(PAGE.format(scene=escape(str(parsed))))


def record_opening(scene: Scene, request: Request, context: ContextDep) -> None:
    """Count an invitation's opening by device (referral fraud signal); a flood from one
    address or an unknown token records nothing, and the page shows all the same."""
    with suppress(RateLimited, ShareTokenNotFound):
        context.limiter.hit("invitation", address=client_address(request))
        context.lianjie.open_invitation(scene.value, device_of(request, context))
