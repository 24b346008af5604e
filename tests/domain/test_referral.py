from datetime import timedelta
from uuid import uuid4

import pytest

from domain.codes import ALPHABET, SHARE_TOKEN_SYMBOLS
from domain.errors import InvalidInput
from domain.referral import (
    MAX_LEVELS,
    InvitationDevice,
    ReferralReward,
    ShareToken,
    rewards_for,
)
from tests.domain.gwt import NOW, given, then, when

A, B, C, D, NEW = (uuid4() for _ in range(5))
CAMPAIGN = uuid4()


def chain(referrers):
    """A referrer_of lookup from a {member: referrer} mapping."""
    return referrers.get


def test_sharing_creates_a_token_of_twelve_symbols():
    events = when(None, lambda _: ShareToken.share(A, CAMPAIGN))
    then(events, (ShareToken.Shared, {"owner_id": A, "campaign_id": CAMPAIGN}))
    token = events[0].token
    assert len(token) == SHARE_TOKEN_SYMBOLS == 12
    assert set(token) <= set(ALPHABET)
    assert events[0].originator_id == ShareToken.id_for(token)


def test_a_share_token_without_a_campaign_is_fine():
    then(when(None, lambda _: ShareToken.share(A)), (ShareToken.Shared, {"campaign_id": None}))


def test_every_share_makes_a_fresh_token():
    assert ShareToken.share(A).token != ShareToken.share(A).token


def test_the_scene_of_a_share_token_is_ref_and_the_token():
    shared = (ShareToken.Shared, {"token": "ABCDEFGHJKMN", "owner_id": A, "campaign_id": None})
    assert given(ShareToken, shared).scene == "ref:ABCDEFGHJKMN"


def test_only_the_direct_referrer_is_rewarded_at_one_level():
    assert rewards_for(NEW, A, chain({A: B, B: C}), levels=1) == [ReferralReward(1, A)]


def test_rewards_go_up_the_chain_to_three_levels():
    rewards = rewards_for(NEW, A, chain({A: B, B: C, C: D}), levels=3)
    assert rewards == [ReferralReward(1, A), ReferralReward(2, B), ReferralReward(3, C)]


def test_rewards_stop_where_the_chain_ends():
    assert rewards_for(NEW, A, chain({A: B}), levels=3) == [
        ReferralReward(1, A),
        ReferralReward(2, B),
    ]


def test_no_referrer_means_no_rewards():
    assert rewards_for(NEW, None, chain({}), levels=3) == []


def test_a_chain_that_loops_back_stops_at_the_loop():
    assert rewards_for(NEW, A, chain({A: B, B: A}), levels=3) == [
        ReferralReward(1, A),
        ReferralReward(2, B),
    ]


def test_the_new_member_is_never_rewarded_for_their_own_follow():
    assert rewards_for(NEW, NEW, chain({NEW: A}), levels=3) == []
    assert rewards_for(NEW, A, chain({A: NEW, NEW: B}), levels=3) == [ReferralReward(1, A)]


def test_the_chain_is_not_looked_up_past_the_last_level():
    looked_up = []

    def referrer_of(member_id):
        looked_up.append(member_id)
        return {A: B, B: C}.get(member_id)

    rewards_for(NEW, A, referrer_of, levels=2)
    assert looked_up == [A]


@pytest.mark.parametrize("levels", [0, -1, MAX_LEVELS + 1])
def test_levels_outside_one_to_three_are_refused(levels):
    with pytest.raises(InvalidInput):
        rewards_for(NEW, A, chain({}), levels=levels)


WINDOW = timedelta(hours=1)
TOKEN = "ABCDEFGHJKMN"
SHARED = (
    ShareToken.Shared,
    {"token": TOKEN, "owner_id": A, "campaign_id": None, "owner_device": "owner-phone"},
)


def device(name, *minutes_ago):
    """A device that opened the link at these moments."""
    openings = [(InvitationDevice.Opened, {"at": NOW - timedelta(minutes=m)}) for m in minutes_ago]
    return given(
        InvitationDevice,
        (InvitationDevice.Started, {"token": TOKEN, "device": name}),
        *openings,
        id=InvitationDevice.id_for(TOKEN, name),
    )


def test_sharing_remembers_the_owners_device():
    events = when(None, lambda _: ShareToken.share(A, None, "owner-phone"))
    then(events, (ShareToken.Shared, {"owner_device": "owner-phone"}))


def test_a_device_counts_its_openings_of_a_link():
    opened = device("phone-1", 90)
    then(when(opened, lambda d: d.open(NOW)), (InvitationDevice.Opened, {"at": NOW}))
    assert opened.openings_since(NOW - WINDOW) == 1
    assert opened.id == InvitationDevice.id_for(TOKEN, "phone-1")


def test_the_owners_own_device_opening_the_link_is_suspected():
    share = given(ShareToken, SHARED)
    events = when(share, lambda s: s.notice_opening(device("owner-phone", 0), 3, WINDOW, NOW))
    then(events, (ShareToken.Suspected, {"reason": "owner-device", "at": NOW}))
    assert share.suspicions_since(NOW - WINDOW, NOW) == ["owner-device"]


def test_one_device_opening_the_link_again_and_again_is_suspected():
    share = given(ShareToken, SHARED)
    again = device("phone-1", 50, 20, 0)
    then(
        when(share, lambda s: s.notice_opening(again, 3, WINDOW, NOW)),
        (ShareToken.Suspected, {"reason": "one-device"}),
    )


def test_openings_below_the_limit_or_outside_the_window_are_innocent():
    share = given(ShareToken, SHARED)
    then(when(share, lambda s: s.notice_opening(device("phone-1", 20, 0), 3, WINDOW, NOW)))
    then(when(share, lambda s: s.notice_opening(device("phone-1", 120, 90, 0), 3, WINDOW, NOW)))


def test_a_suspicion_is_recorded_once_per_window():
    share = given(ShareToken, SHARED, (ShareToken.Suspected, {"reason": "one-device", "at": NOW}))
    then(when(share, lambda s: s.notice_opening(device("phone-2", 2, 1, 0), 3, WINDOW, NOW)))
    assert share.suspicions_since(NOW + timedelta(minutes=1), NOW + WINDOW) == []
