"""The follower's wallet in Chromium, phone-sized: a live member card the till accepts
and its activation, claiming a coupon and a gift for points, invitations, and a page
under 200 KB."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.api.conftest import STAFF_PASSWORD
from tests.browser.conftest import (
    Site,
    assert_every_control_named,
    expect_image_shown,
    screenshot,
)

PHONE = {"width": 390, "height": 844}
PAGE_BUDGET = 200 * 1024  # bytes before images


def open_wallet(new_page, openid: str):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    page.goto("/wallet")
    assert_every_control_named(page)
    page.get_by_label("开发登录：openid").fill(openid)
    page.get_by_role("button", name="进入钱包").click()
    expect_image_shown(page.get_by_role("img", name="会员码二维码，到店出示给店员扫码"))
    return page


def till_scan(site: Site, code: str) -> dict:
    with httpx.Client(base_url=site.url) as http:
        login = {"username": site.staff, "password": STAFF_PASSWORD}
        token = http.post("/api/auth/token", json=login).json()["access_token"]
        answer = http.post(
            "/api/till/scan", json={"code": code}, headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_follower_claims_a_coupon_and_sees_it_appear(site: Site, new_page):
    alice = site.members["o-wallet-alice"]
    points = site.app.get_points(alice).balance  # 120 bought, 50 per friend brought
    assert points >= 100
    page = open_wallet(new_page, "o-wallet-alice")
    expect(page.locator("#points")).to_have_text(str(points))
    expect(page.locator("#referrals")).to_have_text("已邀请 3 位好友关注 · 邀请榜第 1 名")
    payload = page.locator("#card-payload").text_content()
    scanned = till_scan(site, payload)  # the card on the phone is one the till accepts
    assert scanned["member"]["id"] == str(alice)
    page.get_by_role("button", name="激活会员卡").click()
    expect(page.locator("#card-activated")).to_have_text(re.compile(r"^会员卡已激活 · 20\d\d-"))
    expect(page.get_by_role("button", name="激活会员卡")).to_be_hidden()

    coupons = page.locator("#coupon-list > li")
    expect(coupons).to_have_text(["暂无优惠券"])
    page.get_by_role("button", name="领取：到店立减10元").click()
    expect(page.locator("#toast")).to_contain_text("领取成功")
    expect(coupons.filter(has_text="¥10 立减券")).to_have_count(1)
    expect(page.get_by_role("button", name="领取：到店立减10元")).to_be_disabled()
    expect(page.locator("#card-activated")).to_be_visible()  # the wallet, read again, says so

    page.get_by_role("button", name="兑换：积分换咖啡").click()  # costs 100 points
    expect(coupons.filter(has_text="咖啡兑换券")).to_have_count(1)
    expect(page.locator("#points")).to_have_text(str(points - 100))

    page.get_by_role("button", name="出示券码：¥10 立减券").click()
    qr = page.get_by_role("img", name="¥10 立减券 的券码二维码")
    expect_image_shown(qr)

    page.get_by_role("button", name="生成我的邀请二维码").click()
    link = re.compile("^" + re.escape(f"{site.url}/follow?scene=ref:") + "[0-9A-Za-z]+$")
    expect(page.locator("#share-link")).to_have_value(link)
    expect_image_shown(page.locator("#share-qr"))
    assert_every_control_named(page)
    page.locator("#toast").evaluate("toast => { toast.textContent = '' }")
    screenshot(page, "wallet")


def test_wallet_weighs_under_200_kb_and_loads_nothing_from_elsewhere(site: Site, new_page):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    responses = []

    def keep(response) -> None:  # Playwright cannot hook a bound built-in like list.append
        responses.append(response)

    page.on("response", keep)
    page.goto("/wallet")
    page.get_by_label("开发登录：openid").fill("o-bob")
    page.get_by_role("button", name="进入钱包").click()
    expect(page.locator("#referrals")).to_contain_text("已邀请 2 位好友")
    expect_image_shown(page.locator("#card-qr"))
    page.wait_for_load_state("networkidle")

    local = (site.url + "/", f"blob:{site.url}/")  # blob: URLs are images the page fetched
    foreign = [r.url for r in responses if not r.url.startswith(local)]
    assert not foreign, f"loaded from elsewhere: {foreign}"
    weight = {
        r.url: len(r.body())
        for r in responses
        if not r.headers.get("content-type", "").startswith("image/")
    }
    assert sum(weight.values()) < PAGE_BUDGET, weight
    kinds = {r.request.resource_type for r in responses}
    assert {"document", "script", "stylesheet"} <= kinds


def test_member_card_renews_itself_before_it_expires(site: Site, new_page):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    page.clock.install()
    cards = []
    page.on("request", lambda r: r.url.endswith("/api/me/card.png") and cards.append(r.url))
    page.goto("/wallet")
    page.get_by_label("开发登录：openid").fill("o-carol")
    page.get_by_role("button", name="进入钱包").click()
    expect_image_shown(page.locator("#card-qr"))
    assert len(cards) == 1
    step_ms = site.api.state.context.settings.card_step_seconds * 1000
    # A card lives 1-2 steps; the page renews it 45 s before it expires, so within 2 steps.
    with page.expect_request("**/api/me/card.png"):
        page.clock.run_for(2 * step_ms)
    expect_image_shown(page.locator("#card-qr"))
    assert len(cards) == 2
