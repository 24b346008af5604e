from uuid import uuid4

import pytest

from domain.errors import InvalidInput
from domain.store import Store, StoreClosed
from tests.domain.gwt import given, then, then_error, when

STAFF, OTHER_STAFF = uuid4(), uuid4()
OPENED = (Store.Opened, {"name": "淮河路店", "region": "合肥"})


def test_a_store_is_opened_with_a_name_and_a_region():
    events = when(None, lambda _: Store.open(" 淮河路店 ", " 合肥 "))
    then(events, (Store.Opened, {"name": "淮河路店", "region": "合肥"}))


@pytest.mark.parametrize(("name", "region"), [("", "合肥"), ("  ", "合肥"), ("淮河路店", " ")])
def test_a_store_without_a_name_or_region_is_refused(name, region):
    then_error(None, lambda _: Store.open(name, region), InvalidInput)


def test_the_qr_scene_names_the_store():
    store = given(Store, OPENED)
    assert store.qr_scene == f"store:{store.id}"


def test_staff_are_assigned_to_an_open_store():
    store = given(Store, OPENED)
    then(when(store, lambda s: s.assign_staff(STAFF)), (Store.StaffAssigned, {"staff_id": STAFF}))
    assert store.staff_ids == [STAFF]


def test_assigning_the_same_staff_twice_assigns_them_once():
    store = given(Store, OPENED, (Store.StaffAssigned, {"staff_id": STAFF}))
    then(when(store, lambda s: s.assign_staff(STAFF)))
    assert store.staff_ids == [STAFF]


def test_a_store_is_closed():
    store = given(Store, OPENED)
    then(when(store, lambda s: s.close()), (Store.Closed, {}))
    assert not store.is_open


def test_a_closed_store_takes_no_staff():
    store = given(Store, OPENED, (Store.Closed, {}))
    then_error(store, lambda s: s.assign_staff(OTHER_STAFF), StoreClosed)


def test_a_closed_store_cannot_close_again():
    store = given(Store, OPENED, (Store.Closed, {}))
    then_error(store, lambda s: s.close(), StoreClosed)
