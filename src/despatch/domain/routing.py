"""Pick routing in a single-block warehouse: S-shape, largest gap and the optimal route.

Every route starts and ends at the depot and travels along aisle and cross-aisle centre lines.
S-shape walks every aisle holding a pick end to end (the last one, if their number is odd, is
entered and left from the front). Largest gap walks the first and last pick aisles end to end
and enters every aisle between from both cross aisles, leaving out its largest gap. The optimal
route is Ratliff and Rosenthal's dynamic programme (1983): it sweeps the aisles from left to
right keeping, for each way the partial tour can look at the current aisle's two ends (degree
parity of each, one or two components, or a finished tour), the cheapest partial tour, then
reads the route off the chosen edges as an Euler circuit. ``best`` returns the shortest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from despatch.domain.errors import ValidationFailed
from despatch.domain.layout import Layout, Location

METHODS = ("s-shape", "largest-gap", "optimal", "best")
EPSILON = 1e-9


@dataclass(frozen=True)
class Route:
    method: str
    sequence: tuple[str, ...]  # location codes in pick order
    length_m: float
    waypoints: tuple[tuple[float, float], ...] = field(default=(), compare=False)


@dataclass
class _Column:
    x: float
    depths: list[float]  # distinct pick depths strictly inside the aisle, ascending
    codes: dict[float, list[str]]  # depth -> location codes picked there
    need_front: bool = False  # a pick (or the depot) on the front cross aisle
    need_back: bool = False
    aisle: bool = True  # False: the depot's own point on the front cross aisle


def route(layout: Layout, picks: Sequence[Location], method: str = "best") -> Route:
    if method not in METHODS:
        raise ValidationFailed.single("method", f"{method!r} is not one of {', '.join(METHODS)}")
    if method == "best":
        routes = [route(layout, picks, m) for m in METHODS[:-1]]
        return min(routes, key=lambda r: (r.length_m, METHODS.index(r.method)))
    if not picks:
        return Route(method, (), 0.0, ((layout.depot_x, layout.depot_y),))
    if method == "optimal":
        return _optimal(layout, picks)
    columns = _columns(layout, picks, with_depot=False)
    walk = _s_shape if method == "s-shape" else _largest_gap
    return walk(layout, columns)


def _columns(layout: Layout, picks: Sequence[Location], *, with_depot: bool) -> list[_Column]:
    length = layout.aisle_length
    by_x: dict[float, _Column] = {}
    for pick in sorted(set(picks)):
        x = layout.aisle_x[pick.aisle]
        column = by_x.setdefault(x, _Column(x, [], {}))
        depth = round(layout.depth(pick.bin * layout.bin_pitch), 9)
        column.codes.setdefault(depth, []).append(pick.code)
        if depth <= EPSILON:
            column.need_front = True
        elif depth >= length - EPSILON:
            column.need_back = True
        elif depth not in column.depths:
            column.depths.append(depth)
    for column in by_x.values():
        column.depths.sort()
    if with_depot:
        for x in layout.aisle_x.values():  # empty aisles can be walked through
            by_x.setdefault(x, _Column(x, [], {}))
        if layout.depot_x in by_x:
            by_x[layout.depot_x].need_front = True
        else:
            by_x[layout.depot_x] = _Column(layout.depot_x, [], {}, need_front=True, aisle=False)
    return [by_x[x] for x in sorted(by_x)]


class _Walk:
    """A path along centre lines, collecting waypoints, length and the picks in order."""

    def __init__(self, layout: Layout, method: str) -> None:
        self.layout, self.method = layout, method
        self.points: list[tuple[float, float]] = [(layout.depot_x, layout.depot_y)]
        self.sequence: list[str] = []
        self.go(layout.depot_x, layout.front_y)

    def go(self, x: float, y: float) -> None:
        self.points.append((x, y))

    def at_depth(self, column: _Column, depth: float) -> None:
        front, back = self.layout.front_y, self.layout.back_y
        y = front + depth * (1 if back >= front else -1)
        self.go(column.x, y)
        self.sequence += column.codes.get(depth, [])

    def aisle(self, column: _Column, depths: Sequence[float]) -> None:
        for depth in depths:
            self.at_depth(column, depth)

    def end(self) -> Route:
        self.go(self.layout.depot_x, self.layout.front_y)
        self.go(self.layout.depot_x, self.layout.depot_y)
        points = [p for i, p in enumerate(self.points) if i == 0 or p != self.points[i - 1]]
        length = sum(abs(x2 - x1) + abs(y2 - y1) for (x1, y1), (x2, y2) in pairwise(points))
        return Route(self.method, tuple(self.sequence), round(length, 6), tuple(points))


def _all_depths(column: _Column, length: float) -> list[float]:
    return (
        ([0.0] if column.need_front else [])
        + column.depths
        + ([length] if column.need_back else [])
    )


def _s_shape(layout: Layout, columns: list[_Column]) -> Route:
    best: Route | None = None
    for ordered in (columns, columns[::-1]):
        walk = _Walk(layout, "s-shape")
        length = layout.aisle_length
        for i, column in enumerate(ordered):
            depths = _all_depths(column, length)
            last_odd = i == len(ordered) - 1 and i % 2 == 0
            if last_odd:  # enter from the front, turn at the deepest pick
                walk.at_depth(column, 0.0)
                walk.aisle(column, depths)
                walk.at_depth(column, 0.0)
            elif i % 2 == 0:  # front to back
                walk.aisle(column, [0.0, *depths, length])
            else:  # back to front
                walk.aisle(column, [length, *depths[::-1], 0.0])
        candidate = walk.end()
        if best is None or candidate.length_m < best.length_m - EPSILON:
            best = candidate
    assert best is not None
    return best


def _gap_split(depths: list[float], length: float) -> tuple[list[float], list[float]]:
    """Split an aisle's picks at its largest gap: (from the front, from the back)."""
    points = [0.0, *depths, length]
    gaps = [points[i + 1] - points[i] for i in range(len(points) - 1)]
    widest = max(range(len(gaps)), key=lambda i: (gaps[i], -i))
    return depths[:widest], depths[widest:]


