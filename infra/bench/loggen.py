"""A fast generator of realistic event logs: a simulated brand's stores, campaigns and members.

Shared by the projection tests (tests/projections/test_rebuild_large.py,
test_crash_recovery.py) and the benchmark (infra/bench/projections.py).

Setup (stores, campaigns and their stock shards) goes through the application's
use cases. The bulk then runs as a discrete-event simulation: members arrive over
`days` simulated days, and every arrival schedules that member's later life:
claims at the till and in the H5 pages, redemptions (a few reversed within the
grace period, a few coupons voided), purchases that earn points (a few refunded),
shares that bring friends, points exchanges, promo points that expire, tags,
profiles, unfollows and re-follows.

Every operation changes aggregates with their domain methods exactly as the use
case would, and adds the same idempotency records. The effects the policies
(services/policies.py) would have on a follow — the referrer's reward and the
follow gift — are written in the same save as the follow, with the keys and
references the policies use. A real `lianjie project` worker following this log
therefore never writes anything of its own: its policies find every effect done.
That lets the generator keep the aggregates in memory and never reload them.

Events are collected in operation order and saved many operations per
`app.save(...)` (about `chunk` events per save), which keeps generation fast.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.campaign import Campaign, CampaignTerms, Reward
from domain.claim import Claim
from domain.codes import new_coupon_code
from domain.coupon import Coupon
from domain.errors import DomainError
from domain.member import Attribution, Member
from domain.points import PointsAccount
from domain.referral import ShareToken, rewards_for
from domain.stock import StockShard
from domain.store import Store
from services.app import Lianjie
from services.app.campaigns import ClaimResult
from services.app.coupons import Redemption
from services.app.idempotency import IdempotencyRecord
from services.app.points import PurchaseResult
from services.policies import REFERRAL_CAMPAIGN_KINDS

REGIONS = ["合肥", "河北", "西南", "上海", "广州", "杭州", "南京", "武汉"]
TAGS = ["老顾客", "新顾客", "咖啡", "甜品", "上班族", "学生", "宝妈", "夜猫子", "A", "B"]
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
START = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Shape:
    """How big the simulated brand is and how its log is cut into saves."""

    members: int = 10_000
    stores: int = 200
    days: float = 30.0
    seed: int = 1
    chunk: int = 500  # events per app.save(...), whole operations only
    openid_prefix: str = "sim"
    tempo: float = 1.0  # scales the delays of members' later actions (< 1: a busier log)


@dataclass
class CampaignState:
    campaign: Campaign
    shards: list[StockShard]
    empty: set[int] = field(default_factory=set)

    @property
    def kind(self) -> str:
        return self.campaign.terms.kind


@dataclass
class Person:
    """One simulated follower: the aggregates the generator keeps changing."""

    member: Member
    account: PointsAccount
    home: UUID
    slots: Counter = field(default_factory=Counter)  # campaign id -> claims made
    orders: int = 0


class Bundle:
    """Many operations' events as one object for `app.save(...)`.

    The application checks every object it is given against a runtime Protocol,
    which costs ~40 µs each; one bundle instead of thousands of events or
    aggregates keeps that out of the generator's way. (The aggregate cache is not
    filled from saves: it fast-forwards from the store.)
    """

    def __init__(self, events: list[Any]) -> None:
        self.id = uuid4()
        self.events = events

    def collect_events(self) -> list[Any]:
        return self.events


class LogGenerator:
    """Writes a simulated brand's log into an application, a chunk at a time."""

    def __init__(self, app: Lianjie, shape: Shape | None = None) -> None:
        self.app = app
        self.shape = shape = shape or Shape()
        self.rng = random.Random(shape.seed)
        self.rules = app.rules
        self.store_ids: list[UUID] = []
        self.campaigns: dict[str, CampaignState] = {}
        self.by_id: dict[UUID, CampaignState] = {}
        self.people: list[Person] = []
        self.index: dict[UUID, int] = {}  # member id -> person index
        self.tokens: list[tuple[ShareToken, int]] = []  # (token, owner index)
        self.coupons: dict[str, tuple[Coupon, int]] = {}  # live coupons by code
        self.queue: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self.seq = 0
        self.keys = itertools.count(1)  # idempotency keys and order refs
        self.clock = 0.0  # simulated seconds since START
        self.pending: list[Any] = []  # events of finished operations, not saved yet
        self.written = 0
        self.saves = 0
        self.by_topic: Counter = Counter()
        self.seconds = 0.0
        self.arrival_gap = shape.days * DAY / max(shape.members, 1)
        self.on_save: Callable[[list[int]], None] | None = None  # notification ids, per save

    # ----------------------------------------------------------------- public API

    def setup(self) -> None:
        """Stores and campaigns, through the use cases (a few hundred events)."""
        started = time.perf_counter()
        before = self.app.recorder.max_notification_id() or 0
        catalog = self.app.catalog("stores")  # StoreUseCases.open_store, all in one save
        stores = []
        for number in range(self.shape.stores):
            region = REGIONS[number % len(REGIONS)]
            stores.append(Store.open(f"{region}{number + 1:03d}店", region))
            catalog.add(stores[-1].id)
        self.app.save(*stores, catalog)
        self.store_ids = [store.id for store in stores]
        for key, terms in campaign_terms(self.store_ids, self.shape.members).items():
            view = self.app.create_campaign(terms)
            self.app.start_campaign(view.id)
            campaign = self.app.repository.get(view.id)
            shards = [
                self.app.repository.get(StockShard.id_for(view.id, index))
                for index in range(campaign.shard_count)
            ]
            state = CampaignState(campaign, shards)
            self.campaigns[key] = state
            self.by_id[view.id] = state
        self.written += (self.app.recorder.max_notification_id() or 0) - before
        self.seconds += time.perf_counter() - started
        self.schedule(0.0, self.arrive, 0)

    @property
    def done(self) -> bool:
        return not self.queue and not self.pending

    def write(self, events: int, chunk: int | None = None) -> int:
        """Append at least `events` events (fewer only when the simulation ends).

        Saves hold whole operations, about `chunk` events each (the shape's by default).
        Returns how many events were written.
        """
        chunk = chunk or self.shape.chunk
        started, target = time.perf_counter(), self.written + events
        while self.written < target and self.queue:
            when, _, action, args = heapq.heappop(self.queue)
            self.clock = max(self.clock, when)
            action(*args)
            if len(self.pending) >= chunk:
                self.flush()
        if self.written < target or not self.queue:
            self.flush()
        self.seconds += time.perf_counter() - started
        return events - max(0, target - self.written)

    def write_all(self, progress: Callable[[int], None] | None = None, step: int = 50_000) -> int:
        """Run the simulation to its end; returns the events written in all."""
        while not self.done:
            self.write(step)
            if progress:
                progress(self.written)
        return self.written

    def flush(self) -> None:
        if self.pending:
            events, self.pending = self.pending, []
            recordings = self.app.save(Bundle(events))
            self.written += len(events)
            self.saves += 1
            if self.on_save:
                self.on_save([recording.notification.id for recording in recordings])

    # ------------------------------------------------------------------ machinery

    @property
    def now(self) -> datetime:
        return START + timedelta(seconds=self.clock)

    def schedule(self, delay: float, action: Callable[..., None], *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (self.clock + delay, self.seq, action, args))

    def collect(self, *aggregates: Aggregate) -> None:
        """The operation's events, in the order the use case would save them."""
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                self.pending.append(event)
                self.by_topic[type(event).__qualname__] += 1

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def later(self, low: float, high: float) -> float:
        """A delay between low and high seconds, skewed towards low (scaled by the tempo)."""
        return (low + (high - low) * self.rng.random() ** 2) * self.shape.tempo

    # ----------------------------------------------------------------- operations

    def arrive(self, number: int) -> None:
        """Member `number` follows; the next arrival is scheduled."""
        if number + 1 < self.shape.members:
            self.schedule(self.arrival_gap * self.rng.expovariate(1.0), self.arrive, number + 1)
        rng, now = self.rng, self.now
        attribution, home = self.attribution()
        member = Member.follow(f"{self.shape.openid_prefix}-{number}", attribution, now)
        person = Person(member, PointsAccount.open(member.id), home)
        self.index[member.id] = len(self.people)
        self.people.append(person)
        touched: list[Aggregate] = [member, person.account]
        touched += self.policy_effects(member, attribution)
        self.collect(*touched)
        who = len(self.people) - 1
        if attribution.store_id and self.chance(0.45):
            self.schedule(self.later(MINUTE, 10 * MINUTE), self.claim_op, who, "scan_gift")
        if self.chance(0.15):
            self.schedule(self.later(MINUTE, 3 * DAY), self.profile, who)
        for _ in range(rng.choice((0, 0, 0, 0, 0, 0, 1, 1, 2))):
            self.schedule(self.later(HOUR, 20 * DAY), self.tag, who)
        orders = 0
        while self.chance(0.35 if orders == 0 else 0.3):
            orders += 1
            self.schedule(self.later(10 * MINUTE, 25 * DAY), self.purchase, who)
        if self.chance(0.12):
            self.schedule(self.later(HOUR, 10 * DAY), self.share, who)
        for key, p in (("quiz_prize", 0.08), ("booking_discount", 0.08), ("lucky_draw", 0.02)):
            if self.chance(p):
                self.schedule(self.later(HOUR, 20 * DAY), self.claim_op, who, key)
        if self.chance(0.04):
            self.schedule(self.later(HOUR, 5 * DAY), self.promo_points, who)
        if self.chance(0.06):
            self.schedule(self.later(DAY, 25 * DAY), self.unfollow, who)

    def attribution(self) -> tuple[Attribution, UUID]:
        """Where a new follower comes from (and the store they will shop at)."""
        rng = self.rng
        home = rng.choice(self.store_ids)
        roll = rng.random()
        if roll < 0.55:
            return Attribution(scene=f"store:{home}", store_id=home), home
        if roll < 0.65:
            campaign = self.campaigns["follow_gift"].campaign.id
            return Attribution(scene=f"campaign:{campaign}", campaign_id=campaign), home
        share = self.popular_token() if roll < 0.95 else None
        if share is not None:
            return (
                Attribution(
                    scene=f"ref:{share.token}",
                    campaign_id=share.campaign_id,
                    referrer_id=share.owner_id,
                    share_token=share.token,
                ),
                home,
            )
        return Attribution(), home

    def popular_token(self) -> ShareToken | None:
        """A share of a follower: half go to the first 1% of sharers (the brand's 'KOLs').

        An unfollowed member's shares are never picked, so a referral never meets a
        referrer the policies would refuse.
        """
        rng, tokens = self.rng, self.tokens
        for _ in range(5 if tokens else 0):
            if rng.random() < 0.5:
                share, owner = tokens[rng.randrange(max(1, len(tokens) // 100))]
            else:
                share, owner = tokens[rng.randrange(len(tokens))]
            if self.people[owner].member.following:
                return share
        return None

    def policy_effects(self, member: Member, attribution: Attribution) -> list[Aggregate]:
        """What services.policies.Policies.on_followed would save for this follow."""
        touched: list[Aggregate] = []
        campaign_id = attribution.campaign_id
        chain = rewards_for(
            member.id, attribution.referrer_id, self.referrer_of, self.rules.referral_levels
        )
        for reward in chain:
            who = self.index[reward.member_id]
            state = self.by_id.get(campaign_id) if campaign_id else None
            if reward.level == 1 and state and state.kind in REFERRAL_CAMPAIGN_KINDS:
                touched += self.claim(who, state, f"referral:{member.id}", "referral")
                continue
            points = self.rules.referral_points_at(reward.level)
            account = self.people[who].account
            reference = f"referral:{member.id}:L{reward.level}"
            if points and reference not in account.entries:
                account.earn(points, "referral", reference, self.now + self.rules.points_valid_for)
                touched.append(account)
        state = self.by_id.get(campaign_id) if campaign_id else None
        if state and attribution.scene == f"campaign:{campaign_id}" and state.kind == "follow_gift":
            touched += self.claim(
                len(self.people) - 1, state, f"follow-gift:{member.id}", "follow-gift"
            )
        return touched

    def referrer_of(self, member_id: UUID) -> UUID | None:
        return self.people[self.index[member_id]].member.attribution.referrer_id

    def claim(self, who: int, state: CampaignState, key: str | None, reason: str = "claim"):
        """CampaignUseCases.decide_claim, on in-memory aggregates: the aggregates to save."""
        person, terms, now = self.people[who], state.campaign.terms, self.now
        member, account = person.member, person.account
        slot = person.slots[state.campaign.id] + 1
        if not member.following or slot > terms.per_member_limit:
            return []
        if terms.points_cost and account.spendable(now) < terms.points_cost:
            return []
        shard = self.free_shard(state) if terms.stock else None
        if terms.stock and shard is None:
            return []
        person.slots[state.campaign.id] = slot
        claim_id = Claim.id_for(state.campaign.id, member.id, slot)
        changed: list[Aggregate] = []
        if shard is not None:
            shard.reserve(claim_id)
            changed.append(shard)
        if terms.points_cost:
            account.spend(terms.points_cost, "exchange", f"claim:{claim_id}", now)
        coupon = None
        reward = terms.reward
        if reward.type == "coupon":
            coupon = Coupon.issue(
                new_coupon_code(),
                state.campaign.id,
                member.id,
                reward.title,
                reward.value_fen,
                state.campaign.coupon_window(now),
                terms.store_ids,
            )
            changed.append(coupon)
            self.coupon_issued(coupon, who)
        else:
            account.earn(
                reward.points, reason, f"claim:{claim_id}", now + self.rules.points_valid_for
            )
        if account.pending_events:
            changed.append(account)
        claim = Claim.make(
            state.campaign.id,
            member.id,
            slot,
            terms.per_member_limit,
            coupon_code=coupon.code if coupon else None,
            points=reward.points,
            reason=reason,
        )
        saved: list[Aggregate] = [claim, *changed]
        if key is not None:
            result = ClaimResult(
                claim_id=claim.id,
                campaign_id=state.campaign.id,
                member_id=member.id,
                code=coupon.code if coupon else None,
                title=coupon.title if coupon else None,
                status="issued",
                valid_until=coupon.valid_until if coupon else None,
                points=reward.points,
            )
            scope = f"claim:{state.campaign.id}:{member.id}"
            saved.append(IdempotencyRecord.record(scope, key, asdict(result)))
        return saved

    def free_shard(self, state: CampaignState) -> StockShard | None:
        candidates = [i for i in range(len(state.shards)) if i not in state.empty]
        self.rng.shuffle(candidates)
        for index in candidates:
            if state.shards[index].remaining > 0:
                return state.shards[index]
            state.empty.add(index)
        return None

    def claim_op(self, who: int, key: str) -> None:
        """A follower claims a campaign in the H5 page (some clients send a key)."""
        idempotency = f"k-{next(self.keys)}" if self.chance(0.3) else None
        self.collect(*self.claim(who, self.campaigns[key], idempotency))

    def coupon_issued(self, coupon: Coupon, who: int) -> None:
        self.coupons[coupon.code] = (coupon, who)
        if self.chance(0.55):
            self.schedule(self.later(30 * MINUTE, 20 * DAY), self.redeem, coupon.code)
        elif self.chance(0.04):
            self.schedule(self.later(HOUR, 10 * DAY), self.void, coupon.code)
        else:
            del self.coupons[coupon.code]  # never touched again

    def redeem(self, code: str) -> None:
        """Staff scan the coupon at the till (most tills send an idempotency key)."""
        coupon, who = self.coupons[code]
        store = self.people[who].home
        if coupon.store_ids is not None and store not in coupon.store_ids:
            store = self.rng.choice(coupon.store_ids)
        try:
            coupon.redeem(store, None, f"pos-{next(self.keys)}", self.now)
        except DomainError:  # expired meanwhile
            del self.coupons[code]
            return
        saved: list[Aggregate] = [coupon]
        if self.chance(0.8):
            answer = Redemption(coupon.code, "redeemed", store, self.now)
            saved.append(
                IdempotencyRecord.record(f"redeem:{store}", f"t-{next(self.keys)}", asdict(answer))
            )
        self.collect(*saved)
        if self.chance(0.03):
            self.schedule(self.later(MINUTE, 8 * MINUTE), self.reverse_redemption, code, store)
        else:
            del self.coupons[code]

    def reverse_redemption(self, code: str, store: UUID) -> None:
        coupon, _ = self.coupons.pop(code)
        coupon.reverse_redemption(store, None, self.now, self.rules.grace_period)
        self.collect(coupon)

    def void(self, code: str) -> None:
        coupon, _ = self.coupons.pop(code)
        coupon.void("运营作废")
        self.collect(coupon)

    def purchase(self, who: int) -> None:
        """PointsUseCases.decide_purchase; a few orders are refunded later."""
        person, now = self.people[who], self.now
        person.orders += 1
        order_ref = f"{self.shape.openid_prefix}-{who}-{person.orders}"
        store = person.home if self.chance(0.8) else self.rng.choice(self.store_ids)
        amount = int(self.rng.lognormvariate(8.2, 0.7))  # ~¥36 median
        person.member.record_purchase(store, max(amount, 100), order_ref, now)
        points = self.rules.earning.points_for(max(amount, 100))
        if points:
            expiry = now + self.rules.points_valid_for
            person.account.earn(points, "purchase", f"purchase:{order_ref}", expiry)
        answer = PurchaseResult(points, person.account.balance)
        record = IdempotencyRecord.record("purchase", order_ref, asdict(answer))
        self.collect(person.member, person.account, record)
        if points and self.chance(0.03):
            self.schedule(self.later(HOUR, 3 * DAY), self.refund, who, f"purchase:{order_ref}")
        if person.account.balance >= 100 and self.chance(0.3):
            self.schedule(self.later(HOUR, 5 * DAY), self.claim_op, who, "points_exchange")

    def refund(self, who: int, reference: str) -> None:
        account = self.people[who].account
        try:
            account.reverse(reference, self.now)
        except DomainError:  # the points were spent meanwhile
            return
        self.collect(account)

    def promo_points(self, who: int) -> None:
        """Short-lived promo points; what is left expires a week later."""
        account = self.people[who].account
        account.earn(30, "promo", f"promo:{who}", self.now + timedelta(days=7))
        self.collect(account)
        self.schedule(7 * DAY + HOUR, self.expire, who)

    def expire(self, who: int) -> None:
        account = self.people[who].account
        account.expire(self.now)
        self.collect(account)

    def share(self, who: int) -> None:
        """A member shares an invitation; share-gift sharers claim their own gift."""
        person = self.people[who]
        if not person.member.following:
            return
        roll = self.rng.random()
        key = "referral_reward" if roll < 0.4 else "share_gift" if roll < 0.6 else None
        campaign_id = self.campaigns[key].campaign.id if key else None
        token = ShareToken.share(person.member.id, campaign_id)
        self.tokens.append((token, who))
        self.collect(token)
        if key == "share_gift":
            self.collect(*self.claim(who, self.campaigns[key], None))

    def profile(self, who: int) -> None:
        member = self.people[who].member
        phone = f"13{self.rng.randrange(10**9):09d}" if self.chance(0.6) else None
        member.complete_profile(self.rng.choice(REGIONS), phone)
        self.collect(member)

    def tag(self, who: int) -> None:
        member = self.people[who].member
        tag = self.rng.choice(TAGS)
        if tag in member.tags and self.chance(0.5):
            member.untag(tag)
        else:
            member.tag(tag)
        self.collect(member)

    def unfollow(self, who: int) -> None:
        member = self.people[who].member
        member.unfollow(self.now)
        self.collect(member)
        if self.chance(0.3):
            self.schedule(self.later(HOUR, 10 * DAY), self.refollow, who)

    def refollow(self, who: int) -> None:
        member = self.people[who].member
        member.refollow(f"store:{self.people[who].home}", self.now)
        self.collect(member)

    # --------------------------------------------------------------------- report

    def summary(self) -> dict[str, Any]:
        return {
            "events": self.written,
            "saves": self.saves,
            "seconds": self.seconds,
            "rate": self.written / self.seconds if self.seconds else 0.0,
            "members": len(self.people),
            "by_topic": dict(self.by_topic.most_common()),
        }


def campaign_terms(store_ids: list[UUID], members: int) -> dict[str, CampaignTerms]:
    """The brand's campaigns: one of each kind, stock sized to the brand."""
    coupon = Reward  # a coupon or points reward
    return {
        "follow_gift": CampaignTerms(
            "关注有礼：新粉丝立减3元", "follow_gift", coupon("coupon", "¥3 代金券", 300)
        ),
        "scan_gift": CampaignTerms(
            "到店扫码领¥3",
            "scan_gift",
            coupon("coupon", "¥3 到店券", 300),
            stock=max(100, members // 4),
        ),
        "referral_reward": CampaignTerms(
            "邀请好友得¥10券",
            "referral_reward",
            coupon("coupon", "¥10 代金券", 1000),
            stock=max(50, members // 40),
            per_member_limit=10,
        ),
        "share_gift": CampaignTerms(
            "分享有礼", "share_gift", coupon("points", points=20), per_member_limit=3
        ),
        "points_exchange": CampaignTerms(
            "100积分换咖啡",
            "points_exchange",
            coupon("coupon", "美式咖啡一杯", 1500),
            stock=max(50, members // 20),
            points_cost=100,
            per_member_limit=5,
        ),
        "booking_discount": CampaignTerms(
            "预约到店88折",
            "booking_discount",
            coupon("coupon", "88折券", 0),
            per_member_limit=2,
            store_ids=store_ids[: max(1, len(store_ids) // 4)],
            coupon_valid_days=14,
        ),
        "quiz_prize": CampaignTerms("答题赢积分", "quiz_prize", coupon("points", points=10)),
        "lucky_draw": CampaignTerms(
            "双十一限量抽奖",
            "lucky_draw",
            coupon("coupon", "¥50 代金券", 5000),
            stock=max(20, members // 1000),
        ),
    }


def scene_counts(generator: LogGenerator) -> defaultdict[str, int]:
    """How many follows came through each scene kind (for reports)."""
    counts: defaultdict[str, int] = defaultdict(int)
    for person in generator.people:
        scene = person.member.attribution.scene or "none:"
        counts[scene.split(":", 1)[0]] += 1
    return counts
