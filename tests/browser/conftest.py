"""Browser tests: the till, the wallet and the console in headless Chromium (Playwright).

One real uvicorn server on 127.0.0.1 serves the whole app (read models on an embedded
worker) over SQLite, seeded once through the application. The server, the worker and
Playwright (whose sync driver keeps an event loop running in the main thread) live for
this package only, so the tests after it get a quiet machine and can use asyncio.run. These tests
FAIL, never skip, when Chromium or Playwright is missing: ./infra/test.sh installs
Debian's chromium (Playwright cannot download browsers here).

Screenshots go to test-artifacts/browser/; LIANJIE_UPDATE_SCREENSHOTS=1 also copies
them to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import expect

from domain.campaign import CampaignTerms, Reward
from services.api.app import create_app
from services.app import Lianjie
from tests.api.conftest import STAFF_PASSWORD, api_settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Controls (and images) that must have an accessible name.
NAMED_ROLES = {
    "button", "textbox", "combobox", "link", "checkbox", "radio", "spinbutton", "searchbox",
    "tab", "slider", "switch", "menuitem", "listbox", "image", "img",
}  # fmt: skip
# How long an action or an assertion waits for the page. These tests check what the page
# shows, not how fast: next to the suite's other worker on a 2-core machine, a round
# trip can take seconds (Playwright's assertions would give up after 5).
PATIENCE_MS = 15_000


@dataclass
class Site:
    """The running server and what was seeded into it."""

    url: str
    api: FastAPI
    app: Lianjie
    store_id: UUID
    store_name: str
    other_store_id: UUID
    staff: str
    campaigns: dict[str, UUID] = field(default_factory=dict)
    members: dict[str, UUID] = field(default_factory=dict)
    referrals: dict[str, int] = field(default_factory=dict)
    clock: SeedClock | None = None  # the server's clock, which a test may set back

    def settle(self) -> None:
        """Until the embedded worker is idle: views caught up, policies' rewards written."""
        read_models = self.api.state.context.read_models
        seen = -1
        for _ in range(100):
            head = self.app.recorder.max_notification_id() or 0
            if head == seen:
                return
            assert read_models.wait_for(head), "read models did not catch up"
            seen = head
            time.sleep(0.1)  # the policies run after the views: let them write
        raise AssertionError("the embedded worker never settled")


class SeedClock:
    """Real time, which seeding may set back to write history on past days."""

    def __init__(self) -> None:
        self.back = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.back


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def coupon(title: str, value_fen: int) -> Reward:
    return Reward(type="coupon", title=title, value_fen=value_fen)


def seed(site: Site) -> None:
    """Two stores, a clerk, four campaigns, members with coupons, points and referrals."""
    app = site.app
    app.register_staff(site.staff, STAFF_PASSWORD, site.store_id)
    terms = {
        "满30减3": CampaignTerms("满30减3", "scan_gift", coupon("¥3 代金券", 300), stock=100),
        "到店立减10元": CampaignTerms(
            "到店立减10元", "booking_discount", coupon("¥10 立减券", 1000), stock=50
        ),
        "积分换咖啡": CampaignTerms(
            "积分换咖啡", "points_exchange", coupon("咖啡兑换券", 1500), stock=20, points_cost=100
        ),
        "别店专享": CampaignTerms(
            "别店专享", "lucky_draw", coupon("别店 ¥5 券", 500), store_ids=[site.other_store_id]
        ),
    }
    for name, campaign_terms in terms.items():
        campaign_id = app.create_campaign(campaign_terms).id
        app.start_campaign(campaign_id)
        site.campaigns[name] = campaign_id
    scene = f"store:{site.store_id}"
    for openid in ("o-till-member", "o-wallet-alice", "o-bob", "o-carol"):
        site.members[openid] = app.follow(openid, scene).member_id
    till_member = site.members["o-till-member"]
    for name in ("满30减3", "到店立减10元", "别店专享"):
        app.claim(site.campaigns[name], till_member)
    app.record_purchase(site.members["o-wallet-alice"], site.store_id, 12_000, "SEED-1")
    app.tag_member(till_member, "咖啡控")
    # Referrals: alice brings 3 friends, bob 2, carol 1 (the leaderboard's order).
    site.referrals = {"o-wallet-alice": 3, "o-bob": 2, "o-carol": 1}
    for referrer, friends in site.referrals.items():
        token = app.create_share(site.members[referrer]).token
        for n in range(friends):
            app.follow(f"{referrer}-friend-{n}", f"ref:{token}")