def _largest_gap(layout: Layout, columns: list[_Column]) -> Route:
    walk = _Walk(layout, "largest-gap")
    length = layout.aisle_length
    if len(columns) == 1:
        (column,) = columns
        depths = _all_depths(column, length)
        walk.aisle(column, [0.0, *depths, 0.0])
        return walk.end()
    first, middle, last = columns[0], columns[1:-1], columns[-1]
    walk.aisle(first, [0.0, *_all_depths(first, length), length])
    splits = [_gap_split(_all_depths(c, length), length) for c in middle]
    for column, (_, from_back) in zip(middle, splits, strict=True):
        if from_back:
            walk.aisle(column, [length, *from_back[::-1], length])
    walk.aisle(last, [length, *_all_depths(last, length)[::-1], 0.0])
    for column, (from_front, _) in zip(middle[::-1], splits[::-1], strict=True):
        if from_front:
            walk.aisle(column, [0.0, *from_front, 0.0])
    return walk.end()


# --- the optimal route -----------------------------------------------------------------------

# Degree classes of an aisle end in the partial tour: no edge, odd, even and not zero.
ZERO, ODD, EVEN = 0, 1, 2
Labels = tuple[int | None, int | None]  # component of the front end, of the back end
State = tuple[int, int, Labels, bool]  # front class, back class, components, finished


def _add(degree: int, edges: int) -> int:
    if edges == 0:
        return degree
    if degree == ZERO:
        return ODD if edges % 2 else EVEN
    return degree if edges % 2 == 0 else (EVEN if degree == ODD else ODD)


