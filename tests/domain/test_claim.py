from uuid import uuid4

import pytest

from domain.claim import Claim, ClaimLimitReached
from domain.errors import InvalidInput
from tests.domain.gwt import then, then_error, when

CAMPAIGN, MEMBER, OTHER_MEMBER = uuid4(), uuid4(), uuid4()


@pytest.mark.parametrize(("slot", "limit"), [(1, 1), (1, 3), (3, 3)])
def test_a_claim_within_the_limit_is_made(slot, limit):
    events = when(None, lambda _: Claim.make(CAMPAIGN, MEMBER, slot, limit, coupon_code="C"))
    then(
        events,
        (
            Claim.Made,
            {
                "campaign_id": CAMPAIGN,
                "member_id": MEMBER,
                "slot": slot,
                "coupon_code": "C",
                "points": 0,
                "reason": "claim",
            },
        ),
    )


def test_a_points_claim_carries_its_points_and_reason():
    events = when(None, lambda _: Claim.make(CAMPAIGN, MEMBER, 1, 1, points=50, reason="quiz"))
    then(events, (Claim.Made, {"coupon_code": None, "points": 50, "reason": "quiz"}))


@pytest.mark.parametrize(("slot", "limit"), [(2, 1), (4, 3)])
def test_a_slot_past_the_limit_is_refused(slot, limit):
    then_error(None, lambda _: Claim.make(CAMPAIGN, MEMBER, slot, limit), ClaimLimitReached)


def test_the_id_is_derived_from_campaign_member_and_slot():
    events = when(None, lambda _: Claim.make(CAMPAIGN, MEMBER, 2, 3))
    assert events[0].originator_id == Claim.id_for(CAMPAIGN, MEMBER, 2)


def test_the_same_campaign_member_and_slot_always_name_the_same_claim():
    first = Claim.make(CAMPAIGN, MEMBER, 1, 1)
    again = Claim.make(CAMPAIGN, MEMBER, 1, 1)
    assert first.id == again.id


def test_other_slots_members_and_campaigns_name_other_claims():
    ids = {
        Claim.id_for(CAMPAIGN, MEMBER, 1),
        Claim.id_for(CAMPAIGN, MEMBER, 2),
        Claim.id_for(CAMPAIGN, OTHER_MEMBER, 1),
        Claim.id_for(uuid4(), MEMBER, 1),
    }
    assert len(ids) == 4


def test_a_slot_below_one_is_refused():
    then_error(None, lambda _: Claim.make(CAMPAIGN, MEMBER, 0, 1), InvalidInput)
