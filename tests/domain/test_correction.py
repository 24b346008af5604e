from uuid import uuid4

from domain.correction import Correction
from tests.domain.gwt import NOW, given, then, when


def test_a_correction_addresses_each_follower_once_under_a_stable_key():
    rule_id = uuid4()
    correction = given(
        Correction,
        (Correction.Requested, {"rule_id": rule_id, "text": "更正：活动已结束", "at": NOW}),
        id=Correction.id_for(rule_id, "k1"),
    )
    member = uuid4()
    events = when(correction, lambda c: c.address("o-1", member))
    key = f"correction:{Correction.id_for(rule_id, 'k1')}:o-1"
    then(
        events,
        (Correction.Addressed, {"openid": "o-1", "outbox_key": key, "text": "更正：活动已结束"}),
    )
    then(when(correction, lambda c: c.address("o-1", member)))


def test_the_same_correction_key_names_the_same_correction():
    rule_id = uuid4()
    first = Correction.request(rule_id, "k1", "更正", NOW)
    assert first.id == Correction.request(rule_id, "k1", "更正", NOW).id
    assert first.id != Correction.request(rule_id, "k2", "更正", NOW).id
