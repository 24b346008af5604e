"""A mixed load on the HTTP API that remembers what each answer acknowledged, and the
event-log checks that hold the API to every acknowledgement."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import httpx

from domain.coupon import Coupon
from domain.member import Member
from domain.points import PointsAccount
from services.app import Lianjie
from services.wechat.callback import LATE_RETRY_DELAYS, REPLY_WITHIN
from tests.api.conftest import ADMIN, ADMIN_PASSWORD, PROBLEMS, STAFF_PASSWORD, bearer
from tests.wechat.wechat_side import WeChatSide

REDEEMED_TWICE_SHARE = 0.1  # of redemptions: a second till tries an already redeemed coupon
# A push answered `success` after the reply window may still be tried again (a storage
# fault mid-push): it is in the log once the API's tries are over.
LATE_PUSH_SECONDS = sum(LATE_RETRY_DELAYS)


@dataclass(frozen=True)
class Brand:
    staff: dict[str, str]
    store_id: str
    store_scene: str
    campaign_id: str


@dataclass(frozen=True)
class Follower:
    headers: dict[str, str]
    share_scene: str


@dataclass(frozen=True)
class Answer:
    kind: str
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: no answer at all (process killed, connection refused)
    slug: str | None
    retry_after: str | None

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WallClock:
    """WeChatSide's clock on real time: the servers check the pushes' timestamps."""

    @property
    def now(self) -> datetime:
        return datetime.now(UTC)

    def advance(self, **_: float) -> None:
        pass


def set_up_brand(base: str) -> Brand:
    """Through one API: a store, its clerk, and a running coupon campaign."""
    with httpx.Client(base_url=base, timeout=30) as client:
        operator = login(client, ADMIN, ADMIN_PASSWORD)
        store_body = {"name": "故障店", "region": "上海"}
        store = created(client.post("/api/stores", json=store_body, headers=operator))
        clerk = {"username": "fault-clerk", "password": STAFF_PASSWORD, "store_id": store["id"]}
        created(client.post("/api/staff", json=clerk, headers=operator))
        terms = {
            "name": "fault load",
            "kind": "scan_gift",
            "reward": {"type": "coupon", "title": "¥5", "value_fen": 500},
            "stock": 100_000,
            "per_member_limit": 100,
        }
        campaign = created(client.post("/api/campaigns", json=terms, headers=operator))
        created(client.post(f"/api/campaigns/{campaign['id']}/start", headers=operator))
        staff = login(client, "fault-clerk", STAFF_PASSWORD)
    return Brand(staff, store["id"], store["qr_scene"], campaign["id"])


def login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    credentials = {"username": username, "password": password}
    token = created(client.post("/api/auth/token", json=credentials))
    return bearer(token["access_token"])


def created(response: httpx.Response) -> dict:
    assert response.is_success, response.text
    return response.json()


@dataclass
class Load:
    """Threads sending follows (signed, encrypted WeChat pushes), claims, redemptions and
    purchases to the API processes at random. A redemption that got no 2xx is tried again
    later with the same Idempotency-Key, as a till would."""

    brand: Brand
    bases: list[str]
    answers: list[Answer] = field(default_factory=list)
    followers: list[Follower] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)  # acknowledged, as openids
    claimed: list[str] = field(default_factory=list)  # acknowledged, as coupon codes
    redeemed: list[str] = field(default_factory=list)
    purchased: list[str] = field(default_factory=list)  # acknowledged, as order refs
    to_redeem: list[tuple[str, str]] = field(default_factory=list)  # (code, key)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    serial: itertools.count = field(default_factory=itertools.count)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, threads: int) -> None:
        with httpx.Client(base_url=self.bases[0], timeout=30) as client:
            while len(self.followers) < 4:
                self.follow(client)
        for index in range(threads):
            thread = threading.Thread(target=self.keep_going, args=(index,), name=f"load-{index}")
            self.threads.append(thread)
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads), "a load thread hangs"

    def keep_going(self, index: int) -> None:
        rng = random.Random(index)
        actions = [self.follow, self.claim, self.redeem, self.purchase]
        clients = {base: httpx.Client(base_url=base, timeout=30) for base in self.bases}
        try:
            while not self.stop.is_set():
                action = rng.choices(actions, weights=[2, 3, 3, 2])[0]
                action(clients[rng.choice(self.bases)])
        finally:
            for client in clients.values():
                client.close()

    def send(self, kind: str, request: Callable[[], httpx.Response]) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response: httpx.Response | None = request()
        except httpx.TransportError:
            response = None
        answer = Answer(
            kind,
            started,
            time.monotonic() - started,
            response.status_code if response is not None else None,
            problem_slug(response),
            response.headers.get("Retry-After") if response is not None else None,
        )
        with self.lock:
            self.answers.append(answer)
        return response if answer.acknowledged else None

    # The commands --------------------------------------------------------------------

    def follow(self, client: httpx.Client) -> None:
        """A new follower scans the store poster or a friend's share code."""
        openid = f"o-fault-{next(self.serial)}"
        with self.lock:
            scenes = [self.brand.store_scene, *(f.share_scene for f in self.followers[-20:])]
        wechat = WeChatSide(client, WallClock())  # type: ignore[arg-type]
        started = time.monotonic()
        if not self.send("follow", lambda: wechat.subscribe(openid, random.choice(scenes))):
            return
        with self.lock:
            self.followed.append(openid)
        if time.monotonic() - started >= REPLY_WITHIN:
            return  # accepted, perhaps not yet recorded: the follower comes back later
        login = {"openid": openid}
        token = self.send("login", lambda: client.post("/api/auth/follower-token", json=login))
        if token is None:
            return
        headers = bearer(token.json()["access_token"])
        share = self.send("share", lambda: client.post("/api/me/shares", json={}, headers=headers))
        if share is not None:
            with self.lock:
                self.followers.append(Follower(headers, share.json()["scene"]))

    def claim(self, client: httpx.Client) -> None:
        follower = self.some_follower()
        path = f"/api/me/campaigns/{self.brand.campaign_id}/claim"
        headers = follower.headers | {"Idempotency-Key": uuid4().hex}
        claimed = self.send("claim", lambda: client.post(path, headers=headers))
        if claimed is not None:
            code = claimed.json()["code"]
            with self.lock:
                self.claimed.append(code)
                self.to_redeem.append((code, uuid4().hex))

    def redeem(self, client: httpx.Client) -> None:
        with self.lock:
            if self.redeemed and random.random() < REDEEMED_TWICE_SHARE:
                code, key = random.choice(self.redeemed), uuid4().hex  # must be refused
            elif self.to_redeem:
                code, key = self.to_redeem.pop(random.randrange(len(self.to_redeem)))
            else:
                return
        path = f"/api/till/coupons/{code}/redeem"
        headers = self.brand.staff | {"Idempotency-Key": key}
        redeemed = self.send("redeem", lambda: client.post(path, headers=headers, json={}))
        with self.lock:
            if redeemed is not None:
                self.redeemed.append(code)
            elif code not in self.redeemed:
                self.to_redeem.append((code, key))  # no answer: the till tries again

    def purchase(self, client: httpx.Client) -> None:
        follower = self.some_follower()
        card = self.send("card", lambda: client.get("/api/me/card", headers=follower.headers))
        if card is None:
            return
        order_ref = f"POS-{uuid4().hex[:12]}"
        body = {"member_code": card.json()["payload"], "amount_fen": 3_000, "order_ref": order_ref}
        staff = self.brand.staff
        bought = self.send(
            "purchase", lambda: client.post("/api/till/purchases", json=body, headers=staff)
        )
        if bought is not None:
            with self.lock:
                self.purchased.append(order_ref)

    def some_follower(self) -> Follower:
        with self.lock:
            return random.choice(self.followers)


