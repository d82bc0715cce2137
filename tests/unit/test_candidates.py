"""Which warehouses may ship an order, how near and how dear each is, and what rules exclude."""

from datetime import date
from decimal import Decimal

from despatch.domain.allocation import Candidate, Sourcing
from despatch.domain.candidates import (
    ELSEWHERE,
    SAME_COUNTRY,
    SAME_REGION,
    candidate,
    excluded_by,
    nearness,
    order_sourcing,
    parcel_cost,
    ships_from,
)

ROUTED = {"route_to": {"warehouses": ["LON", "MAN"], "rule": "r_uk_only"}}


def test_a_channel_ships_from_the_active_warehouses_it_names_in_its_own_order():
    assert ships_from(["LON", "NJ", "BER"], ["BER", "LON"]) == ["BER", "LON"]


def test_a_named_warehouse_that_is_not_active_is_left_out():
    assert ships_from(["LON", "NJ"], ["PAR", "NJ"]) == ["NJ"]
    assert ships_from(["LON"], ["PAR"]) == []


def test_a_channel_naming_no_warehouse_ships_from_every_active_one():
    assert ships_from(["LON", "NJ"], []) == ["LON", "NJ"]
    assert ships_from([], []) == []


def test_a_warehouse_in_the_destination_country_is_nearest():
    assert nearness("GB", {"serves": ["GB", "IE"]}, "GB") == SAME_COUNTRY == 0


def test_a_warehouse_serving_the_destination_is_in_its_region():
    assert nearness("GB", {"serves": ["IE"]}, "IE") == SAME_REGION == 1


def test_any_other_warehouse_is_further_away():
    assert nearness("GB", {"serves": ["IE"]}, "FR") == ELSEWHERE == 2
    assert nearness("GB", {}, "FR") == ELSEWHERE


def test_the_parcel_cost_is_the_destination_s_own_else_the_star_entry():
    location = {"costs": {"GB": 3.5, "*": "12.00"}}
    assert parcel_cost(location, "GB") == Decimal("3.5")
    assert parcel_cost(location, "US") == Decimal("12.00")


def test_a_cost_of_zero_is_a_cost_and_no_entry_is_none():
    assert parcel_cost({"costs": {"GB": 0}}, "GB") == Decimal(0)
    assert parcel_cost({"costs": {"GB": 4}}, "US") is None
    assert parcel_cost({"costs": None}, "GB") is None
    assert parcel_cost({}, "GB") is None


def test_a_route_to_other_warehouses_excludes_this_one_naming_the_rule():
    assert excluded_by("NJ", ROUTED) == "rule r_uk_only routes this order to LON, MAN"
    assert excluded_by("MAN", ROUTED) == ""


def test_an_exclusion_names_the_first_rule_that_excludes_the_warehouse():
    decided = {"exclude": {"r_no_hazmat": ["NJ"], "r_strike": ["NJ", "LON"]}}
    assert excluded_by("NJ", decided) == "excluded by rule r_no_hazmat"
    assert excluded_by("LON", decided) == "excluded by rule r_strike"
    assert excluded_by("MAN", decided) == ""


def test_a_route_is_read_before_the_exclusions():
    decided = {**ROUTED, "exclude": {"r_strike": ["NJ", "LON"]}}
    assert excluded_by("NJ", decided) == "rule r_uk_only routes this order to LON, MAN"
    assert excluded_by("LON", decided) == "excluded by rule r_strike"


def test_no_decisions_exclude_nothing():
    assert excluded_by("LON", {}) == ""
    assert excluded_by("LON", {"route_to": None, "exclude": None}) == ""


def test_a_rule_forbidding_a_split_caps_the_order_at_one_shipment():
    channel = Sourcing("cheapest", 3)
    assert order_sourcing(channel, {"forbid_split": True}) == Sourcing("cheapest", 1)
    assert order_sourcing(channel, {}) is channel
    assert order_sourcing(channel, {"forbid_split": False}) is channel


def test_a_candidate_carries_its_nearness_cost_ship_day_and_exclusion():
    location = {"serves": ["IE"], "costs": {"*": "9.5"}}
    made = candidate("LON", "GB", location, "IE", ship_by=date(2026, 3, 3), decided=ROUTED)
    assert made == Candidate("LON", SAME_REGION, Decimal("9.5"), date(2026, 3, 3), "")
    away = candidate("NJ", "US", {}, "IE", ship_by=None, decided=ROUTED)
    assert away == Candidate(
        "NJ", ELSEWHERE, None, None, "rule r_uk_only routes this order to LON, MAN"
    )