def seed_history(site: Site, clock: SeedClock) -> None:
    """Twelve past days of follows at both stores and through the 满30减3 poster, with
    claims and redemptions, so the console's charts have something to draw."""
    app, campaign = site.app, site.campaigns["满30减3"]
    stores = [site.store_id, site.other_store_id]
    scenes = [f"store:{site.store_id}", f"store:{site.other_store_id}", f"campaign:{campaign}"]
    count = 0
    for days_ago in range(12, 0, -1):
        clock.back = timedelta(days=days_ago)
        for k in range(1 + (days_ago * 5) % 4):
            scene = scenes[(days_ago + k) % 3]
            member = app.follow(f"o-history-{count}", scene).member_id
            count += 1
            if scene.startswith("campaign:"):
                code = app.claim(campaign, member).code
                if k % 2 == 0:
                    app.redeem_coupon(code, stores[days_ago % 2])
    clock.back = timedelta(0)


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The whole app under uvicorn on 127.0.0.1 (a thread), seeded, views caught up."""
    folder = tmp_path_factory.mktemp("browser")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = api_settings(
        f"sqlite:///{folder}/lianjie.db", folder, embedded_worker=True, public_url=url
    )
    clock = SeedClock()
    api = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    app: Lianjie = api.state.context.lianjie
    store = app.open_store("徐汇店", "上海")
    other = app.open_store("静安店", "上海")
    built = Site(url, api, app, store.id, store.name, other.id, "clerk-xuhui", clock=clock)
    seed(built)
    seed_history(built, clock)
    built.settle()
    yield built
    server.should_exit = True
    thread.join(timeout=10)


def chromium_path() -> str:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (./infra/test.sh)")
    return executable


@pytest.fixture(scope="package")
def playwright() -> Iterator[object]:
    """One Playwright driver for these tests; missing is a failure, not a skip."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: .venv/bin/pip install -e '.[dev]'")
    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright) -> Iterator[object]:
    """Debian's Chromium, headless."""
    launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def new_page(browser, site: Site):
    """Pages in fresh contexts (own sessionStorage), Shanghai time, Chinese; closed after."""
    contexts = []

    def make(viewport: dict[str, int], **options):
        context = browser.new_context(
            viewport=viewport,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            base_url=site.url,
            **options,
        )
        context.set_default_timeout(PATIENCE_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact (and for the README when asked)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("LIANJIE_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / path.name)
    return path


def expect_image_shown(image) -> None:
    """An <img> whose src is an object URL from the API and whose picture has loaded.

    (The pages forbid eval in their CSP, so Playwright's wait_for_function cannot run.)
    """
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("image => image.naturalWidth") > 0


def unnamed_controls(page) -> tuple[list[str], int]:
    """Visible controls and images without an accessible name, and how many were checked
    (from Chromium's own accessibility tree)."""
    cdp = page.context.new_cdp_session(page)
    try:
        tree = cdp.send("Accessibility.getFullAXTree")
    finally:
        cdp.detach()
    missing, checked = [], 0
    for node in tree["nodes"]:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in NAMED_ROLES:
            continue
        checked += 1
        if not str(node.get("name", {}).get("value", "")).strip():
            missing.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
    return missing, checked


def assert_every_control_named(page) -> None:
    missing, checked = unnamed_controls(page)
    assert checked >= 2, f"the accessibility tree of {page.url} shows no controls"
    assert not missing, f"controls without an accessible name on {page.url}: {missing}"
