"""Contribution scores: what each member gives the brand, in the playbook's four parts.

The view keeps whole counters per member; weights come in at query time, so an
operator can re-weigh the parts without a rebuild. Points per part:

- spreading   = 2 per share made (ShareToken.Shared by the member)
              + 10 per follower brought (Member.Followed naming them as referrer_id;
                counted as the leaderboard counts it, `projections/referrals.py`: not
                while the fraud review holds it, nor ever once rejected)
              + 1 per opening of a link they shared (InvitationDevice.Opened)
- interaction = 3 per claim the member made (Claim.Made with reason "claim")
              + 5 per quiz answer (QaProgress.QuestionAnswered)
              + 1 per message the follower sent (InboundMessage.Received that is not an
                event push) + 8 per sign-up (Claim.Made on a booking_discount campaign)
- spending    = 1 per whole ¥1 of all purchases: purchase_fen // 100
              (Member.PurchaseRecorded)
- self-growth = 5 for following (Member.Followed) + 10 for a completed profile
              (Member.ProfileCompleted) + 5 for an activated member card
              (Member.CardActivated)

score = w.spreading × spreading + w.interaction × interaction + w.spending × spending
        + w.self_growth × self_growth

Only claims the member made (reason "claim") are interaction: follow gifts and
referral rewards are claimed on the member's behalf and are paid for elsewhere
(self-growth, spreading). A claim on a booking_discount campaign (the playbook's
"book via WeChat") is a sign-up: 8 instead of a claim's 3; the view keeps each
campaign's kind, from its Campaign.Created, in a table of its own. A refollow adds
nothing (first touch only), and a profile and a card count once however often they
are completed or activated again. A message counts for the member who sent it
(`member_id`, kept in clear), also after the member is erased. Spending is what was
recorded; a refund has no event of its own yet, so it does not lower it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.campaign import Campaign
from domain.claim import Claim
from domain.inbound import InboundMessage
from domain.member import Member
from domain.qaprogress import QaProgress
from domain.referral import InvitationDevice, ShareToken
from projections.invitations import Invitations, invitation_tables
from projections.referrals import (
    REVIEW_VERDICTS,
    CountedReferrals,
    Referral,
    Verdict,
    held_table,
)
from projections.sql import Database, iso
from projections.view import Batch, View, handles, remembered

MEMBER_CLAIM = "claim"  # Claim.Made.reason when the member claimed it themself
SIGN_UP_KIND = "booking_discount"  # a claim on such a campaign is a sign-up (a booking)
COUNTERS = (
    "followed", "shares", "referrals", "opens", "claims", "answers", "messages", "purchase_fen",
    "profiles", "signups", "cards",
)  # fmt: skip
EVENT_PUSH = "event"  # InboundMessage.Received.msg_type of a push (subscribe, scan, click…)
ADD_UP = ", ".join(f"{c} = contribution_members.{c} + excluded.{c}" for c in COUNTERS)
MARKS = ", ".join(["%s"] * len(COUNTERS))
UPSERT = (
    f"INSERT INTO contribution_members (member_id, {', '.join(COUNTERS)}) VALUES (%s, {MARKS}) "
    f"ON CONFLICT (member_id) DO UPDATE SET {ADD_UP}"
)
# A member who followed in this batch: a new row, their first-touch facts riding on
# their counters (no event of a member comes before their follow).
INSERT_JOINED = (
    f"INSERT INTO contribution_members (member_id, store_id, member_since, {', '.join(COUNTERS)}) "
    f"VALUES (%s, %s, %s, {MARKS})"
)

SPREADING = "2 * shares + 10 * referrals + 1 * opens"
INTERACTION = "3 * claims + 5 * answers + 1 * messages + 8 * signups"
SPENDING = "purchase_fen / 100"
SELF_GROWTH = (
    "5 * followed + 10 * (CASE WHEN profiles > 0 THEN 1 ELSE 0 END) "
    "+ 5 * (CASE WHEN cards > 0 THEN 1 ELSE 0 END)"
)


class ContributionView(View):
    """Per member: the counters behind the four parts of a contribution score."""

    name = "contribution"
    tables = {
        "contribution_members": (
            "member_id TEXT PRIMARY KEY, store_id TEXT, member_since TEXT, "
            "shares BIGINT NOT NULL DEFAULT 0, referrals BIGINT NOT NULL DEFAULT 0, "
            "opens BIGINT NOT NULL DEFAULT 0, claims BIGINT NOT NULL DEFAULT 0, "
            "answers BIGINT NOT NULL DEFAULT 0, messages BIGINT NOT NULL DEFAULT 0, "
            "signups BIGINT NOT NULL DEFAULT 0, purchase_fen BIGINT NOT NULL DEFAULT 0, "
            "followed BIGINT NOT NULL DEFAULT 0, profiles BIGINT NOT NULL DEFAULT 0, "
            "cards BIGINT NOT NULL DEFAULT 0"
        ),
        "contribution_quizzes": "progress_id TEXT PRIMARY KEY, member_id TEXT NOT NULL",
        "contribution_campaigns": "campaign_id TEXT PRIMARY KEY, kind TEXT NOT NULL",
        **invitation_tables("contribution"),
        **held_table("contribution_referrals_held"),
    }
    indexes = [
        "CREATE INDEX IF NOT EXISTS contribution_members_store ON contribution_members (store_id)"
    ]

    def __init__(self) -> None:
        self.joined: dict[str, tuple[str, str | None, str]] = {}  # this batch's new members
        self.quiz_taker: dict[str, str | None] = {}  # quiz progress -> member (never changes)
        self.campaign_kind: dict[str, str | None] = {}  # campaign -> kind (never changes)
        self.invitations = Invitations("contribution")
        self.referrals = CountedReferrals("contribution_referrals_held", self.count_referral)

    def handle(self, events: Iterable[tuple[str, Any]], batch: Batch) -> None:
        self.joined = {}
        super().handle(events, batch)

    def count(self, batch: Batch, member_id: UUID | str, counter: str, amount: int = 1) -> None:
        """Add to one of a member's counters: one row per member and batch, however many."""
        member = str(member_id)
        joined = self.joined.get(member)
        statement, key = (INSERT_JOINED, joined) if joined else (UPSERT, (member,))
        amounts = [0] * len(COUNTERS)
        amounts[COUNTERS.index(counter)] = amount
        batch.add(statement, key, *amounts)

    @handles(Member.Followed)
    def followed(self, event: Member.Followed, batch: Batch) -> None:
        member = str(event.originator_id)
        store = str(event.store_id) if event.store_id else None
        self.joined[member] = (member, store, iso(event.at))
        self.count(batch, event.originator_id, "followed")  # once: a refollow adds nothing
        self.referrals.followed(event, batch)

    @handles(*REVIEW_VERDICTS)
    def referral_reviewed(self, verdict: Verdict, batch: Batch) -> None:
        self.referrals.reviewed(verdict, batch)

    def count_referral(self, referral: Referral, delta: int, batch: Batch) -> None:
        self.count(batch, referral.referrer_id, "referrals", delta)

    @handles(ShareToken.Shared)
    def shared(self, event: ShareToken.Shared, batch: Batch) -> None:
        self.count(batch, event.owner_id, "shares")
        self.invitations.shared(event, batch)

    @handles(InvitationDevice.Started)
    def invitation_started(self, event: InvitationDevice.Started, batch: Batch) -> None:
        self.invitations.started(event, batch)

    @handles(InvitationDevice.Opened)
    def invitation_opened(self, event: InvitationDevice.Opened, batch: Batch) -> None:
        invitation = self.invitations.opened(event, batch)
        if invitation:
            self.count(batch, invitation[0], "opens")

    @handles(Campaign.Created)
    def campaign_created(self, event: Campaign.Created, batch: Batch) -> None:
        campaign = str(event.originator_id)
        self.campaign_kind[campaign] = event.kind
        batch.run(
            "INSERT INTO contribution_campaigns (campaign_id, kind) VALUES (%s, %s)",
            campaign,
            event.kind,
        )

    @handles(Claim.Made)
    def claimed(self, event: Claim.Made, batch: Batch) -> None:
        if event.reason == MEMBER_CLAIM:
            kind = remembered(
                self.campaign_kind,
                str(event.campaign_id),
                "SELECT kind FROM contribution_campaigns WHERE campaign_id = %s",
                batch,
            )
            self.count(batch, event.member_id, "signups" if kind == SIGN_UP_KIND else "claims")

    @handles(Member.PurchaseRecorded)
    def purchased(self, event: Member.PurchaseRecorded, batch: Batch) -> None:
        self.count(batch, event.originator_id, "purchase_fen", event.amount_fen)

    @handles(Member.ProfileCompleted)
    def profile_completed(self, event: Member.ProfileCompleted, batch: Batch) -> None:
        self.count(batch, event.originator_id, "profiles")

    @handles(Member.CardActivated)
    def card_activated(self, event: Member.CardActivated, batch: Batch) -> None:
        self.count(batch, event.originator_id, "cards")

    @handles(QaProgress.Begun)
    def quiz_begun(self, event: QaProgress.Begun, batch: Batch) -> None:
        progress, member = str(event.originator_id), str(event.member_id)
        self.quiz_taker[progress] = member
        batch.run(
            "INSERT INTO contribution_quizzes (progress_id, member_id) VALUES (%s, %s)",
            progress,
            member,
        )

    @handles(QaProgress.QuestionAnswered)
    def question_answered(self, event: QaProgress.QuestionAnswered, batch: Batch) -> None:
        member = remembered(
            self.quiz_taker,
            str(event.originator_id),
            "SELECT member_id FROM contribution_quizzes WHERE progress_id = %s",
            batch,
        )
        if member:
            self.count(batch, member, "answers")

    @handles(InboundMessage.Received)
    def message_received(self, event: InboundMessage.Received, batch: Batch) -> None:
        sent = event.msg_type != EVENT_PUSH and not event.msg_type.startswith("device_")
        if sent:  # member_id stays in clear: an erased member's messages still count
            self.count(batch, event.member_id, "messages")


