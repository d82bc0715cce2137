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
