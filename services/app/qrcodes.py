"""Use cases for parametric QR codes: one WeChat code per scene, created once and cached as events.

Without WeChat credentials (no issuer wired in) every scene gets the product's own
follow link, `<public_url>/follow?scene=<scene>`, so the demo works offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

from domain.errors import DomainError
from domain.qr_quota import PERMANENT_LIMIT, QrQuota
from domain.qrcode import MAX_TEMPORARY, QrCode, check_lifetime
from domain.scenes import parse_scene
from services.app.base import AppBase

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
SHOW_QRCODE = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="


class WeChatQrUnavailable(DomainError):
    """WeChat did not create the QR code (unreachable, or it answered with an error)."""

    slug = "wechat-unavailable"
    title = "WeChat unavailable"


@dataclass(frozen=True)
class IssuedQr:
    """What WeChat's qrcode/create answered."""

    ticket: str
    url: str  # what the QR image encodes (https://weixin.qq.com/q/…)
    expire_seconds: int | None


class QrIssuer(Protocol):
    """Creates WeChat QR codes; raises WeChatQrUnavailable when WeChat does not."""

    def create_qrcode(self, scene: str, expire_seconds: int | None) -> IssuedQr: ...


@dataclass(frozen=True)
class QrLink:
    """What a poster or share card encodes for a scene."""

    scene: str
    url: str
    kind: str  # permanent, temporary or link (the offline follow link)
    expires_at: datetime | None
    image_url: str | None  # WeChat's rendering of the code, when there is one


def qr_link(code: QrCode) -> QrLink:
    return QrLink(
        code.scene,
        code.url,
        "permanent" if code.permanent else "temporary",
        code.expires_at,
        SHOW_QRCODE + quote(code.ticket, safe=""),
    )


class QrUseCases(AppBase):
    def __init__(
        self,
        *args: Any,
        qr_issuer: QrIssuer | None = None,
        public_url: str = DEFAULT_PUBLIC_URL,
        qr_permanent_limit: int = PERMANENT_LIMIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.qr_issuer = qr_issuer
        self.qr_public_url = public_url.rstrip("/")
        self.qr_permanent_limit = qr_permanent_limit

    def qr_for_scene(
        self, scene: str, permanent: bool | None = None, lifetime: timedelta = MAX_TEMPORARY
    ) -> QrLink:
        """The QR link of a scene: store scenes get permanent codes, others temporary ones."""
        scene = str(parse_scene(scene))
        if self.qr_issuer is None:
            url = f"{self.qr_public_url}/follow?scene={scene}"
            return QrLink(scene, url, "link", None, None)
        wants_permanent = scene.startswith("store:") if permanent is None else permanent
        seconds = None if wants_permanent else int(check_lifetime(lifetime).total_seconds())
        return self.retrying(lambda: self.cached_or_created(scene, seconds))

    def cached_or_created(self, scene: str, seconds: int | None) -> QrLink:
        now, permanent = self.now(), seconds is None
        code_id = QrCode.id_for(scene)
        code: QrCode | None = self.repository.get(code_id) if self.exists(code_id) else None
        if code and code.serves(permanent, now):
            return qr_link(code)
        quota = self.qr_quota() if permanent else None
        if quota:
            quota.check_available(self.qr_permanent_limit)  # before asking WeChat for one
        issued = self.qr_issuer.create_qrcode(scene, seconds)
        lifetime = issued.expire_seconds or seconds
        expires_at = None if permanent else now + timedelta(seconds=lifetime)
        if code:
            code.reissue(permanent, issued.ticket, issued.url, expires_at, now)
        else:
            code = QrCode.issue(scene, permanent, issued.ticket, issued.url, expires_at, now)
        if quota:
            quota.use(scene, self.qr_permanent_limit)
        self.save(code, *([quota] if quota else []))  # a racing creator collides: use its code
        return qr_link(code)

    def qr_quota(self) -> QrQuota:
        quota_id = QrQuota.id_for()
        return self.repository.get(quota_id) if self.exists(quota_id) else QrQuota.open()
