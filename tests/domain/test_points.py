from datetime import timedelta
from uuid import uuid4

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.errors import DomainError, InvalidInput
from domain.points import (
    EarningRule,
    InsufficientPoints,
    NothingToReverse,
    PointsAccount,
    ReferenceAlreadyCounted,
)
from tests.domain.gwt import NOW, given, then, then_error, when

MEMBER = uuid4()
DAY = timedelta(days=1)
OPENED = (PointsAccount.Opened, {"member_id": MEMBER})


def earned(points, reference, expires_at=None):
    return (
        PointsAccount.Earned,
        {"points": points, "reason": "purchase", "reference": reference, "expires_at": expires_at},
    )


def spent(points, reference, allocations):
    return (
        PointsAccount.Spent,
        {
            "points": points,
            "reason": "exchange",
            "reference": reference,
            "allocations": allocations,
        },
    )


def test_an_account_opens_at_zero_under_an_id_derived_from_the_member():
    events = when(None, lambda _: PointsAccount.open(MEMBER))
    then(events, (PointsAccount.Opened, {"member_id": MEMBER}))
    assert events[0].originator_id == PointsAccount.id_for(MEMBER)
    assert given(PointsAccount, OPENED).balance == 0


def test_points_are_earned():
    account = given(PointsAccount, OPENED)
    events = when(account, lambda a: a.earn(30, "purchase", "order-1", NOW + DAY))
    then(events, (PointsAccount.Earned, {"points": 30, "reference": "order-1"}))
    assert account.balance == 30


@pytest.mark.parametrize("points", [0, -5])
def test_only_positive_points_are_earned_or_spent(points):
    account = given(PointsAccount, OPENED, earned(50, "order-1"))
    then_error(account, lambda a: a.earn(points, "purchase", "order-2", None), InvalidInput)
    then_error(account, lambda a: a.spend(points, "exchange", "claim-1", NOW), InvalidInput)


def test_points_are_spent():
    account = given(PointsAccount, OPENED, earned(50, "order-1"))
    events = when(account, lambda a: a.spend(20, "exchange", "claim-1", NOW))
    then(
        events,
        (
            PointsAccount.Spent,
            {"points": 20, "reference": "claim-1", "allocations": [("order-1", 20)]},
        ),
    )
    assert account.balance == 30


@pytest.mark.parametrize("reference", ["order-1", "claim-1"])
def test_a_reference_counts_once_only(reference):
    account = given(
        PointsAccount, OPENED, earned(50, "order-1"), spent(5, "claim-1", [("order-1", 5)])
    )
    then_error(account, lambda a: a.earn(10, "purchase", reference, None), ReferenceAlreadyCounted)
    then_error(account, lambda a: a.spend(10, "exchange", reference, NOW), ReferenceAlreadyCounted)


def test_an_empty_reference_is_refused():
    account = given(PointsAccount, OPENED)
    then_error(account, lambda a: a.earn(10, "purchase", "", None), ReferenceAlreadyCounted)


def test_spending_more_than_the_balance_is_refused():
    account = given(PointsAccount, OPENED, earned(50, "order-1"))
    then_error(account, lambda a: a.spend(51, "exchange", "claim-1", NOW), InsufficientPoints)


def test_spending_takes_the_soonest_expiring_lots_first():
    account = given(
        PointsAccount,
        OPENED,
        earned(10, "never", None),
        earned(10, "late", NOW + 9 * DAY),
        earned(10, "soon", NOW + DAY),
    )
    events = when(account, lambda a: a.spend(25, "exchange", "claim-1", NOW))
    then(events, (PointsAccount.Spent, {"allocations": [("soon", 10), ("late", 10), ("never", 5)]}))
    assert [lot.remaining for lot in account.lots] == [5, 0, 0]


def test_expired_lots_are_not_spendable():
    account = given(PointsAccount, OPENED, earned(10, "old", NOW), earned(10, "new", NOW + DAY))
    assert account.spendable(NOW) == 10
    then_error(account, lambda a: a.spend(15, "exchange", "claim-1", NOW), InsufficientPoints)


def test_what_is_left_of_expired_lots_expires():
    account = given(
        PointsAccount,
        OPENED,
        earned(10, "old", NOW),
        earned(10, "new", NOW + DAY),
        spent(4, "claim-1", [("old", 4)]),
    )
    events = when(account, lambda a: a.expire(NOW))
    then(events, (PointsAccount.Expired, {"points": 6, "allocations": [("old", 6)], "at": NOW}))
    assert account.balance == 10


def test_nothing_expires_before_its_time():
    account = given(PointsAccount, OPENED, earned(10, "order-1", NOW + DAY), earned(5, "order-2"))
    then(when(account, lambda a: a.expire(NOW)))
    assert account.expire(NOW) == 0


def test_an_earning_is_reversed():
    account = given(PointsAccount, OPENED, earned(30, "order-1"))
    events = when(account, lambda a: a.reverse("order-1", NOW))
    then(
        events,
        (
            PointsAccount.Reversed,
            {"reference": "order-1", "delta": -30, "allocations": [("order-1", 30)]},
        ),
    )
    assert account.balance == 0


