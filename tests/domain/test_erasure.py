"""Erasure in the domain: the Erased fact, a follow after it, and what events declare personal."""

import dataclasses
import inspect
from uuid import uuid4

from eventsourcing.domain import Aggregate

import domain.conversation
import domain.correction
import domain.inbound
import domain.member
import domain.outbox
from domain.inbound import InboundMessage
from domain.member import Member
from domain.personal import ERASED
from tests.domain.gwt import NOW, given, then, when
from tests.domain.test_member import LATER, OPENID, followed

OPERATOR = uuid4()
PERSONAL_NAMES = {"openid", "phone", "content", "text", "fields", "label", "latitude", "payload"}
PROFILE = (Member.ProfileCompleted, {"region": "合肥", "phone": "13800138000"})
ERASED_FACT = (Member.Erased, {"by": OPERATOR, "at": NOW})
# the correction's text is the operator's, the same for every follower it goes to
OPERATOR_WRITTEN = {"Correction.Requested": {"text"}, "Correction.Addressed": {"text"}}


def test_erasing_records_who_and_when_and_blanks_the_personal_state():
    member = given(Member, followed(), PROFILE, (Member.Tagged, {"tag": "vip"}))
    then(when(member, lambda m: m.erase(OPERATOR, NOW)), ERASED_FACT)
    assert (member.openid, member.phone, member.following) == (ERASED, None, False)
    assert (member.region, member.tags) == ("合肥", ["vip"])


def test_a_follow_after_erasure_records_the_openid_again():
    member = given(Member, followed(), ERASED_FACT)
    then(
        when(member, lambda m: m.refollow("store:x", LATER, OPENID)),
        (Member.Refollowed, {"scene": "store:x", "openid": OPENID, "at": LATER}),
    )
    assert (member.openid, member.following, member.erased) == (OPENID, True, False)


def test_an_ordinary_refollow_records_no_openid():
    member = given(Member, followed(), (Member.Unfollowed, {"at": NOW}))
    then(
        when(member, lambda m: m.refollow(None, LATER, OPENID)),
        (Member.Refollowed, {"openid": None}),
    )


def test_events_stored_before_sealing_upcast_with_what_they_had_in_clear():
    refollowed = {"scene": None, "at": NOW}
    Member.Refollowed.upcast_v1_v2(refollowed)
    received = {"openid": OPENID}
    InboundMessage.Received.upcast_v1_v2(received)
    assert (refollowed["openid"], received["member_id"]) == (None, Member.id_for(OPENID))


def test_every_event_field_that_names_or_quotes_a_follower_is_declared_personal():
    modules = [domain.member, domain.inbound, domain.conversation, domain.correction, domain.outbox]
    checked = 0
    for event_class in events_of(modules):
        names = {f.name for f in dataclasses.fields(event_class)}
        carried = PERSONAL_NAMES & names - OPERATOR_WRITTEN.get(event_class.__qualname__, set())
        declared = getattr(event_class, "personal_data", None)
        if carried:
            assert declared and carried <= set(declared.fields), event_class.__qualname__
            checked += 1
    assert checked == 12


def events_of(modules):
    for module in modules:
        for aggregate in vars(module).values():
            if inspect.isclass(aggregate) and aggregate.__module__ == module.__name__:
                for nested in vars(aggregate).values():
                    if inspect.isclass(nested) and issubclass(nested, Aggregate.Event):
                        yield nested