def problem_slug(response: httpx.Response | None) -> str | None:
    if response is None or not response.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        return None
    return response.json()["type"].removeprefix(PROBLEMS)


def unrecorded_follows(app: Lianjie, openids: list[str], seconds: float) -> list[str]:
    """The followers not in the log after waiting up to `seconds` for late pushes."""
    deadline = time.monotonic() + seconds
    while True:
        missing = [openid for openid in openids if not app.exists(Member.id_for(openid))]
        if not missing or time.monotonic() >= deadline:
            return missing
        time.sleep(0.2)


def check_log(app: Lianjie, load: Load) -> dict[str, int]:
    """Every acknowledged command is in the log; no coupon redeemed twice, no points twice."""
    missing_members = unrecorded_follows(app, load.followed, LATE_PUSH_SECONDS)
    assert not missing_members, f"acknowledged follows not in the log: {missing_members}"
    issued = {event.originator_id for event in app.logged(Coupon.Issued)}
    missing_coupons = [code for code in load.claimed if Coupon.id_for(code) not in issued]
    assert not missing_coupons, f"acknowledged claims not in the log: {missing_coupons}"
    redemptions = Counter(event.originator_id for event in app.logged(Coupon.Redeemed))
    missing = [code for code in load.redeemed if not redemptions[Coupon.id_for(code)]]
    assert not missing, f"acknowledged redemptions not in the log: {missing}"
    assert max(redemptions.values(), default=0) == 1, "a coupon was redeemed twice"
    earned = Counter((e.originator_id, e.reference) for e in app.logged(PointsAccount.Earned))
    assert max(earned.values(), default=0) == 1, "points were counted twice"
    references = {reference for _, reference in earned}
    store = load.brand.store_id
    lost = [ref for ref in load.purchased if f"purchase:{store}:{ref}" not in references]
    assert not lost, f"acknowledged purchases earned no points in the log: {lost}"
    return {
        "follows": len(load.followed),
        "claims": len(load.claimed),
        "redemptions": len(load.redeemed),
        "purchases": len(load.purchased),
        "coupons redeemed": len(redemptions),
        "points earnings": len(earned),
    }
