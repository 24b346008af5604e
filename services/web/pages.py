"""Page routes: each page is a small server-rendered shell whose script calls the JSON API.

Everything a page loads comes from this app (no CDN): its script and style under
/assets, QR images and SVG charts from the API. The Content-Security-Policy says so.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from services.api.deps import ContextDep
from services.web.i18n import LANGS, messages

STATIC_DIR = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
templates = Environment(
    loader=PackageLoader("services.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
router = APIRouter(include_in_schema=False)


@cache
def asset(name: str) -> str:
    """The URL of a static file, versioned by its content so browsers never run a stale one."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    return f"/assets/{name}?v={digest}"


templates.globals["asset"] = asset


def page(name: str, **values: object) -> HTMLResponse:
    html = templates.get_template(name).render(**values)
    return HTMLResponse(html, headers=PAGE_HEADERS)


@router.get("/till", response_class=HTMLResponse)
def till_page() -> HTMLResponse:
    """The counter: staff log in, scan member cards and coupons, redeem, record purchases."""
    return page("till.html", t=messages("zh"), lang="zh")


@router.get("/wallet", response_class=HTMLResponse)
def wallet_page(context: ContextDep) -> HTMLResponse:
    """The follower's H5 wallet inside WeChat: card, points, coupons, campaigns, invitations."""
    settings = context.settings
    return page(
        "wallet.html",
        t=messages("zh"),
        lang="zh",
        dev_login=settings.dev_login,
        wechat_appid=settings.wechat_appid or "",
    )


@router.get("/console", response_class=HTMLResponse)
def console_page(
    request: Request,
    lang: Annotated[str | None, Query(max_length=8)] = None,
    saved: Annotated[str | None, Cookie(alias="lianjie_lang")] = None,
) -> HTMLResponse:
    """The operator console; Chinese first, `?lang=en` switches to English (kept in a cookie)."""
    asked = lang if lang in LANGS else None
    chosen = asked or (saved if saved in LANGS else "zh")
    response = page("console.html", t=messages(chosen), lang=chosen, path=request.url.path)
    if asked:
        response.set_cookie("lianjie_lang", asked, max_age=365 * 86400, samesite="lax")
    return response
