"""Warehouse layout: a single-block rectangular warehouse and its bin locations.

Aisles run front to back between two cross aisles; ``aisle_x_m`` gives each aisle's centre line,
bin n lies at y = n x ``bin_pitch_m``, and both sides of an aisle (L and R) are picked from its
centre line. Travel follows the aisle and cross-aisle centre lines; the depot is reached from
the front cross aisle. Location codes read ``A<aisle>-B<bin>-<L|R>`` (e.g. ``A03-B17-R``).
Optional ``zones`` name groups of aisles (``{"FAST": [1, 2], "BULK": [3, 4]}``) for zone picking;
when given, every aisle is in exactly one zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from despatch.domain.errors import FieldError, ValidationFailed

LOCATION = re.compile(r"^A(\d{1,4})-B(\d{1,5})-([LR])$")


@dataclass(frozen=True)
class Layout:
    aisle_x: Mapping[int, float]
    bins_per_side: int
    bin_pitch: float
    front_y: float
    back_y: float
    depot_x: float
    depot_y: float
    zones: Mapping[int, str] = field(default_factory=dict)  # aisle -> zone name

    def zone_of(self, aisle: int) -> str:
        return self.zones.get(aisle, "")

    @classmethod
    def from_json(cls, data: Any) -> Layout:
        """Read LAYOUT.json; every wrong key is named."""
        if not isinstance(data, dict):
            raise ValidationFailed.single("layout", "expected a JSON object")
        errors: list[FieldError] = []
        aisles = _count(data, "aisles", errors)
        bins = _count(data, "bins_per_side", errors)
        aisle_x = _aisle_x(data.get("aisle_x_m"), aisles, errors)
        pitch = _number(data, "bin_pitch_m", errors)
        front = _number(data, "front_cross_aisle_y_m", errors)
        back = _number(data, "back_cross_aisle_y_m", errors)
        depot_x, depot_y = _depot(data.get("depot"), errors)
        if not errors:  # the figures are all there: do the bins fit between the cross aisles?
            _check_bins(pitch, bins, front, back, errors)
        zones = _zones(data.get("zones"), aisles, errors)
        if errors:
            raise ValidationFailed(errors)
        return cls(
            {n: aisle_x[n] for n in range(1, aisles + 1)},
            bins,
            pitch,
            front,
            back,
            depot_x,
            depot_y,
            zones,
        )

    @property
    def aisle_length(self) -> float:
        return abs(self.back_y - self.front_y)

    def depth(self, y: float) -> float:
        """Distance of a point in an aisle from the front cross aisle."""
        return abs(y - self.front_y)


def _number(where: Mapping[str, Any], key: str, errors: list[FieldError], name: str = "") -> float:
    value = where.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(FieldError(name or key, f"expected a number, got {value!r}"))
        return 0.0
    return float(value)


def _count(data: Mapping[str, Any], key: str, errors: list[FieldError]) -> int:
    """A whole number >= 1 (0 when it is not one, named in ``errors``)."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        errors.append(FieldError(key, f"expected a whole number >= 1, got {value!r}"))
        return 0
    return value


def _aisle_x(raw: Any, aisles: int, errors: list[FieldError]) -> dict[int, float]:
    """``aisle_x_m``: aisle number -> x of its centre line, for every aisle 1..``aisles``."""
    aisle_x: dict[int, float] = {}
    if not isinstance(raw, dict):
        errors.append(FieldError("aisle_x_m", "expected an object: aisle number -> x"))
        return aisle_x
    for key in raw:
        if not str(key).isdigit():
            errors.append(FieldError(f"aisle_x_m.{key}", "keys are aisle numbers"))
            continue
        aisle_x[int(key)] = _number(raw, str(key), errors, f"aisle_x_m.{key}")
    missing = [n for n in range(1, aisles + 1) if n not in aisle_x]
    if missing:
        errors.append(FieldError("aisle_x_m", f"no x for aisle(s) {', '.join(map(str, missing))}"))
    return aisle_x


def _depot(raw: Any, errors: list[FieldError]) -> tuple[float, float]:
    if not isinstance(raw, dict):
        errors.append(FieldError("depot", "expected an object with x_m and y_m"))
        raw = {}
    return _number(raw, "x_m", errors, "depot.x_m"), _number(raw, "y_m", errors, "depot.y_m")


def _check_bins(
    pitch: float, bins: int, front: float, back: float, errors: list[FieldError]
) -> None:
    """Bin n lies at y = n x pitch: every bin must lie between the two cross aisles."""
    if pitch <= 0:
        errors.append(FieldError("bin_pitch_m", "must be above 0"))
        return
    lo, hi = sorted((front, back))
    if not lo <= pitch <= bins * pitch <= hi:
        errors.append(
            FieldError(
                "front_cross_aisle_y_m",
                f"bins lie at y {pitch:g}..{bins * pitch:g}, which must be between "
                f"the cross aisles ({front:g} and {back:g})",
            )
        )


def _zones(raw: Any, aisles: int, errors: list[FieldError]) -> dict[int, str]:
    """``{"FAST": [1, 2], "BULK": [3]}`` to aisle -> zone; absent means one zone."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        errors.append(FieldError("zones", "expected an object: zone name -> aisle numbers"))
        return {}
    zones: dict[int, str] = {}
    for name, members in raw.items():
        if not isinstance(members, list) or not members:
            errors.append(FieldError(f"zones.{name}", "expected a list of aisle numbers"))
            continue
        for aisle in members:
            if isinstance(aisle, bool) or not isinstance(aisle, int) or not 1 <= aisle <= aisles:
                errors.append(FieldError(f"zones.{name}", f"{aisle!r} is not an aisle 1..{aisles}"))
            elif aisle in zones:
                errors.append(
                    FieldError(f"zones.{name}", f"aisle {aisle} is already in {zones[aisle]}")
                )
            else:
                zones[aisle] = str(name)
    left = [n for n in range(1, aisles + 1) if n not in zones]
    if left and aisles:
        errors.append(FieldError("zones", f"aisle(s) {', '.join(map(str, left))} in no zone"))
    return zones


@dataclass(frozen=True, order=True)
class Location:
    aisle: int
    bin: int
    side: str

    @property
    def code(self) -> str:
        return f"A{self.aisle:02d}-B{self.bin:02d}-{self.side}"


def parse_location(code: str, layout: Layout, where: str = "location") -> Location:
    found = LOCATION.match(code.strip()) if isinstance(code, str) else None
    if found is None:
        raise ValidationFailed.single(where, f"{code!r} is not a location like A03-B17-R")
    location = Location(int(found[1]), int(found[2]), found[3])
    if location.aisle not in layout.aisle_x:
        raise ValidationFailed.single(where, f"{code}: the layout has no aisle {location.aisle}")
    if not 1 <= location.bin <= layout.bins_per_side:
        raise ValidationFailed.single(
            where, f"{code}: bins run 1..{layout.bins_per_side} on each side"
        )
    return location
