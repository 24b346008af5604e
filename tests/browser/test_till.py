"""The till in Chromium: keyboard alone from login to redemption; double taps and lost
answers redeem once; the coupon's state in plain words; undo within the grace period."""

from __future__ import annotations

from PIL import Image
from playwright.sync_api import expect

from domain.coupon import Coupon
from projections.wallet import wallet
from services.api.qr import qr_image
from tests.api.conftest import STAFF_PASSWORD
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    Site,
    assert_every_control_named,
    chromium_path,
    screenshot,
)

TABLET = {"width": 1280, "height": 800}


def events_named(site: Site, code: str, name: str) -> int:
    return sum(type(e).__name__ == name for e in site.app.events.get(Coupon.id_for(code)))


def card_payload(site: Site, member_id) -> str:
    return site.api.state.context.cards.issue(member_id).payload


def focused_label(page) -> str:
    return page.evaluate(
        "(document.activeElement.getAttribute('aria-label') || document.activeElement.id)"
    )


def log_in_with_keys(page, site: Site) -> None:
    page.goto("/till")
    expect(page.locator("#username")).to_be_focused()
    assert_every_control_named(page)
    page.keyboard.type(site.staff)
    page.keyboard.press("Tab")
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#who")).to_contain_text(site.store_name)
    expect(page.locator("#scan")).to_be_focused()


def test_staff_redeems_a_members_coupon_with_the_keyboard_alone(site: Site, new_page):
    page = new_page(TABLET)
    log_in_with_keys(page, site)
    member_id = site.members["o-till-member"]

    page.keyboard.type(card_payload(site, member_id))  # what a USB scanner does
    page.keyboard.press("Enter")
    usable = page.get_by_role("list", name="本店可用优惠券").get_by_role("listitem")
    expect(usable).to_have_count(2)  # the other store's coupon is not offered here
    expect(usable.filter(has_text="¥3 代金券")).to_have_count(1)
    expect(usable.filter(has_text="¥10 立减券")).to_have_count(1)
    expect(page.locator("#member-openid")).to_have_text("o-till-member")
    expect(page.get_by_role("list", name="会员标签")).to_contain_text("咖啡控")
    expect(page.locator("#scan")).to_be_focused()
    assert_every_control_named(page)

    page.get_by_label("消费金额（元）").fill("88.50")  # a purchase earns points, once per order
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("本单获得 88 积分")
    expect(page.locator("#member-points")).to_have_text("88")
    expect(page.locator("#scan")).to_be_focused()
    screenshot(page, "till")

    for _ in range(15):  # Tab from the scan box to the coupon's Redeem button
        page.keyboard.press("Tab")
        if focused_label(page) == "核销 ¥3 代金券":
            break
    assert focused_label(page) == "核销 ¥3 代金券"
    code = usable.filter(has_text="¥3 代金券").get_attribute("data-code")
    page.keyboard.press("Enter")
    expect(usable.filter(has_text="¥3 代金券")).to_contain_text("✓ 已核销")
    expect(page.locator("#scan")).to_be_focused()  # ready for the next scan
    assert events_named(site, code, "Redeemed") == 1

    page.keyboard.type(code)  # the same coupon again
    page.keyboard.press("Enter")
    verdict = page.locator("#coupon-verdict")
    expect(verdict).to_contain_text("已于")
    expect(verdict).to_contain_text(f"在 {site.store_name} 核销")
    expect(page.get_by_role("button", name="核销 ¥3 代金券")).to_have_count(0)
    screenshot(page, "till-coupon-redeemed")

    page.keyboard.press("Escape")
    expect(page.locator("#result")).to_be_empty()
    expect(page.locator("#scan")).to_be_focused()


def test_double_taps_and_lost_answers_redeem_once_and_undo_works(site: Site, new_page):
    member = site.app.follow("o-till-second", f"store:{site.store_id}").member_id
    first = site.app.claim(site.campaigns["满30减3"], member).code
    second = site.app.claim(site.campaigns["到店立减10元"], member).code
    page = new_page(TABLET)
    log_in_with_keys(page, site)
    redeem_calls = []
    page.on(
        "request",
        lambda r: r.url.endswith("/redeem") and redeem_calls.append(r.headers["idempotency-key"]),
    )

    page.locator("#scan").fill(first)
    page.keyboard.press("Enter")
    expect(page.locator("#coupon-verdict")).to_have_text("可以核销")
    page.get_by_role("button", name="核销 ¥3 代金券").dblclick()
    expect(page.locator("#coupon-verdict")).to_have_text("✓ 核销成功")
    assert len(redeem_calls) == 1 and events_named(site, first, "Redeemed") == 1

    lost = []

    def lose_the_first_answer(route):
        if not lost:  # the till's request arrives and is done; its answer never comes back
            lost.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/till/coupons/*/redeem", lose_the_first_answer)
    page.locator("#scan").fill(second)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="核销 ¥10 立减券").click()
    expect(page.locator("#coupon-verdict")).to_have_text("✓ 核销成功")
    assert lost == [200], "the first attempt reached the server and redeemed"
    assert len(redeem_calls) == 3 and redeem_calls[1] == redeem_calls[2], "retried, same key"
    assert events_named(site, second, "Redeemed") == 1

    page.get_by_role("button", name="撤销这次核销").click()
    expect(page.locator("#coupon-verdict")).to_have_text("可以核销")
    expect(page.locator("#status")).to_contain_text("已撤销核销")
    assert events_named(site, second, "RedemptionReversed") == 1


def test_coupon_of_another_store_says_so_in_plain_words(site: Site, new_page):
    db, member_id = site.api.state.context.read_models.db, site.members["o-till-member"]
    seen = wallet(db, member_id, site.app.now())
    code = next(c.code for c in seen.coupons if c.campaign_id == site.campaigns["别店专享"])
    page = new_page(TABLET)
    log_in_with_keys(page, site)
    page.locator("#scan").fill(code)
    page.keyboard.press("Enter")
    expect(page.locator("#coupon-verdict")).to_have_text("本店不可用")
    expect(page.get_by_role("button", name="核销 别店 ¥5 券")).to_have_count(0)

    page.locator("#scan").fill("M1.NOTACARD.1.XXXX")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("无法识别")


def y4m_of_qr(text: str, path) -> None:
    """A one-frame Y4M video of a QR code: what Chromium's fake camera plays in a loop."""
    picture = qr_image(text, box_size=6)
    frame = Image.new("L", (640, 480), 255)
    frame.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\nFRAME\n")
        video.write(frame.tobytes() + chroma + chroma)


def test_camera_scan_reads_a_coupon_with_the_bundled_decoder(site: Site, playwright, tmp_path):
    member = site.app.follow("o-camera", f"store:{site.store_id}").member_id
    code = site.app.claim(site.campaigns["满30减3"], member).code
    video = tmp_path / "qr.y4m"
    y4m_of_qr(code, video)
    fake_camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS + fake_camera
    )
    try:
        page = browser.new_context(viewport=TABLET, locale="zh-CN", base_url=site.url).new_page()
        decoder = []
        page.on("request", lambda r: "jsQR.js" in r.url and decoder.append(r.url))
        log_in_with_keys(page, site)
        assert page.evaluate("'BarcodeDetector' in window") is False  # Linux Chromium
        page.get_by_role("button", name="摄像头扫码").click()
        expect(page.locator("#coupon-verdict")).to_have_text("可以核销")
        expect(page.locator("#camera")).not_to_be_visible()
        assert decoder, "the bundled decoder read the code"
    finally:
        browser.close()
