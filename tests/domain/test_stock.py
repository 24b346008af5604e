from uuid import uuid4

from hypothesis import given as for_all
from hypothesis import strategies as st

from domain.stock import MAX_SHARDS, UNITS_PER_SHARD, ShardExhausted, StockShard, split_stock
from tests.domain.gwt import given, then, then_error, when

CAMPAIGN, CLAIM = uuid4(), uuid4()
STOCKS = st.integers(min_value=1, max_value=1_000_000)


def stocked(units):
    return (StockShard.Stocked, {"campaign_id": CAMPAIGN, "index": 3, "units": units})


def reserved():
    return (StockShard.UnitReserved, {"claim_id": uuid4()})


@for_all(STOCKS)
def test_the_shards_add_up_to_the_stock(stock):
    assert sum(split_stock(stock)) == stock


@for_all(STOCKS)
def test_there_are_at_most_max_shards(stock):
    assert 1 <= len(split_stock(stock)) <= MAX_SHARDS


@for_all(STOCKS)
def test_shards_differ_by_at_most_one_unit(stock):
    shards = split_stock(stock)
    assert max(shards) - min(shards) <= 1


@for_all(STOCKS)
def test_no_shard_is_smaller_than_it_needs_to_be(stock):
    assert min(split_stock(stock)) >= min(stock, UNITS_PER_SHARD)


def test_a_shard_is_stocked_under_an_id_derived_from_campaign_and_index():
    events = when(None, lambda _: StockShard.stock(CAMPAIGN, 3, 10))
    then(events, (StockShard.Stocked, {"campaign_id": CAMPAIGN, "index": 3, "units": 10}))
    assert events[0].originator_id == StockShard.id_for(CAMPAIGN, 3)
    assert StockShard.id_for(CAMPAIGN, 3) != StockShard.id_for(CAMPAIGN, 4)


def test_a_reservation_takes_one_unit_for_a_claim():
    shard = given(StockShard, stocked(10), reserved())
    then(when(shard, lambda s: s.reserve(CLAIM)), (StockShard.UnitReserved, {"claim_id": CLAIM}))
    assert shard.remaining == 8


def test_the_last_unit_can_be_reserved():
    shard = given(StockShard, stocked(2), reserved())
    then(when(shard, lambda s: s.reserve(CLAIM)), (StockShard.UnitReserved, {}))
    assert shard.remaining == 0


def test_an_exhausted_shard_reserves_nothing():
    shard = given(StockShard, stocked(2), reserved(), reserved())
    then_error(shard, lambda s: s.reserve(CLAIM), ShardExhausted)
    assert shard.remaining == 0