@dataclass(frozen=True)
class ContributionWeights:
    """How much each part counts in the score; 1.0 each by default, never negative."""

    spreading: float = 1.0
    interaction: float = 1.0
    spending: float = 1.0
    self_growth: float = 1.0

    def __post_init__(self) -> None:
        if min(self.spreading, self.interaction, self.spending, self.self_growth) < 0:
            raise ValueError("contribution weights are zero or more")


@dataclass(frozen=True)
class ContributionEntry:
    rank: int
    member_id: UUID
    score: float
    spreading: int
    interaction: int
    spending: int
    self_growth: int


def contribution_ranking(
    db: Database,
    weights: ContributionWeights | None = None,
    limit: int = 10,
    store_id: UUID | None = None,
) -> list[ContributionEntry]:
    """Members by weighted score, highest first; ties to the earliest follower.

    With `store_id`, only members whose first touch was that store's QR code.
    """
    weights = weights or ContributionWeights()
    where, params = ("WHERE store_id = %s", [str(store_id)]) if store_id else ("", [])
    rows = db.read(
        "SELECT member_id, %s * spreading + %s * interaction + %s * spending "
        "+ %s * self_growth AS score, spreading, interaction, spending, self_growth "
        f"FROM (SELECT member_id, member_since, {SPREADING} AS spreading, "
        f"{INTERACTION} AS interaction, {SPENDING} AS spending, {SELF_GROWTH} AS self_growth "
        f"FROM contribution_members {where}) AS parts "
        "ORDER BY score DESC, member_since, member_id LIMIT %s",
        [
            float(weights.spreading),
            float(weights.interaction),
            float(weights.spending),
            float(weights.self_growth),
            *params,
            limit,
        ],
    )
    return [
        ContributionEntry(rank, UUID(member), float(score), *map(int, parts))
        for rank, (member, score, *parts) in enumerate(rows, start=1)
    ]
