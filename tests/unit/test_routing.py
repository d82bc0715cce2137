import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from despatch.domain.errors import ValidationFailed
from despatch.domain.layout import Layout, Location, parse_location
from despatch.domain.routing import route

LAYOUT = {
    "aisles": 6,
    "bins_per_side": 20,
    "aisle_x_m": {"1": 2.0, "2": 5.0, "3": 8.0, "4": 11.0, "5": 14.0, "6": 17.0},
    "bin_pitch_m": 1.0,
    "front_cross_aisle_y_m": 0.0,
    "back_cross_aisle_y_m": 21.0,
    "depot": {"x_m": 0.0, "y_m": 0.0},
}


def layout(**changes):
    return Layout.from_json({**LAYOUT, **changes})


def brute_force(lay, picks):
    """The shortest tour by trying every order, with shortest paths along the centre lines."""
    length = lay.aisle_length
    points = sorted({(lay.aisle_x[p.aisle], lay.depth(p.bin * lay.bin_pitch)) for p in picks})
    depot = (lay.depot_x, 0.0)

    def dist(p, q):
        if p[0] == q[0]:
            return abs(p[1] - q[1])
        return abs(p[0] - q[0]) + min(p[1] + q[1], 2 * length - p[1] - q[1])

    best = min(
        sum(dist(a, b) for a, b in itertools.pairwise([depot, *order, depot]))
        for order in itertools.permutations(points)
    )
    return best + 2 * abs(lay.depot_y - lay.front_y)


def walked(lay, r):
    """Check the waypoints stay on centre lines and measure them."""
    aisles = set(lay.aisle_x.values())
    total = 0.0
    depot_leg = {lay.depot_y, lay.front_y}
    assert r.waypoints[0] == r.waypoints[-1] == (lay.depot_x, lay.depot_y)
    for (x1, y1), (x2, y2) in itertools.pairwise(r.waypoints):
        assert x1 == x2 or y1 == y2, "moves are along one axis"
        if y1 == y2 and x1 != x2:
            assert y1 in (lay.front_y, lay.back_y), "sideways only on a cross aisle"
        if x1 == x2 and y1 != y2:
            on_depot_leg = x1 == lay.depot_x and {y1, y2} == depot_leg
            assert x1 in aisles or on_depot_leg, "up and down only in an aisle"
        total += abs(x2 - x1) + abs(y2 - y1)
    return total


def random_picks(rng, n, lay):
    return [
        Location(
            rng.randint(1, len(lay.aisle_x)), rng.randint(1, lay.bins_per_side), rng.choice("LR")
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("seed", range(60))
def test_optimal_equals_brute_force_and_heuristics_are_never_shorter(seed):
    rng = random.Random(seed)
    lay = layout(depot={"x_m": rng.choice([0.0, 9.5, 17.0, 5.0]), "y_m": rng.choice([0.0, -2.0])})
    picks = random_picks(rng, rng.randint(1, 7), lay)
    exact = brute_force(lay, picks)
    optimal = route(lay, picks, "optimal")
    assert optimal.length_m == pytest.approx(exact)
    for method in ("s-shape", "largest-gap"):
        heuristic = route(lay, picks, method)
        assert heuristic.length_m >= exact - 1e-9
        assert sorted(heuristic.sequence) == sorted(p.code for p in set(picks))
        assert walked(lay, heuristic) == pytest.approx(heuristic.length_m)
    assert walked(lay, optimal) == pytest.approx(optimal.length_m)
    assert sorted(optimal.sequence) == sorted(p.code for p in set(picks))
    best = route(lay, picks, "best")
    assert best.length_m == pytest.approx(exact)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 20)), min_size=1, max_size=40))
def test_longer_lists_the_optimum_is_never_beaten(cells):
    lay = layout()
    picks = [Location(a, b, "L") for a, b in cells]
    optimal = route(lay, picks, "optimal").length_m
    assert route(lay, picks, "s-shape").length_m >= optimal - 1e-9
    assert route(lay, picks, "largest-gap").length_m >= optimal - 1e-9


def test_known_routes():
    lay = layout()
    one = [Location(1, 5, "L")]
    # depot (0,0) -> aisle 1 at x=2 -> 5 m in -> back out -> depot: 2 + 5 + 5 + 2
    assert route(lay, one, "s-shape").length_m == 14.0
    assert route(lay, one, "optimal").length_m == 14.0
    two = [Location(1, 20, "R"), Location(2, 20, "L")]
    # S-shape: to aisle 1 (2), up it (21), across the back (3), down aisle 2 (21), home (5)
    assert route(lay, two, "s-shape").length_m == 52.0
    assert route(lay, two, "s-shape").sequence == ("A01-B20-R", "A02-B20-L")


def test_layout_and_locations_are_checked_with_precise_errors():
    with pytest.raises(ValidationFailed) as bad:
        Layout.from_json({**LAYOUT, "aisles": 7, "bin_pitch_m": "1"})
    fields = {e.field for e in bad.value.errors}
    assert fields == {"aisle_x_m", "bin_pitch_m"}
    lay = layout()
    assert parse_location("A03-B17-R", lay) == Location(3, 17, "R")
    for code, message in [
        ("A9-B1-L", "no aisle 9"),
        ("A1-B21-L", "bins run 1..20"),
        ("X", "not a location"),
    ]:
        with pytest.raises(ValidationFailed, match=message):
            parse_location(code, lay)
