"""The brand a benchmark runs against: a store and its tills, followers with tokens and
coupons, and a campaign whose stock claims race for.

The store, the staff login and the campaigns go through the use cases. The bulk
(followers, their points accounts, bearer tokens and coupons) is built with the same
domain methods the use cases call and saved many aggregates per transaction
(`loggen.Bundle`), which is how a few seconds seed tens of thousands of coupons.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.access import AccessToken
from domain.campaign import Campaign, CampaignTerms, Reward
from domain.codes import new_coupon_code
from domain.coupon import Coupon
from infra.bench.loggen import Bundle
from services.app import Lianjie

TOKEN_TTL = timedelta(hours=6)
STAFF_PASSWORD = "bench-till-password"
EVENTS_PER_SAVE = 500  # as loggen: far larger pipelined inserts stalled psycopg here


@dataclass(frozen=True)
class Follower:
    member_id: UUID
    token: str


@dataclass(frozen=True)
class Brand:
    """What the scenarios need: till tokens, followers, coupon codes, the stock campaign."""

    store_id: UUID
    till_tokens: list[str]
    followers: list[Follower]
    coupons: list[str]
    stock_campaign: UUID | None


@dataclass(frozen=True)
class Size:
    tills: int = 32
    followers: int = 2000
    coupons: int = 20_000
    stock: int = 5000  # units of the stock campaign (0: none)
    claims_per_follower: int = 5  # its per-member limit


def seed(app: Lianjie, size: Size) -> Brand:
    """Create the brand and save its bulk in large transactions."""
    run = uuid4().hex[:8]  # names unique per run: a schema may hold earlier runs
    store = app.open_store(f"压测店-{run}", "上海")
    staff = app.register_staff(f"till-{run}", STAFF_PASSWORD, store.id)
    till_tokens = [
        app.issue_token("staff", staff.id, TOKEN_TTL, username=staff.username, store_id=store.id)
        for _ in range(size.tills)
    ]
    followers, bulk = followers_of(app, run, size.followers)
    coupon_campaign = started_campaign(app, f"压测券-{run}", None, 1)
    codes, coupons = coupons_for(app, coupon_campaign, followers, size.coupons)
    save_in_bulk(app, [*bulk, *coupons])
    stock_campaign = None
    if size.stock:
        stock_campaign = started_campaign(
            app, f"限量-{run}", size.stock, size.claims_per_follower
        ).id
    return Brand(store.id, [t.access_token for t in till_tokens], followers, codes, stock_campaign)


def followers_of(app: Lianjie, run: str, count: int) -> tuple[list[Follower], list[Aggregate]]:
    """Followers as `follow` makes them (member and points account), each with a token."""
    now, followers, aggregates = app.now(), [], []
    for number in range(count):
        member, created = app.decide_follow(None, f"bench-{run}-{number}", None, now)
        secret = secrets.token_urlsafe(32)
        token = AccessToken.issue(secret, "follower", member.id, now, TOKEN_TTL)
        followers.append(Follower(member.id, secret))
        aggregates += [*created, token]
    return followers, aggregates


def started_campaign(app: Lianjie, name: str, stock: int | None, limit: int) -> Campaign:
    reward = Reward(type="coupon", title="¥5 代金券", value_fen=500)
    terms = CampaignTerms(name, "scan_gift", reward, stock=stock, per_member_limit=limit)
    view = app.create_campaign(terms)
    app.start_campaign(view.id)
    return app.repository.get(view.id)


def coupons_for(
    app: Lianjie, campaign: Campaign, followers: list[Follower], count: int
) -> tuple[list[str], list[Coupon]]:
    """`count` coupons of the campaign, dealt round the followers."""
    window, reward = campaign.coupon_window(app.now()), campaign.terms.reward
    coupons = [
        Coupon.issue(
            new_coupon_code(),
            campaign.id,
            followers[number % len(followers)].member_id,
            reward.title,
            reward.value_fen,
            window,
            campaign.terms.store_ids,
        )
        for number in range(count)
    ]
    return [coupon.code for coupon in coupons], coupons


def save_in_bulk(app: Lianjie, aggregates: Iterable[Aggregate]) -> None:
    for events in chunks(e for a in aggregates for e in a.collect_events()):
        app.save(Bundle(events))


def chunks(events: Iterator[object] | Iterable[object]) -> Iterator[list[object]]:
    batch: list[object] = []
    for event in events:
        batch.append(event)
        if len(batch) == EVENTS_PER_SAVE:
            yield batch
            batch = []
    if batch:
        yield batch
