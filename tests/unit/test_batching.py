"""Wave batching and layout zones, as pure rules."""

import pytest

from despatch.domain.batching import BatchLimits, Load, batches, unbinned
from despatch.domain.errors import ValidationFailed
from despatch.domain.layout import Layout

LAYOUT = {
    "aisles": 4,
    "bins_per_side": 10,
    "aisle_x_m": {"1": 2, "2": 5, "3": 8, "4": 11},
    "bin_pitch_m": 1,
    "front_cross_aisle_y_m": 0,
    "back_cross_aisle_y_m": 11,
    "depot": {"x_m": 0, "y_m": 0},
}


def load(key, lines=1, units=1, litres=0.0):
    return Load(key, lines, units, litres)


def test_batches_keep_urgency_and_every_bound():
    loads = [load(f"s{n}", lines=2, units=3, litres=4.0) for n in range(6)]
    assert batches(loads, BatchLimits(max_orders=4)) == [["s0", "s1", "s2", "s3"], ["s4", "s5"]]
    assert batches(loads, BatchLimits(max_lines=5)) == [["s0", "s1"], ["s2", "s3"], ["s4", "s5"]]
    assert batches(loads, BatchLimits(max_units=9)) == [["s0", "s1", "s2"], ["s3", "s4", "s5"]]
    assert batches(loads, BatchLimits(tote_litres=10)) == [["s0", "s1"], ["s2", "s3"], ["s4", "s5"]]


def test_big_or_many_lined_shipments_are_picked_alone():
    loads = [load("a"), load("big", lines=7), load("b"), load("bulky", litres=50), load("c")]
    limits = BatchLimits(single_lines=5, tote_litres=40)
    assert batches(loads, limits) == [["big"], ["bulky"], ["a", "b", "c"]]
    assert batches([load("huge", units=30)], BatchLimits(max_units=20)) == [["huge"]]


def test_every_shipment_is_in_exactly_one_batch():
    loads = [load(f"s{n}", lines=n % 4 + 1, units=n % 7 + 1, litres=n % 5) for n in range(60)]
    out = batches(loads, BatchLimits(max_orders=7, max_lines=12, max_units=20, tote_litres=9))
    flat = [k for b in out for k in b]
    assert sorted(flat) == sorted(x.key for x in loads) and len(flat) == len(set(flat))
    for b in out:
        chosen = [x for x in loads if x.key in b]
        if len(chosen) > 1:
            assert len(chosen) <= 7 and sum(x.lines for x in chosen) <= 12
            assert sum(x.units for x in chosen) <= 20 and sum(x.litres for x in chosen) <= 9


def test_wrong_bounds_are_named():
    with pytest.raises(ValidationFailed) as failure:
        batches([], BatchLimits(max_orders=0, tote_litres=-1))
    assert [e.field for e in failure.value.errors] == ["max_orders", "tote_litres"]


def test_a_shipment_with_skus_that_have_no_bin_names_each_of_them_once():
    bins = {"A": "A-01-01", "B": "A-01-02"}
    assert unbinned(["A", "B", "A"], bins) == ""
    assert unbinned([], bins) == ""
    assert unbinned(["Z", "A", "C", "Z"], bins) == "no bin for C, Z"


def test_zones_name_every_aisle_once():
    layout = Layout.from_json({**LAYOUT, "zones": {"FAST": [1, 2], "BULK": [3, 4]}})
    assert [layout.zone_of(a) for a in (1, 2, 3, 4)] == ["FAST", "FAST", "BULK", "BULK"]
    assert Layout.from_json(LAYOUT).zone_of(1) == ""
    with pytest.raises(ValidationFailed) as failure:
        Layout.from_json({**LAYOUT, "zones": {"FAST": [1, 2, 9], "BULK": [2, "x"]}})
    messages = [f"{e.field}: {e.message}" for e in failure.value.errors]
    assert messages == [
        "zones.FAST: 9 is not an aisle 1..4",
        "zones.BULK: aisle 2 is already in FAST",
        "zones.BULK: 'x' is not an aisle 1..4",
        "zones: aisle(s) 3, 4 in no zone",
    ]
