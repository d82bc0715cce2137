from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from despatch.domain.allocation import LineNeed, plan_allocation

W = ["LON", "NJ", "SYD"]


def need(line, sku, qty):
    return LineNeed(line, sku, qty)


def test_prefers_the_warehouse_that_ships_everything():
    stock = {("A", "LON"): 1, ("A", "NJ"): 5, ("B", "NJ"): 5}
    plan = plan_allocation([need("l1", "A", 2), need("l2", "B", 1)], stock, W)
    assert plan.warehouses == ["NJ"] and plan.is_complete and not plan.is_split
    assert any("rejected LON as single source: A needs 2, has 1" in n for n in plan.explanation)
    assert any(n.startswith("chose NJ") for n in plan.explanation)


def test_takes_the_first_complete_warehouse_by_priority():
    stock = {("A", w): 9 for w in W}
    assert plan_allocation([need("l1", "A", 3)], stock, ["SYD", "LON"]).warehouses == ["SYD"]


def test_splits_when_no_single_warehouse_can_ship():
    stock = {("A", "LON"): 2, ("B", "NJ"): 1}
    plan = plan_allocation([need("l1", "A", 2), need("l2", "B", 1)], stock, W)
    assert plan.is_split and plan.is_complete
    assert {(a.sku, a.warehouse, a.quantity) for a in plan.assignments} == {
        ("A", "LON", 2),
        ("B", "NJ", 1),
    }
    assert any("rejected SYD for the split" in n for n in plan.explanation)


def test_splits_one_line_across_warehouses_when_it_must():
    plan = plan_allocation([need("l1", "A", 5)], {("A", "LON"): 3, ("A", "NJ"): 2}, W)
    assert plan.is_complete and sorted(a.quantity for a in plan.assignments) == [2, 3]


def test_backorders_what_no_warehouse_has():
    plan = plan_allocation([need("l1", "A", 4), need("l2", "B", 1)], {("A", "LON"): 1}, W)
    assert not plan.is_complete
    assert {(b.sku, b.quantity) for b in plan.backorders} == {("A", 3), ("B", 1)}
    assert any("backordered 3 x A" in n for n in plan.explanation)


def test_the_same_sku_on_two_lines_is_counted_together():
    plan = plan_allocation(
        [need("l1", "A", 2), need("l2", "A", 2)], {("A", "LON"): 3, ("A", "NJ"): 4}, W
    )
    assert plan.warehouses == ["NJ"]


@given(
    st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(1, 6)), min_size=1, max_size=5),
    st.dictionaries(st.tuples(st.sampled_from("ABCD"), st.sampled_from(W)), st.integers(-2, 8)),
)
def test_a_plan_never_takes_more_than_is_available_nor_loses_a_unit(lines, stock):
    needs = [need(f"l{i}", sku, qty) for i, (sku, qty) in enumerate(lines)]
    plan = plan_allocation(needs, stock, W)
    taken = Counter()
    for a in plan.assignments:
        assert a.quantity > 0
        taken[(a.sku, a.warehouse)] += a.quantity
    for key, qty in taken.items():
        assert qty <= max(stock.get(key, 0), 0)
    for n in needs:
        assigned = sum(a.quantity for a in plan.assignments if a.line_id == n.line_id)
        short = sum(b.quantity for b in plan.backorders if b.line_id == n.line_id)
        assert assigned + short == n.quantity


def test_nearest_prefers_the_destination_country_then_the_region():
    from despatch.domain.allocation import Candidate, Sourcing

    stock = {("A", w): 5 for w in W}
    candidates = [Candidate("LON", distance=2), Candidate("NJ", distance=1), Candidate("SYD", 0)]
    plan = plan_allocation([need("l1", "A", 1)], stock, candidates, Sourcing("nearest"))
    assert plan.warehouses == ["SYD"] and plan.strategy == "nearest"
    assert "same country" in plan.explanation[0]
    by_priority = plan_allocation([need("l1", "A", 1)], stock, candidates, Sourcing("priority"))
    assert by_priority.warehouses == ["LON"]


def test_cheapest_prefers_the_lowest_parcel_cost_and_unknown_costs_last():
    from decimal import Decimal

    from despatch.domain.allocation import Candidate, Sourcing

    stock = {("A", w): 5 for w in W}
    candidates = [
        Candidate("LON"),
        Candidate("NJ", cost=Decimal("9.50")),
        Candidate("SYD", cost=Decimal("4.10")),
    ]
    plan = plan_allocation([need("l1", "A", 1)], stock, candidates, Sourcing("cheapest"))
    assert plan.warehouses == ["SYD"]
    assert "about 4.10 a parcel" in plan.explanation[0]


def test_priority_drains_warehouses_in_order_where_fewest_shipments_covers_most():
    from despatch.domain.allocation import Sourcing

    stock = {("A", "LON"): 1, ("B", "NJ"): 1, ("A", "NJ"): 1, ("C", "NJ"): 1, ("C", "SYD"): 1}
    needs = [need("l1", "A", 1), need("l2", "B", 1), need("l3", "C", 1)]
    fewest = plan_allocation(needs, stock, W)
    assert fewest.warehouses == ["NJ"]  # NJ alone ships all three
    stock[("B", "NJ")] = 0
    stock[("B", "SYD")] = 1
    fewest = plan_allocation(needs, stock, W, Sourcing("fewest_shipments"))
    assert fewest.warehouses == ["NJ", "SYD"]
    ordered = plan_allocation(needs, stock, W, Sourcing("priority"))
    assert {(a.sku, a.warehouse) for a in ordered.assignments} == {
        ("A", "LON"),
        ("C", "NJ"),
        ("B", "SYD"),
    }


def test_a_split_cap_backorders_what_more_parcels_would_ship():
    from despatch.domain.allocation import Sourcing

    stock = {("A", "LON"): 1, ("B", "NJ"): 1, ("C", "SYD"): 1}
    needs = [need("l1", "A", 1), need("l2", "B", 1), need("l3", "C", 1)]
    capped = plan_allocation(needs, stock, W, Sourcing(max_shipments=2))
    assert len(capped.warehouses) == 2 and [b.sku for b in capped.backorders] == ["C"]
    assert any("split cap of 2 reached" in n for n in capped.explanation)
    single = plan_allocation(needs, stock, W, Sourcing(max_shipments=1))
    assert single.warehouses == ["LON"] and len(single.backorders) == 2
    assert single.strategy == "fewest_shipments, splitting forbidden"


def test_excluded_warehouses_are_rejected_with_the_rule():
    from despatch.domain.allocation import Candidate

    stock = {("A", w): 5 for w in W}
    candidates = [Candidate("LON", excluded="excluded by rule no-hazmat-air"), Candidate("NJ")]
    plan = plan_allocation([need("l1", "A", 1)], stock, candidates)
    assert plan.warehouses == ["NJ"]
    assert plan.explanation[0] == "rejected LON: excluded by rule no-hazmat-air"


def test_a_wrong_sourcing_setting_names_the_field():
    import pytest

    from despatch.domain.allocation import read_sourcing
    from despatch.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        read_sourcing({"strategy": "closest", "max_shipments": -1, "mode": 1})
    assert {e.field for e in caught.value.errors} == {
        "sourcing.strategy",
        "sourcing.max_shipments",
        "sourcing.mode",
    }
    assert read_sourcing({"strategy": "nearest", "max_shipments": 1}).max_shipments == 1
