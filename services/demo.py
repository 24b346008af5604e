"""A demo brand: three stores, staff, campaigns of several kinds and ~200 members' history."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from domain.campaign import CampaignTerms, Reward
from domain.claim import Claim
from domain.coupon import Coupon
from domain.errors import DomainError
from domain.member import Member
from domain.points import PointsAccount
from domain.store import Store
from services.app import Lianjie
from services.policies import Policies

STORES = [("合肥万达店", "合肥"), ("石家庄北国店", "河北"), ("成都春熙路店", "西南")]
STAFF_PASSWORD = "demo-staff"  # demo logins: clerk-1 … clerk-3, printed by demo.sh
TAGS = ["老顾客", "新顾客", "咖啡", "甜品", "上班族", "学生"]


@dataclass
class DemoBrand:
    """What the seed created, for printing and for later steps (logins, pages)."""

    store_ids: list[UUID] = field(default_factory=list)
    staff_ids: list[UUID] = field(default_factory=list)
    campaign_ids: dict[str, UUID] = field(default_factory=dict)
    member_ids: list[UUID] = field(default_factory=list)


def campaign_terms(store_ids: list[UUID]) -> dict[str, CampaignTerms]:
    return {
        "follow_gift": CampaignTerms(
            "关注有礼：新粉丝立减3元", "follow_gift", Reward("coupon", "¥3 代金券", 300), stock=500
        ),
        "scan_gift": CampaignTerms(
            "到店扫码送小食",
            "scan_gift",
            Reward("coupon", "免费小食", 800),
            per_member_limit=2,
            store_ids=store_ids[:2],
        ),
        "referral_reward": CampaignTerms(
            "邀请好友得积分", "referral_reward", Reward("points", points=100), per_member_limit=20
        ),
        "points_exchange": CampaignTerms(
            "100积分换咖啡",
            "points_exchange",
            Reward("coupon", "美式咖啡一杯", 1500),
            points_cost=100,
            per_member_limit=5,
        ),
        "lucky_draw": CampaignTerms(
            "双十一限量抽奖", "lucky_draw", Reward("coupon", "¥50 代金券", 5000), stock=20
        ),
    }


def seed(app: Lianjie, members: int = 200, seed_value: int = 2026, progress=None) -> DemoBrand:
    """Create the demo brand's stores, campaigns and members' history."""
    rng = random.Random(seed_value)
    brand = DemoBrand()
    for number, (name, region) in enumerate(STORES, start=1):
        store = app.open_store(name, region)
        staff = app.register_staff(f"clerk-{number}", STAFF_PASSWORD, store.id)
        brand.store_ids.append(store.id)
        brand.staff_ids.append(staff.id)
    for key, terms in campaign_terms(brand.store_ids).items():
        brand.campaign_ids[key] = app.start_campaign(app.create_campaign(terms).id).id
    for index in track(range(members), progress):
        brand.member_ids.append(follow_one(app, brand, rng, index))
        act(app, brand, rng, brand.member_ids[-1], index)
    Policies(app).run_once()
    return brand


def track(items: Iterable[int], progress) -> Iterable[int]:
    return progress(items) if progress else items


def follow_one(app: Lianjie, brand: DemoBrand, rng: random.Random, index: int) -> UUID:
    roll = rng.random()
    if roll < 0.55 or not brand.member_ids:
        scene = f"store:{rng.choice(brand.store_ids)}"
    elif roll < 0.7:
        scene = f"campaign:{brand.campaign_ids['follow_gift']}"
    else:
        referrer = rng.choice(brand.member_ids[: max(1, len(brand.member_ids) // 3)])
        scene = app.create_share(referrer, brand.campaign_ids["referral_reward"]).scene
    return app.follow(f"demo-openid-{index:04d}", scene).member_id


def act(app: Lianjie, brand: DemoBrand, rng: random.Random, member_id: UUID, index: int) -> None:
    """Some purchases, claims, redemptions, tags and the odd unfollow."""
    store_id = rng.choice(brand.store_ids)
    try:
        for order in range(rng.randint(0, 3)):
            amount = rng.randint(1_500, 25_000)
            app.record_purchase(member_id, store_id, amount, f"demo-{index}-{order}")
        if rng.random() < 0.6:
            coupon = app.claim(brand.campaign_ids["scan_gift"], member_id)
            if rng.random() < 0.5:
                app.redeem_coupon(coupon.code, brand.store_ids[0], brand.staff_ids[0])
        if rng.random() < 0.2:
            app.claim(brand.campaign_ids["lucky_draw"], member_id)
        app.tag_member(member_id, rng.choice(TAGS))
        if rng.random() < 0.3:
            app.complete_profile(member_id, app.get_store(store_id).region)
        if rng.random() < 0.05:
            app.unfollow(app.get_member(member_id).openid)
    except DomainError:
        pass  # a demo member meets the same rules as anyone (stock runs out, limits)


def summary(app: Lianjie) -> list[tuple[str, int]]:
    """Headline counts read from the event log."""
    return [
        ("stores", app.count_events(Store.Opened)),
        ("members followed", app.count_events(Member.Followed)),
        ("members unfollowed", app.count_events(Member.Unfollowed)),
        ("purchases", app.count_events(Member.PurchaseRecorded)),
        ("claims", app.count_events(Claim.Made)),
        ("coupons issued", app.count_events(Coupon.Issued)),
        ("coupons redeemed", app.count_events(Coupon.Redeemed)),
        ("points earnings", app.count_events(PointsAccount.Earned)),
    ]
