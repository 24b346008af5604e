"""The console's customer-service inbox in Chromium: unanswered messages wait oldest
first (late ones in red), new ones appear without a reload, an agent takes, answers with
a canned reply and closes."""

from __future__ import annotations

import itertools
import re
import time
from datetime import timedelta

from playwright.sync_api import expect

from domain.inbound import Inbound
from tests.browser.conftest import Site, assert_every_control_named, screenshot
from tests.browser.test_console import log_in

MSG_IDS = itertools.count(7_100_000_000_000_000_001)


def follower_says(site: Site, openid: str, text: str) -> None:
    """A text message from a follower as the WeChat callback records it (no rule answers)."""
    site.app.receive_wechat_message(
        Inbound(
            openid=openid,
            account="gh_lianjie_browser",
            msg_type="text",
            sent_at=int(time.time()),
            msg_id=next(MSG_IDS),
            content=text,
        )
    )


def seed_inbox(site: Site) -> str:
    """Two followers and a canned reply; dan wrote 20 minutes ago. Returns the reply's text."""
    assert site.clock is not None
    site.app.follow("o-inbox-dan")
    site.app.follow("o-inbox-eve")
    canned = site.app.add_canned_reply("开发票", "可以开发票，请在小程序「我的-发票」里申请。")
    site.clock.back = timedelta(minutes=20)  # dan has waited past the 15-minute SLA
    try:
        follower_says(site, "o-inbox-dan", "可以开发票吗")
    finally:
        site.clock.back = timedelta(0)
    site.settle()
    return canned.text


def expect_empty_in_english(page) -> None:
    page.get_by_role("link", name="切换到英文").click()
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", name=re.compile("^Inbox"))).to_be_visible()
    expect(page.locator("#inbox-rows tr")).to_have_text(["No conversation is waiting"])
    assert_every_control_named(page)


def test_agent_answers_the_inbox_live(site: Site, new_page):
    canned_text = seed_inbox(site)
    page = log_in(new_page, "/console#inbox")
    page.evaluate("() => { window.notReloaded = true; }")
    expect(page.get_by_role("link", name="客服收件箱")).to_have_attribute("aria-current", "page")
    dan = page.locator("#inbox-rows tr", has_text="o-inbox-dan")
    expect(dan).to_be_visible()
    cells = dan.locator("td")
    expect(cells.nth(1)).to_have_text("1")  # waiting messages
    expect(cells.nth(2)).to_contain_text(re.compile(r"^2[01]\b"))  # minutes waited
    expect(cells.nth(2)).to_contain_text("已超时")
    expect(dan).to_have_class(re.compile(r"\blate\b"))
    expect(cells.nth(3)).to_have_text("未接待")

    dan.get_by_role("button", name="查看: o-inbox-dan").click()
    chat = page.get_by_role("region", name="会话: o-inbox-dan")
    messages = chat.get_by_role("list", name="会话消息")
    expect(messages.locator("li")).to_have_count(1)
    expect(messages).to_contain_text("可以开发票吗")
    assert_every_control_named(page)

    # While the page is open (never reloaded: it polls every 3 s), dan writes again and
    # eve writes for the first time.
    follower_says(site, "o-inbox-dan", "急，在吗？")
    expect(messages.locator("li")).to_have_count(2)
    expect(messages).to_contain_text("急，在吗？")
    expect(cells.nth(1)).to_have_text("2")
    follower_says(site, "o-inbox-eve", "会员卡怎么用")
    eve = page.locator("#inbox-rows tr", has_text="o-inbox-eve")
    expect(eve).to_be_visible()
    expect(page.locator("#inbox-rows tr")).to_have_text(  # oldest unanswered first
        [re.compile("o-inbox-dan"), re.compile("o-inbox-eve")]
    )
    expect(eve).not_to_have_class(re.compile(r"\blate\b"))
    screenshot(page, "console-inbox")

    chat.get_by_role("button", name="接待").click()
    expect(cells.nth(3)).to_have_text("我")
    chat.get_by_label("快捷回复").select_option(label="开发票")
    expect(chat.get_by_label("回复内容")).to_have_value(canned_text)
    chat.get_by_role("button", name="回复").click()
    expect(page.get_by_role("status")).to_have_text("已回复并关闭会话")
    expect(dan).to_have_count(0)
    expect(chat).to_be_hidden()

    eve.get_by_role("button", name="查看: o-inbox-eve").click()
    eve_chat = page.get_by_role("region", name="会话: o-inbox-eve")
    expect(eve_chat).to_contain_text("会员卡怎么用")
    assert_every_control_named(page)
    eve_chat.get_by_role("button", name="关闭").click()
    expect(page.locator("#inbox-rows tr")).to_have_text(["没有待回复的会话"])
    assert page.evaluate("() => window.notReloaded === true"), "the page was reloaded"

    site.settle()  # the answer and the close are written
    dan_id = site.app.conversation_of("o-inbox-dan").id
    assert site.app.get_conversation(dan_id).status == "closed"
    assert site.app.get_conversation(dan_id).answers == 1
    expect_empty_in_english(page)
