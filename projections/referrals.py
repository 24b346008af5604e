"""Which referrals count: the one rule every view that counts referrals follows.

A referral counts from its follow (`Member.Followed` naming a referrer). The fraud
review (`domain/review.py`) may hold it: a `Flagged` referral stops counting and
counts again only when an operator approves it; a rejected one stays off for good.
Refused follows never counted (a self-referral records no referrer, a re-follow is no
`Followed`), and capped ones count: the friend came, only the reward was capped.

An approval names only its review, so each view keeps the referrals it took off, in
memory and in a table of its own (a restarted runner still puts them back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from domain.member import Member
from domain.review import ReferralReview
from projections.sql import iso
from projections.view import Batch

REVIEW_VERDICTS = (ReferralReview.Flagged, ReferralReview.Approved)  # what moves a count
Verdict = ReferralReview.Flagged | ReferralReview.Approved


class Referral(NamedTuple):
    referrer_id: str
    campaign_id: str | None
    followed_at: str  # ISO


def held_table(name: str) -> dict[str, str]:
    """The table a `CountedReferrals` keeps its held referrals in (for the view's `tables`)."""
    return {
        name: (
            "review_id TEXT PRIMARY KEY, referrer_id TEXT NOT NULL, campaign_id TEXT, "
            "followed_at TEXT NOT NULL"
        )
    }


class CountedReferrals:
    """The referrals one view counts; `count(referral, +1 or -1, batch)` is how that view
    counts one."""

    def __init__(self, table: str, count: Callable[[Referral, int, Batch], None]) -> None:
        self.table = table
        self.count = count
        self.held: dict[str, Referral] = {}  # held while this view ran

    def followed(self, event: Member.Followed, batch: Batch) -> None:
        """A follow naming a referrer counts from now."""
        if event.referrer_id:
            campaign_id = str(event.campaign_id) if event.campaign_id else None
            self.count(Referral(str(event.referrer_id), campaign_id, iso(event.at)), 1, batch)

    def reviewed(self, verdict: Verdict, batch: Batch) -> None:
        """A flag takes its referral off; an approval puts it back."""
        if isinstance(verdict, ReferralReview.Flagged):
            self.count(self.hold(verdict, batch), -1, batch)
        elif released := self.release(str(verdict.originator_id), batch):
            self.count(released, 1, batch)

    def hold(self, flagged: ReferralReview.Flagged, batch: Batch) -> Referral:
        review_id = str(flagged.originator_id)
        campaign_id = str(flagged.campaign_id) if flagged.campaign_id else None
        referral = Referral(str(flagged.referrer_id), campaign_id, iso(flagged.followed_at))
        self.held[review_id] = referral
        batch.run(
            f"INSERT INTO {self.table} (review_id, referrer_id, campaign_id, followed_at) "
            "VALUES (%s, %s, %s, %s)",
            review_id,
            *referral,
        )
        return referral

    def release(self, review_id: str, batch: Batch) -> Referral | None:
        """The held referral, from memory, else one lookup. None when this view never took it
        off (its table was made after the flag): it still counts, so nothing to put back."""
        if review_id in self.held:
            return self.held.pop(review_id)
        rows = batch.sql.rows(
            f"SELECT referrer_id, campaign_id, followed_at FROM {self.table} WHERE review_id = %s",
            [review_id],
        )
        return Referral(*rows[0]) if rows else None