def _normal(labels: Labels) -> Labels:
    """Rename components by first appearance so equal shapes compare equal."""
    names: dict[int, int] = {}
    out = tuple(None if x is None else names.setdefault(x, len(names) + 1) for x in labels)
    return out[0], out[1]


@dataclass(frozen=True)
class _Config:
    name: str
    cost: float
    front_edges: int
    back_edges: int
    joins: bool  # connects the two ends


def _configs(column: _Column, length: float) -> list[_Config]:
    if not column.aisle:
        return [_Config("none", 0.0, 0, 0, False)]
    depths = column.depths
    options = [
        _Config("single", length, 1, 1, True),
        _Config("double", 2 * length, 2, 2, True),
    ]
    if not depths:
        return [_Config("none", 0.0, 0, 0, False), *options]
    options.append(_Config("front", 2 * depths[-1], 2, 0, False))
    options.append(_Config("back", 2 * (length - depths[0]), 0, 2, False))
    if len(depths) > 1:
        gaps = [depths[i + 1] - depths[i] for i in range(len(depths) - 1)]
        i = max(range(len(gaps)), key=lambda k: gaps[k])
        cost = 2 * depths[i] + 2 * (length - depths[i + 1])
        options.append(_Config(f"gap:{i}", cost, 2, 2, False))
    return options


def _vertical(state: State, config: _Config) -> State | None:
    front, back, labels, finished = state
    if finished:
        return state if config.name == "none" else None
    if config.name == "none":
        return state
    a, b = labels
    fresh = max([x for x in labels if x is not None], default=0) + 1
    if config.front_edges and a is None:
        a, fresh = fresh, fresh + 1
    if config.back_edges and b is None:
        b = fresh
    if config.joins:
        b = a  # one component now holds both ends
    return (
        _add(front, config.front_edges),
        _add(back, config.back_edges),
        _normal((a, b)),
        False,
    )


def _cross(state: State, column: _Column, front_edges: int, back_edges: int) -> State | None:
    """Leave the column with ``front_edges``/``back_edges`` copies of the cross-aisle edges to
    the next column; its ends are then final and must have even degree."""
    front, back, (a, b), finished = state
    if finished:  # the tour is closed: nothing more may be needed or added
        needed = column.need_front or column.need_back
        return state if front_edges == back_edges == 0 and not needed else None
    end_front, end_back = _add(front, front_edges), _add(back, back_edges)
    if ODD in (end_front, end_back):
        return None
    if (column.need_front and end_front == ZERO) or (column.need_back and end_back == ZERO):
        return None
    fresh = max([x for x in (a, b) if x is not None], default=0) + 1
    if front_edges and a is None:  # a cross edge starts a new piece of tour here
        a, fresh = fresh, fresh + 1
    if back_edges and b is None:
        b = fresh
    carried = (a if front_edges else None, b if back_edges else None)
    present = {x for x in (a, b) if x is not None}
    kept = {x for x in carried if x is not None}
    if present - kept:  # a component leaves the frontier: it must be the whole tour
        if kept or len(present) > 1:
            return None
        return (ZERO, ZERO, (None, None), True)
    return (front_edges, back_edges, _normal(carried), False)


