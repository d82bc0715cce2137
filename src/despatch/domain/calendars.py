"""Working calendars: when a warehouse works, its cut-offs, ship-by and promised dates.

A warehouse works on its working days except public holidays (computed by the integration
from the ``holidays`` package for its country and region) and extra closed dates. An order
that is ready before a service's cut-off on a working day ships that day; at or after the
cut-off, or on a closed day, it ships on the next working day. The promised delivery date is
the ship-by date plus the service's transit days, counted on the same working days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from despatch.domain.errors import FieldError, ValidationFailed

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_CUTOFF = time(16, 0)
DEFAULT_TRANSIT = {"express": 1, "standard": 2, "economy": 4}
MAX_LOOKAHEAD = 400  # days: a calendar with no working day in a year is refused


def day_text(day: date | datetime) -> str:
    """A day as every screen says it, always with its year: "Wed 6 Mar 2019"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Calendar:
    time_zone: str = "UTC"
    working_days: frozenset[int] = frozenset(range(5))  # Monday = 0
    closed: frozenset[date] = frozenset()  # public holidays and extra closed dates
    cutoffs: Mapping[str, time] = field(default_factory=dict)  # per service; "*" for any
    transit_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_TRANSIT))

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.closed

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, MAX_LOOKAHEAD):
            candidate = day + timedelta(days=offset)
            if self.works_on(candidate):
                return candidate
        raise ValidationFailed.single("calendar", "has no working day within a year")

    def add_working_days(self, day: date, days: int) -> date:
        for _ in range(days):
            day = self.next_working_day(day)
        return day

    def cutoff(self, service: str) -> time:
        return self.cutoffs.get(service) or self.cutoffs.get("*") or DEFAULT_CUTOFF

    def transit(self, service: str) -> int:
        if service in self.transit_days:
            return self.transit_days[service]
        return self.transit_days.get("*", DEFAULT_TRANSIT["standard"])

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.time_zone))

    def ship_by(self, ready_at: datetime, service: str) -> date:
        """The day an order ready at ``ready_at`` leaves this warehouse on ``service``."""
        local = self.local(ready_at)
        today = local.date()
        if self.works_on(today) and local.time() < self.cutoff(service):
            return today
        return self.next_working_day(today)

    def promise(self, ready_at: datetime, service: str) -> Promise:
        ship = self.ship_by(ready_at, service)
        local = self.local(ready_at)
        note = f"cut-off {self.cutoff(service):%H:%M} {self.time_zone}"
        if ship == local.date():
            why = f"ready {day_text(local)} {local:%H:%M}, before the {note}: ships today"
        elif self.works_on(local.date()):
            why = f"ready {day_text(local)} {local:%H:%M}, past the {note}: ships {day_text(ship)}"
        else:
            why = f"ready {day_text(local)}, a closed day: ships {day_text(ship)}"
        transit = self.transit(service)
        return Promise(ship, self.add_working_days(ship, transit), transit, why)


@dataclass(frozen=True)
class Promise:
    ship_by: date
    deliver_by: date
    transit_days: int
    reason: str


def read_calendar(
    data: Mapping[str, Any], *, time_zone: str, holidays: Iterable[date] = ()
) -> Calendar:
    """A calendar from a warehouse's settings; every wrong key is named."""
    errors: list[FieldError] = []
    known = {"working_days", "holidays", "closed", "cutoffs", "transit_days"}
    errors += [
        FieldError(f"calendar.{k}", "is not a calendar setting", "unknown_key")
        for k in sorted(set(data) - known)
    ]
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("time_zone", f"unknown time zone {time_zone!r}", "time_zone"))
    days = _working_days(data.get("working_days", list(DAY_NAMES[:5])), errors)
    closed = set(holidays) | _closed(data.get("closed", []), errors)
    cutoffs = _cutoffs(data.get("cutoffs", {}), errors)
    transit = _transit(data.get("transit_days", {}), errors)
    if errors:
        raise ValidationFailed(errors)
    return Calendar(time_zone, frozenset(days), frozenset(closed), cutoffs, transit)


def _working_days(raw: Any, errors: list[FieldError]) -> set[int]:
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError("calendar.working_days", "must list days, e.g. [mon, tue]"))
        return set()
    days = set()
    for i, name in enumerate(raw):
        if str(name).lower()[:3] not in DAY_NAMES:
            errors.append(
                FieldError(f"calendar.working_days[{i}]", f"{name!r} is not a day of the week")
            )
        else:
            days.add(DAY_NAMES.index(str(name).lower()[:3]))
    return days


def _closed(raw: Any, errors: list[FieldError]) -> set[date]:
    if not isinstance(raw, list):
        errors.append(FieldError("calendar.closed", "must be a list of YYYY-MM-DD dates"))
        return set()
    out = set()
    for i, value in enumerate(raw):
        try:
            out.add(date.fromisoformat(str(value)))
        except ValueError:
            errors.append(FieldError(f"calendar.closed[{i}]", f"{value!r} is not YYYY-MM-DD"))
    return out


def _cutoffs(raw: Any, errors: list[FieldError]) -> dict[str, time]:
    if not isinstance(raw, dict):
        errors.append(FieldError("calendar.cutoffs", 'must map a service to "HH:MM"'))
        return {}
    out = {}
    for service, value in raw.items():
        try:
            out[str(service)] = time.fromisoformat(str(value))
        except ValueError:
            errors.append(
                FieldError(f"calendar.cutoffs.{service}", f"{value!r} is not a time (HH:MM)")
            )
    return out


def _transit(raw: Any, errors: list[FieldError]) -> dict[str, int]:
    out = dict(DEFAULT_TRANSIT)
    if not isinstance(raw, dict):
        errors.append(FieldError("calendar.transit_days", "must map a service to whole days"))
        return out
    for service, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(
                FieldError(
                    f"calendar.transit_days.{service}", f"{value!r} is not a whole day count"
                )
            )
        else:
            out[str(service)] = value
    return out
