"""Parametric QR codes: created once per scene through WeChat, cached as events; offline links."""

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.qr_quota import QrQuotaExhausted
from domain.scenes import UnknownScene
from services.app import Lianjie
from services.app.qrcodes import WeChatQrUnavailable
from services.outbound.wechat import WeChatGateway
from tests.outbound.conftest import wired


def test_a_store_scene_gets_one_permanent_code(app, fake):
    store = app.open_store("淮河路店", "合肥")
    first = app.qr_for_scene(store.qr_scene)
    again = app.qr_for_scene(store.qr_scene)
    assert first == again
    assert (first.kind, first.expires_at) == ("permanent", None)
    assert first.url.startswith("http://weixin.qq.com/q/")
    assert "showqrcode?ticket=gQ-ticket-1%3D%3D" in first.image_url
    [created] = fake.qrcodes
    assert created == {
        "action_name": "QR_LIMIT_STR_SCENE",
        "action_info": {"scene": {"scene_str": store.qr_scene}},
    }


def test_the_cache_is_shared_by_every_process(app, settings, clock, fake):
    scene = f"campaign:{uuid4()}"
    app.qr_for_scene(scene)
    other: Lianjie = wired(settings, clock)
    try:
        assert other.qr_for_scene(scene) == app.qr_for_scene(scene)
    finally:
        other.close()
    assert len(fake.qrcodes) == 1


def test_a_campaign_scene_gets_a_temporary_code_renewed_before_it_expires(app, fake, clock):
    scene = f"campaign:{uuid4()}"
    first = app.qr_for_scene(scene)
    assert (first.kind, first.expires_at) == ("temporary", clock.now + timedelta(days=30))
    assert fake.qrcodes[0]["expire_seconds"] == 30 * 24 * 3600
    clock.advance(days=28)
    assert app.qr_for_scene(scene) == first
    clock.advance(days=1, minutes=1)  # less than a day left: a fresh code
    renewed = app.qr_for_scene(scene)
    assert renewed.url != first.url and renewed.expires_at == clock.now + timedelta(days=30)
    assert len(fake.qrcodes) == 2


def test_a_share_scene_with_a_shorter_life(app, fake, clock):
    link = app.qr_for_scene("ref:abc123", lifetime=timedelta(days=7))
    assert link.expires_at == clock.now + timedelta(days=7)
    assert fake.qrcodes[0]["action_name"] == "QR_STR_SCENE"


def test_permanent_codes_stop_at_the_accounts_quota(settings, clock, fake):
    app = Lianjie(
        settings.eventsourcing_env(),
        clock=clock,
        qr_issuer=WeChatGateway.from_settings(settings),
        qr_permanent_limit=2,
    )
    try:
        for _ in range(2):
            app.qr_for_scene(f"store:{uuid4()}")
        with pytest.raises(QrQuotaExhausted):
            app.qr_for_scene(f"store:{uuid4()}")
        app.qr_for_scene(f"campaign:{uuid4()}")  # temporary codes are not counted
    finally:
        app.close()
    assert len(fake.qrcodes) == 3


def test_without_credentials_the_follow_link_is_the_qr(settings, clock, fake):
    offline = Lianjie(
        settings.eventsourcing_env(), clock=clock, public_url="https://brand.example/"
    )
    try:
        link = offline.qr_for_scene("ref:abc123")
    finally:
        offline.close()
    assert (link.url, link.kind, link.expires_at) == (
        "https://brand.example/follow?scene=ref:abc123",
        "link",
        None,
    )
    assert fake.qrcodes == []


def test_a_wechat_error_is_a_typed_error_and_nothing_is_cached(app, fake):
    fake.fail_every, fake.fail_errcode = 1, 45009
    scene = f"campaign:{uuid4()}"
    with pytest.raises(WeChatQrUnavailable, match="45009"):
        app.qr_for_scene(scene)
    fake.fail_every = 0
    assert app.qr_for_scene(scene).kind == "temporary"


def test_unknown_scenes_are_refused(app):
    with pytest.raises(UnknownScene):
        app.qr_for_scene("coupon:123")