def _optimal(layout: Layout, picks: Sequence[Location]) -> Route:
    length = layout.aisle_length
    columns = _columns(layout, picks, with_depot=True)
    start: State = (ZERO, ZERO, (None, None), False)
    # best[state] = (cost, the choices so far as a linked list: (previous, (config, f, g)))
    best: dict[State, tuple[float, Any]] = {start: (0.0, None)}
    for j, column in enumerate(columns):
        after: dict[State, tuple[float, Any]] = {}
        last = j == len(columns) - 1
        width = 0.0 if last else columns[j + 1].x - column.x
        crossings = [(0, 0)] if last else [(f, g) for f in range(3) for g in range(3)]
        configs = _configs(column, length)
        for state, (cost, chosen) in best.items():
            for config in configs:
                middle = _vertical(state, config)
                if middle is None:
                    continue
                for f, g in crossings:
                    nxt = _cross(middle, column, f, g)
                    if nxt is None:
                        continue
                    total = cost + config.cost + (f + g) * width
                    if nxt not in after or total < after[nxt][0] - EPSILON:
                        after[nxt] = (total, (chosen, (config, f, g)))
        best = after
    finished = [v for s, v in best.items() if s[3]]
    if not finished:  # pragma: no cover - a tour always exists
        raise ValidationFailed.single("picks", "no route visits every pick")
    cost, chosen = min(finished, key=lambda v: v[0])
    choices: list[tuple[_Config, int, int]] = []
    while chosen is not None:
        chosen, choice = chosen
        choices.append(choice)
    choices.reverse()
    return _euler_route(layout, columns, choices, cost)


Vertex = tuple[str, int, float]


def _euler_route(
    layout: Layout,
    columns: list[_Column],
    choices: list[tuple[_Config, int, int]],
    cost: float,
) -> Route:
    length = layout.aisle_length
    edges: dict[Vertex, list[tuple[Vertex, int]]] = defaultdict(list)
    counter = 0

    def link(u: Vertex, v: Vertex, times: int) -> None:
        nonlocal counter
        for _ in range(times):
            edges[u].append((v, counter))
            edges[v].append((u, counter))
            counter += 1

    def chain(j: int, depths: list[float], times: int) -> None:
        points = [
            ("p", j, d) if 0 < d < length else ("a" if d == 0 else "b", j, 0.0) for d in depths
        ]
        for u, v in pairwise(points):
            link(u, v, times)

    for j, (config, f, g) in enumerate(choices):
        depths = columns[j].depths
        if config.name in ("single", "double"):
            chain(j, [0.0, *depths, length], 1 if config.name == "single" else 2)
        elif config.name == "front":
            chain(j, [0.0, *depths], 2)
        elif config.name == "back":
            chain(j, [length, *depths[::-1]], 2)
        elif config.name.startswith("gap:"):
            i = int(config.name[4:])
            chain(j, [0.0, *depths[: i + 1]], 2)
            chain(j, [length, *depths[i + 1 :][::-1]], 2)
        link(("a", j, 0.0), ("a", j + 1, 0.0), f)
        link(("b", j, 0.0), ("b", j + 1, 0.0), g)
    depot_column = next(j for j, c in enumerate(columns) if c.x == layout.depot_x)
    circuit = _euler(edges, ("a", depot_column, 0.0))
    walk = _Walk(layout, "optimal")
    seen: set[Vertex] = set()
    for kind, j, depth in circuit:
        column = columns[j]
        d = {"a": 0.0, "b": length}.get(kind, depth)
        walk.go(column.x, layout.front_y + d * (1 if layout.back_y >= layout.front_y else -1))
        if (kind, j, depth) not in seen:
            seen.add((kind, j, depth))
            walk.sequence += column.codes.get(d, [])
    result = walk.end()
    offset = 2 * abs(layout.depot_y - layout.front_y)
    assert abs(result.length_m - (cost + offset)) < 1e-6, (result.length_m, cost + offset)
    return result


def _euler(edges: dict[Vertex, list[tuple[Vertex, int]]], start: Vertex) -> list[Vertex]:
    """Hierholzer's algorithm on the multigraph (every degree is even)."""
    if start not in edges:
        return [start]
    used: set[int] = set()
    position: dict[Vertex, int] = defaultdict(int)
    stack, circuit = [start], []
    while stack:
        v = stack[-1]
        out = edges[v]
        while position[v] < len(out) and out[position[v]][1] in used:
            position[v] += 1
        if position[v] == len(out):
            circuit.append(stack.pop())
        else:
            u, edge = out[position[v]]
            used.add(edge)
            stack.append(u)
    return circuit[::-1]
