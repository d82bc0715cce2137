"""Warehouse calendars: read, change, and the ship-by and promised dates they give."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from despatch.domain.calendars import Calendar, Promise, read_calendar
from despatch.domain.errors import NotFound, ValidationFailed
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
