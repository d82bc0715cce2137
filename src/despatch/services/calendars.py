"""Warehouse calendars: read, change, and the ship-by and promised dates they give."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from despatch.domain.calendars import Calendar, Promise, read_calendar
from despatch.domain.errors import FieldError, NotFound, ValidationFailed
from despatch.integrations.calendars import holiday_spec, public_holidays
from despatch.models import Warehouse
from despatch.services.audit import Trail


def calendar_of(warehouse: Warehouse, around: datetime | None = None) -> Calendar:
    """The warehouse's calendar with public holidays of the years around ``around``."""
    year = (around or datetime.now()).year
    spec = holiday_spec(warehouse.calendar.get("holidays"), warehouse.country)
    return read_calendar(
        warehouse.calendar,
        time_zone=warehouse.time_zone,
        holidays=public_holidays(spec, (year - 1, year, year + 1)),
    )


def promise(warehouse: Warehouse, ready_at: datetime, service: str) -> Promise:
    return calendar_of(warehouse, ready_at).promise(ready_at, service)


def set_calendar(code: str, data: Any, *, actor: str) -> Warehouse:
    """Replace a warehouse's calendar after checking every key of it."""
    if not isinstance(data, dict):
        raise ValidationFailed.single("calendar", "must be an object of calendar settings")
    with transaction.atomic():
        warehouse = Warehouse.objects.select_for_update().filter(code=code).first()
        if warehouse is None:
            raise NotFound("warehouse", code)
        before = warehouse.calendar
        warehouse.calendar = data
        calendar_of(warehouse)  # raises ValidationFailed naming every wrong key
        warehouse.save(update_fields=["calendar"])
        trail = Trail(actor)
        trail.add("warehouse", code, "calendar_changed", before=before, after=data)
        trail.save()
    return warehouse


def set_location(code: str, data: Any, *, actor: str) -> Warehouse:
    """Where a warehouse is, for ``nearest`` and ``cheapest`` sourcing:
    ``{"serves": ["IE", "FR"], "costs": {"GB": "3.20", "*": "11.00"}}``."""
    errors = []
    if not isinstance(data, dict):
        raise ValidationFailed.single("location", "must be an object")
    errors += [
        FieldError(f"location.{k}", "is not a location setting", "unknown_key")
        for k in sorted(set(data) - {"serves", "costs", "region"})
    ]
    serves = data.get("serves", [])
    if not isinstance(serves, list) or not all(
        isinstance(c, str) and len(c) == 2 and c.isalpha() for c in serves
    ):
        errors.append(FieldError("location.serves", "must list ISO 3166 alpha-2 country codes"))
    costs = data.get("costs", {})
    if not isinstance(costs, dict):
        errors.append(FieldError("location.costs", 'must map a country (or "*") to a cost'))
        costs = {}
    for country, value in costs.items():
        try:
            if Decimal(str(value)) < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(FieldError(f"location.costs.{country}", f"{value!r} is not a cost"))
    if errors:
        raise ValidationFailed(errors)
    clean = {
        **data,
        "serves": [c.upper() for c in serves],
        "costs": {str(k).upper(): str(v) for k, v in costs.items()},
    }
    with transaction.atomic():
        warehouse = Warehouse.objects.select_for_update().filter(code=code).first()
        if warehouse is None:
            raise NotFound("warehouse", code)
        before, warehouse.location = warehouse.location, clean
        warehouse.save(update_fields=["location"])
        trail = Trail(actor)
        trail.add("warehouse", code, "location_changed", before=before, after=clean)
        trail.save()
    return warehouse


def promise_from(code: str, ready_at: datetime, service: str) -> Promise:
    """The promise for an order ready at ``ready_at`` (a naive time is the warehouse's)."""
    warehouse = Warehouse.objects.filter(code=code).first()
    if warehouse is None:
        raise NotFound("warehouse", code)
    if ready_at.tzinfo is None:
        ready_at = ready_at.replace(tzinfo=ZoneInfo(warehouse.time_zone))
    try:
        return promise(warehouse, ready_at, service)
    except OverflowError:  # the working days counted leave the calendar (year 9999)
        raise ValidationFailed.single("at", f"{ready_at.isoformat()} is out of range") from None
