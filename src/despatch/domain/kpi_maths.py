"""The small maths of the KPIs (docs/kpis.md): rates with an empty denominator, percentiles,
backlog age buckets, rates per active hour, and the series a dashboard draws."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Backlog age buckets: (key, upper bound, exclusive). An age exactly on a bound goes up.
BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under_4h", timedelta(hours=4)),
    ("4h_to_24h", timedelta(hours=24)),
    ("1d_to_2d", timedelta(hours=48)),
    ("over_2d", None),
)


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` to four places; None when there is nothing to measure."""
    if whole <= 0:
        return None
    return round(part / whole, 4)


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    return statistics.median(values) if values else None


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The ``q`` percentile by nearest rank: the ceil(q*n)-th smallest value; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def bucket_of(age: timedelta) -> str:
    for name, bound in BUCKETS:
        if bound is None or age < bound:
            return name
    raise AssertionError("the last bucket has no bound")  # pragma: no cover


def hour_slot(moment: datetime) -> datetime:
    """The clock hour ``moment`` falls in (UTC)."""
    return moment.astimezone(ZoneInfo("UTC")).replace(minute=0, second=0, microsecond=0)


def per_hour(work: Iterable[tuple[str, datetime, int]]) -> dict[str, float]:
    """Per person, units done / active hours, where active hours are the clock hours in which
    the person did at least one (an hour with one scan counts whole), to two places."""
    units: dict[str, int] = defaultdict(int)
    slots: dict[str, set[datetime]] = defaultdict(set)
    for actor, at, n in work:
        units[actor] += n
        slots[actor].add(hour_slot(at))
    return {actor: round(units[actor] / len(slots[actor]), 2) for actor in sorted(units)}


@dataclass(frozen=True)
class Day:
    day: date
    received: int
    despatched: int
    on_time_rate: float | None


def daily(
    received: Iterable[datetime],
    despatched: Iterable[tuple[datetime, bool | None]],
    zone: str,
    last_day: date,
    days: int = 14,
) -> list[Day]:
    """Per local day of ``zone``, ending with ``last_day``: orders in, orders out, and the
    on-time despatch rate of those out (judged ones only)."""
    tz = ZoneInfo(zone)
    first = last_day - timedelta(days=days - 1)
    ins: dict[date, int] = defaultdict(int)
    outs: dict[date, list[bool | None]] = defaultdict(list)
    for moment in received:
        ins[moment.astimezone(tz).date()] += 1
    for moment, on_time in despatched:
        outs[moment.astimezone(tz).date()].append(on_time)
    result = []
    for n in range(days):
        day = first + timedelta(days=n)
        judged = [ok for ok in outs[day] if ok is not None]
        result.append(Day(day, ins[day], len(outs[day]), rate(sum(judged), len(judged))))
    return result


def hourly(moments: Iterable[datetime], zone: str, day: date) -> list[int]:
    """How many of ``moments`` fall in each local hour (0-23) of ``day`` in ``zone``."""
    tz = ZoneInfo(zone)
    counts = [0] * 24
    for moment in moments:
        local = moment.astimezone(tz)
        if local.date() == day:
            counts[local.hour] += 1
    return counts
