"""The operator console in Chromium: leaderboards ranked as the data says, charts drawn
on the server, campaigns created and started, a member's history, Chinese and English."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.api.conftest import ADMIN, ADMIN_PASSWORD
from tests.browser.conftest import Site, assert_every_control_named, screenshot

DESKTOP = {"width": 1440, "height": 900}


def log_in(new_page, path: str = "/console"):
    page = new_page(DESKTOP)
    page.goto(path)
    form = page.locator("#login-form")
    form.get_by_label("账号").fill(ADMIN)
    form.get_by_label("密码").fill(ADMIN_PASSWORD)
    form.get_by_role("button", name="登录").click()
    expect(page.get_by_role("link", name="排行榜")).to_be_visible()
    return page


def board_rows(page, table: str) -> list[list[str]]:
    rows = page.locator(f"#{table} tbody tr")
    return [row.locator("td").all_inner_texts() for row in rows.all()]


def test_operator_sees_members_ranked_as_the_data_says(site: Site, new_page):
    page = log_in(new_page)
    charts = page.locator(".chart-box svg[role=img]")
    expect(charts).to_have_count(4)  # follows, redemptions, share rate, funnel
    expect(page.locator("#chart-funnel")).to_contain_text("活动漏斗")
    assert_every_control_named(page)
    screenshot(page, "console-overview")

    page.get_by_role("link", name="排行榜").click()
    expected = sorted(site.referrals.items(), key=lambda item: -item[1])
    rows = page.locator("#referral-board tbody tr")
    expect(rows).to_have_count(len(expected))
    assert board_rows(page, "referral-board") == [
        [str(rank), openid, str(count)] for rank, (openid, count) in enumerate(expected, start=1)
    ]
    expect(page.locator("#contribution-board tbody tr").first).to_contain_text("o-wallet-alice")

    referral_form = page.locator("#referral-form")

    referral_form.get_by_label("周期", exact=True).select_option("day")  # today's board: the same
    expect(referral_form.get_by_label("周期值")).not_to_have_value("")
    referral_form.get_by_label("门店").select_option(label=site.store_name)
    referral_form.get_by_role("button", name="查看").click()
    expect(rows.first).to_contain_text(expected[0][0])
    referral_form.get_by_label("门店").select_option(label="静安店")  # nobody from there referred
    referral_form.get_by_role("button", name="查看").click()
    expect(rows).to_have_text(["暂无上榜会员"])
    referral_form.get_by_label("门店").select_option(label="全部门店")
    referral_form.get_by_role("button", name="查看").click()
    expect(rows).to_have_count(len(expected))
    assert_every_control_named(page)
    screenshot(page, "console-leaderboards")

    page.get_by_role("link", name="切换到英文").click()
    expect(page.get_by_role("link", name="Leaderboards")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Leaderboards").click()
    expect(page.locator("#referral-board tbody tr").first).to_contain_text(expected[0][0])
    page.get_by_role("link", name="Switch to Chinese").click()
    expect(page.get_by_role("link", name="排行榜")).to_be_visible()


def test_operator_runs_a_campaign_and_reads_a_members_history(site: Site, new_page):
    page = log_in(new_page, "/console#campaigns")
    elsewhere = page.locator("#campaign-rows tr", has_text="别店专享")
    expect(elsewhere.locator("td").nth(5)).to_have_text("1")  # claimed, live from the views

    form = page.locator("#campaign-form")
    form.get_by_label("名称", exact=True).fill("周末会员日")
    form.get_by_label("券名称").fill("周末 ¥8 券")
    form.get_by_label("面值（元）").fill("8")
    form.get_by_label("库存").fill("200")
    form.get_by_role("button", name="新建活动").click()
    row = page.locator("#campaign-rows tr", has_text="周末会员日")
    expect(row).to_contain_text("草稿")
    row.get_by_role("button", name="开始: 周末会员日").click()
    expect(row).to_contain_text("进行中")
    expect(row.locator("td").nth(6)).to_have_text("200")  # left of its stock
    assert_every_control_named(page)
    screenshot(page, "console-campaigns")

    page.get_by_role("link", name="门店").click()
    expect(page.locator("#store-rows tr")).to_have_count(2)
    with page.expect_download() as poster:
        page.get_by_role("button", name=f"下载海报 PNG: {site.store_name}").click()
    assert poster.value.suggested_filename == f"poster-{site.store_name}.png"
    assert_every_control_named(page)

    page.get_by_role("link", name="店员").click()
    expect(page.locator("#staff-rows")).to_contain_text(site.staff)
    assert_every_control_named(page)

    page.get_by_role("link", name="会员").click()
    page.get_by_label("按 openid 查找会员").fill("o-till-member")
    page.get_by_role("button", name="查找").click()
    history = page.get_by_role("list", name="历史记录")
    expect(history).to_contain_text("关注")
    expect(history).to_contain_text("获得优惠券")
    expect(history).to_contain_text("添加标签")
    assert_every_control_named(page)
    screenshot(page, "console-member")
