import itertools
import random
from decimal import Decimal

import pytest

from despatch.domain.cartons import Carton, Item, choose, pack


def carton(cid, length, width, height, weight=20_000, cost="1.00"):
    return Carton(cid, cid, length, width, height, weight, Decimal(cost))


def exhaustive(items, size):
    """Can the items be packed in a box of ``size``? Tries every orientation and every
    axis-aligned cut (two or three boxes can always be separated by such a plane)."""
    if not items:
        return True
    if len(items) == 1:
        return any(all(o[k] <= size[k] for k in range(3)) for o in items[0].orientations())
    for r in range(1, len(items)):
        for first in itertools.combinations(range(len(items)), r):
            left = [items[i] for i in first]
            right = [items[i] for i in range(len(items)) if i not in first]
            for axis in range(3):
                cuts = {
                    sum(shape[axis] for shape in shapes)
                    for shapes in itertools.product(*(i.orientations() for i in left))
                } | {
                    max(shape[axis] for shape in shapes)
                    for shapes in itertools.product(*(i.orientations() for i in left))
                }
                for cut in cuts:
                    if cut > size[axis]:
                        continue
                    near = tuple(cut if k == axis else size[k] for k in range(3))
                    far = tuple(size[k] - cut if k == axis else size[k] for k in range(3))
                    if exhaustive(left, near) and exhaustive(right, far):
                        return True
    return False


def valid(placements, box):
    for p in placements:
        assert all(p.at[k] >= 0 and p.at[k] + p.size[k] <= box.size[k] for k in range(3))
        assert p.size in p.item.orientations()
    for a, b in itertools.combinations(placements, 2):
        assert not all(
            a.at[k] < b.at[k] + b.size[k] and b.at[k] < a.at[k] + a.size[k] for k in range(3)
        )


@pytest.mark.parametrize("seed", range(300))
def test_small_orders_fit_exactly_when_an_exhaustive_check_says_so(seed):
    rng = random.Random(seed)
    box = carton("C", rng.randint(10, 40), rng.randint(10, 40), rng.randint(10, 40))
    items = [
        Item(
            f"S{i}",
            rng.randint(3, 30),
            rng.randint(3, 30),
            rng.randint(3, 30),
            100,
            rng.random() < 0.3,
        )
        for i in range(rng.randint(1, 3))
    ]
    found = pack(items, box)
    assert (found is not None) == exhaustive(items, box.size)
    if found is not None:
        valid(found, box)
        assert len(found) == len(items)


def test_upright_items_only_turn_about_the_vertical_axis():
    tall = Item("BOTTLE", 80, 80, 300, 1200, upright=True)
    low_box = carton("LOW", 400, 300, 100)  # fits lying down, not standing
    assert pack([tall], low_box) is None
    assert pack([Item("BOTTLE", 80, 80, 300, 1200)], low_box) is not None
    assert pack([tall], carton("TALL", 100, 100, 310)) is not None


def test_choice_is_the_smallest_or_the_cheapest_and_respects_weight():
    small = carton("S", 200, 150, 100, weight=2000, cost="0.60")
    medium = carton("M", 300, 200, 150, weight=5000, cost="0.50")
    large = carton("L", 400, 300, 300, weight=15000, cost="1.20")
    items = [Item("A", 150, 100, 80, 500), Item("B", 40, 40, 40, 200)]
    assert choose(items, [large, medium, small]).parcels[0].carton.carton_id == "S"
    assert choose(items, [large, medium, small], by="cost").parcels[0].carton.carton_id == "M"
    heavy = [Item("A", 150, 100, 80, 2500)]
    assert choose(heavy, [small, medium, large]).parcels[0].carton.carton_id == "M"


def test_orders_that_fit_no_single_carton_are_split_and_misfits_named():
    box = carton("B", 100, 100, 100, weight=1000)
    items = [Item(f"C{i}", 100, 100, 50, 300) for i in range(5)] + [
        Item("POLE", 500, 20, 20, 100),
        Item("ANVIL", 50, 50, 50, 5000),
    ]
    choice = choose(items, [box])
    assert not choice.single
    assert sorted(len(p.placements) for p in choice.parcels) == [1, 2, 2]
    assert all(p.weight_g <= 1000 for p in choice.parcels)
    assert {(i.sku, why) for i, why in choice.unfit} == {
        ("POLE", "larger than any carton"),
        ("ANVIL", "heavier than any carton takes"),
    }


def partitions(items):
    """Every way of grouping the items (set partitions)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for smaller in partitions(rest):
        for i in range(len(smaller)):
            yield [*smaller[:i], [first, *smaller[i]], *smaller[i + 1 :]]
        yield [[first], *smaller]


def brute_force_cost(items, cartons):
    """The cheapest total carton cost over every grouping, each group in its cheapest carton."""
    best = None
    for grouping in partitions(items):
        total = Decimal(0)
        for group in grouping:
            costs = [c.cost for c in cartons if pack(group, c) is not None]
            if not costs:
                break
            total += min(costs)
        else:
            best = total if best is None else min(best, total)
    return best


def random_split_case(rng):
    cartons = [
        carton(
            f"C{k}",
            rng.randint(20, 60),
            rng.randint(20, 60),
            rng.randint(15, 50),
            weight=rng.choice([5_000, 20_000]),
            cost=f"{rng.randint(30, 400) / 100:.2f}",
        )
        for k in range(rng.randint(2, 4))
    ]
    items = [
        Item(
            f"S{i}",
            rng.randint(8, 35),
            rng.randint(8, 35),
            rng.randint(8, 30),
            rng.randint(100, 3_000),
            upright=rng.random() < 0.2,
        )
        for i in range(rng.randint(2, 6))
    ]
    return items, cartons


@pytest.mark.parametrize("seed", range(120))
def test_a_split_by_cost_is_the_cheapest_a_brute_force_finds(seed):
    items, cartons = random_split_case(random.Random(seed))
    choice = choose(items, cartons, by="cost")
    if choice.unfit or choice.single:
        return  # nothing to split: checked elsewhere
    placed = [p.item for parcel in choice.parcels for p in parcel.placements]
    assert sorted(i.sku for i in placed) == sorted(i.sku for i in items)
    for parcel in choice.parcels:
        valid(parcel.placements, parcel.carton)
        assert parcel.weight_g <= parcel.carton.max_weight_g
    assert sum(p.carton.cost for p in choice.parcels) == brute_force_cost(items, cartons)


def test_three_cheap_small_boxes_beat_one_dear_box_and_a_small_one():
    # Three 30 cm cubes: the first fit puts two in the big box (5.00) and one in a small box;
    # three small boxes cost 3 x 1.20 = 3.60, which is the cheapest split.
    cube = [Item(f"K{i}", 30, 30, 30, 1_000) for i in range(3)]
    small = carton("SMALL", 31, 31, 31, cost="1.20")
    big = carton("BIG", 61, 31, 31, cost="5.00")
    by_cost = choose(cube, [small, big], by="cost")
    assert [p.carton.carton_id for p in by_cost.parcels] == ["SMALL"] * 3
    by_volume = choose(cube, [small, big], by="volume")  # fewest, fullest parcels
    assert [p.carton.carton_id for p in by_volume.parcels] == ["BIG", "SMALL"]
