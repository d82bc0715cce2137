"""Box choice: the smallest (or cheapest) carton that holds every item of an order.

Items are boxes that may be turned any way, except ``upright`` ones, which only turn about the
vertical axis. A carton fits when every item has a place inside it, no two overlap, and their
weight is within the carton's limit. Placing is a search over extreme points (the corners the
items already placed leave free), largest items first, every allowed orientation, with
backtracking bounded by ``NODE_LIMIT``: exhaustive for small orders, a good heuristic for large
ones. An order that fits no single carton is split into parcels; an item that fits no carton at
all is named. By cost, the split is the cheapest: for up to ``EXACT_SPLIT_ITEMS`` items every
way of grouping them is weighed (dynamic programming over subsets, each group in its cheapest
carton; ties: fewer parcels, then less volume). Otherwise, and by volume: first fit, largest
items first, each parcel then shrunk to its best carton.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

NODE_LIMIT = 20_000
EXACT_SPLIT_ITEMS = 8
SPLIT_NODE_LIMIT = 300  # per group and carton while splitting: many groups are tried
Size = tuple[int, int, int]  # length (x), width (y), height (z: vertical), in mm


@dataclass(frozen=True)
class Carton:
    carton_id: str
    name: str
    length: int
    width: int
    height: int
    max_weight_g: int
    cost: Decimal
    tare_g: int = 0  # the empty carton's own weight
    currency: str = ""  # of the cost (ISO 4217); "" in a list written before it was asked

    @property
    def size(self) -> Size:
        return (self.length, self.width, self.height)

    @property
    def volume(self) -> int:
        return self.length * self.width * self.height


@dataclass(frozen=True)
class Item:
    sku: str
    length: int
    width: int
    height: int
    weight_g: int
    upright: bool = False

    @property
    def volume(self) -> int:
        return self.length * self.width * self.height

    def orientations(self) -> list[Size]:
        x, y, z = self.length, self.width, self.height
        turns = (
            [(x, y, z), (y, x, z)]  # upright: turned about the vertical axis only
            if self.upright
            else [(x, y, z), (y, x, z), (x, z, y), (z, x, y), (y, z, x), (z, y, x)]
        )
        return list(dict.fromkeys(turns))


@dataclass(frozen=True)
class Placement:
    item: Item
    at: Size  # corner nearest the carton's origin
    size: Size  # as turned


def _overlap(a_at: Size, a: Size, b_at: Size, b: Size) -> bool:
    return all(a_at[k] < b_at[k] + b[k] and b_at[k] < a_at[k] + a[k] for k in range(3))


def pack(items: Sequence[Item], carton: Carton, limit: int = NODE_LIMIT) -> list[Placement] | None:
    """Places for every item inside ``carton``, or None when none was found."""
    if sum(i.weight_g for i in items) > carton.max_weight_g:
        return None
    if sum(i.volume for i in items) > carton.volume:
        return None
    inner = carton.size
    if any(not fits_alone(i, carton) for i in items):
        return None
    order = sorted(items, key=lambda i: (-i.volume, -max(i.length, i.width, i.height), i.sku))
    placed: list[Placement] = []
    budget = [limit]

    def search(remaining: list[Item], points: list[Size]) -> bool:
        if not remaining:
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        tried: set[tuple[int, int, int, bool, int]] = set()
        for index, item in enumerate(remaining):
            shape = (item.length, item.width, item.height, item.upright, item.weight_g)
            if shape in tried:
                continue  # the same box again: trying it first changes nothing
            tried.add(shape)
            for point in points:
                for size in item.orientations():
                    if any(point[k] + size[k] > inner[k] for k in range(3)):
                        continue
                    if any(_overlap(point, size, p.at, p.size) for p in placed):
                        continue
                    placed.append(Placement(item, point, size))
                    fresh = [
                        (point[0] + size[0], point[1], point[2]),
                        (point[0], point[1] + size[1], point[2]),
                        (point[0], point[1], point[2] + size[2]),
                    ]
                    nxt = sorted(
                        {*(p for p in points if p != point), *fresh},
                        key=lambda p: (p[2], p[1], p[0]),
                    )
                    if search(remaining[:index] + remaining[index + 1 :], nxt):
                        return True
                    placed.pop()
                    if budget[0] < 0:
                        return False
            if len(remaining) > 3:
                break  # large orders: keep the largest-first order, backtrack on places only
        return False

    return list(placed) if search(order, [(0, 0, 0)]) else None


def fits_alone(item: Item, carton: Carton) -> bool:
    return item.weight_g <= carton.max_weight_g and any(
        all(size[k] <= carton.size[k] for k in range(3)) for size in item.orientations()
    )


@dataclass(frozen=True)
class Parcel:
    carton: Carton
    placements: tuple[Placement, ...]

    @property
    def weight_g(self) -> int:
        return sum(p.item.weight_g for p in self.placements)

    @property
    def fill(self) -> float:
        return sum(p.item.volume for p in self.placements) / self.carton.volume


@dataclass(frozen=True)
class BoxChoice:
    parcels: tuple[Parcel, ...]
    unfit: tuple[tuple[Item, str], ...]  # items no carton can take, and why

    @property
    def single(self) -> bool:
        return len(self.parcels) == 1 and not self.unfit


def ranked(cartons: Sequence[Carton], by: str) -> list[Carton]:
    """Cartons in order of preference: smallest volume, or cheapest (then smallest)."""
    if by == "cost":
        return sorted(cartons, key=lambda c: (c.cost, c.volume, c.carton_id))
    return sorted(cartons, key=lambda c: (c.volume, c.cost, c.carton_id))


def _best(items: Sequence[Item], cartons: list[Carton], limit: int = NODE_LIMIT) -> Parcel | None:
    for carton in cartons:
        placements = pack(items, carton, limit)
        if placements is not None:
            return Parcel(carton, tuple(placements))
    return None


def choose(items: Sequence[Item], cartons: Sequence[Carton], by: str = "volume") -> BoxChoice:
    preferred = ranked(cartons, by)
    unfit = []
    for item in items:
        if not any(fits_alone(item, c) for c in cartons):
            heavy = all(item.weight_g > c.max_weight_g for c in cartons)
            lying = Item(item.sku, item.length, item.width, item.height, item.weight_g)
            if heavy:
                reason = "heavier than any carton takes"
            elif item.upright and any(fits_alone(lying, c) for c in cartons):
                reason = "fits no carton standing upright"
            else:
                reason = "larger than any carton"
            unfit.append((item, reason))
    packable = [i for i in items if all(i is not u for u, _ in unfit)]
    if not packable:
        return BoxChoice((), tuple(unfit))
    whole = _best(packable, preferred)
    if whole is not None:
        return BoxChoice((whole,), tuple(unfit))
    if by == "cost" and len(packable) <= EXACT_SPLIT_ITEMS:
        cheapest = cheapest_split(packable, preferred)
        if cheapest is not None:
            return BoxChoice(cheapest, tuple(unfit))
    return BoxChoice(_first_fit_split(packable, cartons, preferred), tuple(unfit))


def _first_fit_split(
    packable: Sequence[Item], cartons: Sequence[Carton], preferred: list[Carton]
) -> tuple[Parcel, ...]:
    """First fit into any carton, largest items first; then each parcel shrunk."""
    largest = sorted(cartons, key=lambda c: (c.volume, c.max_weight_g), reverse=True)
    groups: list[list[Item]] = []
    for item in sorted(packable, key=lambda i: -i.volume):
        for group in groups:
            if any(pack([*group, item], c) is not None for c in largest):
                group.append(item)
                break
        else:
            groups.append([item])
    parcels = []
    for group in groups:
        parcel = _best(group, preferred)
        if parcel is None:  # fits alone somewhere (checked above), so one item a parcel
            parcels += [p for p in (_best([i], preferred) for i in group) if p is not None]
        else:
            parcels.append(parcel)
    return tuple(parcels)


SplitKey = tuple[Decimal, int, int]  # total cost, parcels, total carton volume


def cheapest_split(items: Sequence[Item], by_cost: list[Carton]) -> tuple[Parcel, ...] | None:
    """The cheapest grouping of ``items`` into parcels, each in its cheapest carton (ties:
    fewer parcels, then less volume); None if some item fits no carton. Exact over the
    groupings the packer can place: 3^n steps, for small orders."""
    groups = _Groups(items, by_cost)
    best: dict[int, tuple[SplitKey, tuple[Parcel, ...]]] = {0: ((Decimal(0), 0, 0), ())}
    for mask in range(1, 1 << len(items)):
        low = mask & -mask
        rest = mask ^ low
        sub, found = rest, None
        while True:  # every group holding the lowest item, with the best split of the rest
            group = sub | low
            before = best.get(mask ^ group)
            here = groups.parcel(group) if before is not None else None
            if here is not None and before is not None:
                (cost, count, volume), parcels = before
                key = (cost + here.carton.cost, count + 1, volume + here.carton.volume)
                if found is None or key < found[0]:
                    found = (key, (*parcels, here))
            if sub == 0:
                break
            sub = (sub - 1) & rest
        if found is not None:
            best[mask] = found
    answer = best.get((1 << len(items)) - 1)
    return answer[1] if answer else None


class _Groups:
    """Which groups of items fit which carton, remembered: a group fits a carton only if it
    fits without any one of its items, so most groups are ruled out without packing."""

    def __init__(self, items: Sequence[Item], by_cost: list[Carton]) -> None:
        self.items, self.cartons = list(items), by_cost
        self.fits: list[dict[int, list[Placement] | None]] = [{} for _ in by_cost]
        self.parcels: dict[int, Parcel | None] = {}

    def parcel(self, mask: int) -> Parcel | None:
        if mask not in self.parcels:
            self.parcels[mask] = next(
                (
                    Parcel(carton, tuple(placed))
                    for k, carton in enumerate(self.cartons)
                    if (placed := self._fit(k, mask)) is not None
                ),
                None,
            )
        return self.parcels[mask]

    def _fit(self, k: int, mask: int) -> list[Placement] | None:
        known = self.fits[k]
        if mask not in known:
            bits = [1 << i for i in range(len(self.items)) if mask >> i & 1]
            ruled_out = len(bits) > 1 and any(self._fit(k, mask ^ b) is None for b in bits)
            group = [self.items[i] for i in range(len(self.items)) if mask >> i & 1]
            known[mask] = None if ruled_out else pack(group, self.cartons[k], SPLIT_NODE_LIMIT)
        return known[mask]


@dataclass(frozen=True)
class WeightCheck:
    expected_g: int
    weighed_g: int
    tolerance_g: int

    @property
    def ok(self) -> bool:
        return abs(self.weighed_g - self.expected_g) <= self.tolerance_g


def weight_check(
    items: Sequence[Item], carton: Carton, weighed_g: int, *, percent: int = 5, floor_g: int = 50
) -> WeightCheck:
    """Expected weight = the items + the carton; allowed off by ``percent`` (at least
    ``floor_g``), which catches a missing or extra item of any real weight."""
    expected = sum(i.weight_g for i in items) + carton.tare_g
    return WeightCheck(expected, weighed_g, max(floor_g, expected * percent // 100))