def test_a_spending_is_reversed_into_the_lots_it_came_from():
    allocations = [("order-1", 10), ("order-2", 5)]
    account = given(
        PointsAccount,
        OPENED,
        earned(10, "order-1", NOW + DAY),
        earned(10, "order-2"),
        spent(15, "claim-1", allocations),
    )
    events = when(account, lambda a: a.reverse("claim-1", NOW))
    then(events, (PointsAccount.Reversed, {"delta": 15, "allocations": allocations}))
    assert account.balance == 20
    assert [lot.remaining for lot in account.lots] == [10, 10]


def test_a_reference_is_reversed_once_only():
    account = given(
        PointsAccount,
        OPENED,
        earned(30, "order-1"),
        (
            PointsAccount.Reversed,
            {"reference": "order-1", "delta": -30, "allocations": [("order-1", 30)]},
        ),
    )
    then_error(account, lambda a: a.reverse("order-1", NOW), NothingToReverse)


def test_an_unknown_reference_has_nothing_to_reverse():
    account = given(PointsAccount, OPENED, earned(30, "order-1"))
    then_error(account, lambda a: a.reverse("order-2", NOW), NothingToReverse)


def test_reversing_a_spent_earning_takes_its_own_lot_first_then_others():
    account = given(
        PointsAccount,
        OPENED,
        earned(10, "order-1"),
        earned(20, "order-2"),
        spent(6, "claim-1", [("order-1", 6)]),
    )
    events = when(account, lambda a: a.reverse("order-1", NOW))
    then(
        events,
        (PointsAccount.Reversed, {"delta": -10, "allocations": [("order-1", 4), ("order-2", 6)]}),
    )
    assert account.balance == 14


def test_reversing_a_spent_earning_needs_enough_points_left():
    account = given(
        PointsAccount,
        OPENED,
        earned(10, "order-1"),
        earned(3, "order-2"),
        spent(8, "claim-1", [("order-1", 8)]),
    )
    then_error(account, lambda a: a.reverse("order-1", NOW), InsufficientPoints)


@pytest.mark.parametrize(
    ("amount_fen", "rate", "points"), [(0, 1, 0), (99, 1, 0), (2599, 1, 25), (1000, 3, 30)]
)
def test_a_purchase_earns_points_for_every_whole_yuan(amount_fen, rate, points):
    assert EarningRule(rate).points_for(amount_fen) == points


def delta(event):
    """What an event adds to the balance."""
    if isinstance(event, PointsAccount.Earned):
        return event.points
    if isinstance(event, (PointsAccount.Spent, PointsAccount.Expired)):
        return -event.points
    if isinstance(event, PointsAccount.Reversed):
        return event.delta
    return 0


REFERENCES = st.sampled_from([f"ref-{n}" for n in range(12)])


class PointsLedger(RuleBasedStateMachine):
    """Any mix of earning, spending, expiring and reversing keeps the books straight."""

    def __init__(self):
        super().__init__()
        self.account = PointsAccount.open(MEMBER)
        self.events = list(self.account.collect_events())
        self.now = NOW

    def attempt(self, command):
        try:
            command(self.account)
        except DomainError:
            assert list(self.account.collect_events()) == []  # a refusal triggers nothing
        self.events += self.account.collect_events()

    @rule(hours=st.integers(0, 48))
    def time_passes(self, hours):
        self.now += timedelta(hours=hours)

    @rule(points=st.integers(1, 100), reference=REFERENCES, hours=st.none() | st.integers(0, 72))
    def earn(self, points, reference, hours):
        expires_at = None if hours is None else self.now + timedelta(hours=hours)
        self.attempt(lambda a: a.earn(points, "purchase", reference, expires_at))

    @rule(points=st.integers(1, 60), reference=REFERENCES)
    def spend(self, points, reference):
        self.attempt(lambda a: a.spend(points, "exchange", reference, self.now))

    @rule()
    def expire(self):
        self.attempt(lambda a: a.expire(self.now))

    @rule(reference=REFERENCES)
    def reverse(self, reference):
        self.attempt(lambda a: a.reverse(reference, self.now))

    @invariant()
    def the_balance_is_the_sum_of_the_deltas(self):
        assert self.account.balance == sum(delta(event) for event in self.events)

    @invariant()
    def the_balance_is_never_negative(self):
        assert self.account.balance >= 0
        assert all(lot.remaining >= 0 for lot in self.account.lots)

    @invariant()
    def the_balance_is_what_is_left_in_the_lots(self):
        assert self.account.balance == sum(lot.remaining for lot in self.account.lots)
        assert self.account.spendable(self.now) <= self.account.balance

    @invariant()
    def replaying_the_events_rebuilds_the_same_account(self):
        rebuilt = None
        for event in self.events:
            rebuilt = event.mutate(rebuilt)
        assert rebuilt.balance == self.account.balance
        assert rebuilt.lots == self.account.lots
        assert rebuilt.version == self.account.version


TestPointsLedger = PointsLedger.TestCase
TestPointsLedger.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
