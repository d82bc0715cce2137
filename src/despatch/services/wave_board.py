"""The wave board: the allocated work waiting for a wave (by warehouse, ship-by day and its
cut-off, service and priority), the waves released with their progress in units, and who
picks each list.

A list is assigned to a picker: an active user with the ``picker`` role whose scope includes
the list's warehouse. Assigning is audited (``pick_list_assigned``, before -> after).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.utils import timezone

from despatch.domain.calendars import day_text
from despatch.domain.errors import Conflict, NotFound, ValidationFailed
from despatch.domain.shipments import ShipmentStatus
from despatch.models import PickList, PickTask, Shipment, Warehouse
from despatch.services import calendars, tokens
from despatch.services.audit import Trail

PICKER_ROLE = "picker"


@dataclass(frozen=True)
class Waiting:
    """Allocated shipments not yet released, of one warehouse, ship-by day, service and
    priority."""

    warehouse: str
    ship_by: date | None
    service: str
    cutoff: str  # "16:00 Europe/London": the service's cut-off on the ship-by day
    priority: int
    shipments: int
    units: int
    late: bool  # the ship-by day is before the warehouse's today


def waiting(warehouses: frozenset[str] | None = None) -> list[Waiting]:
    rows = Shipment.objects.filter(status=ShipmentStatus.ALLOCATED)
    if warehouses is not None:
        rows = rows.filter(warehouse_id__in=warehouses)
    grouped = (
        rows.values("warehouse_id", "ship_by", "order__requested_service", "order__priority")
        .annotate(shipments=Count("id", distinct=True), units=Sum("lines__quantity"))
        .order_by(
            "warehouse_id",
            F("ship_by").asc(nulls_last=True),
            "-order__priority",
            "order__requested_service",
        )
    )
    codes = {r["warehouse_id"] for r in grouped}
    now = timezone.now()
    found = {
        w.code: calendars.calendar_of(w, now) for w in Warehouse.objects.filter(code__in=codes)
    }
    out = []
    for r in grouped:
        calendar, service = found[r["warehouse_id"]], r["order__requested_service"]
        today = calendar.local(now).date()
        out.append(
            Waiting(
                r["warehouse_id"],
                r["ship_by"],
                service,
                f"{calendar.cutoff(service):%H:%M} {calendar.time_zone}",
                r["order__priority"],
                r["shipments"],
                r["units"] or 0,
                r["ship_by"] is not None and r["ship_by"] < today,
            )
        )
    return out


@dataclass
class ListProgress:
    pick_list: PickList
    units: int
    picked: int
    short: int
    orders: int = 0

    @property
    def name(self) -> str:
        return list_name(self.pick_list, self.orders)

    @property
    def percent(self) -> int:
        return round(100 * (self.picked + self.short) / self.units) if self.units else 100


@dataclass
class WaveProgress:
    wave: str
    warehouse: str
    released_at: datetime
    lists: list[ListProgress] = field(default_factory=list)
    zone: str = "UTC"  # the warehouse's time zone

    @property
    def units(self) -> int:
        return sum(p.units for p in self.lists)

    @property
    def picked(self) -> int:
        return sum(p.picked for p in self.lists)

    @property
    def short(self) -> int:
        return sum(p.short for p in self.lists)

    @property
    def open_lists(self) -> int:
        return sum(1 for p in self.lists if p.pick_list.status == PickList.OPEN)


def progress(warehouses: frozenset[str] | None = None, limit: int = 20) -> list[WaveProgress]:
    """The latest ``limit`` waves, newest first, each list's units picked and short of its
    total (cancelled tasks left out)."""
    lists = PickList.objects.all()
    if warehouses is not None:
        lists = lists.filter(warehouse_id__in=warehouses)
    latest = list(
        lists.values("wave")
        .annotate(first=Min("created_at"))
        .order_by("-first", "-wave")
        .values_list("wave", flat=True)[:limit]
    )
    by_wave: dict[str, WaveProgress] = {}
    for one in _counted(lists.filter(wave__in=latest)):
        pl = one.pick_list
        wave = by_wave.setdefault(
            pl.wave,
            WaveProgress(pl.wave, pl.warehouse_id, pl.created_at, zone=pl.warehouse.time_zone),
        )
        wave.lists.append(one)
    return [by_wave[w] for w in latest if w in by_wave]


def _counted(lists: QuerySet[PickList]) -> list[ListProgress]:
    live = ~Q(tasks__status=PickTask.CANCELLED)
    rows = (
        lists.annotate(
            units=Sum("tasks__quantity", filter=live),
            done=Sum("tasks__picked", filter=live),
            missing=Sum("tasks__short", filter=live),
            orders=Count("tasks__shipment__order_id", filter=live, distinct=True),
        )
        .select_related("warehouse")
        .order_by("created_at", "id")
    )
    return [
        ListProgress(pl, pl.units or 0, pl.done or 0, pl.missing or 0, pl.orders or 0)
        for pl in rows
    ]


def list_name(pick_list: PickList, orders: int) -> str:
    """A pick list as people name it: "London, Mon 30 Nov 2026, 3 orders" (the day in the
    warehouse's time zone); its ID is shown beside it, smaller."""
    warehouse = pick_list.warehouse
    day = day_text(pick_list.created_at.astimezone(ZoneInfo(warehouse.time_zone or "UTC")))
    return f"{warehouse.name or warehouse.code}, {day}, {orders} order{'' if orders == 1 else 's'}"


def open_lists(warehouses: frozenset[str] | None, picker: str = "") -> list[ListProgress]:
    """The open lists with their progress; those given to ``picker`` first."""
    lists = PickList.objects.filter(status=PickList.OPEN)
    if warehouses is not None:
        lists = lists.filter(warehouse_id__in=warehouses)
    found = _counted(lists)
    return sorted(found, key=lambda p: not (picker and p.pick_list.picker == picker))


def pickers(warehouse: str = "") -> list[str]:
    """Usernames of the active pickers (who work at ``warehouse``, if given)."""
    names = User.objects.filter(is_active=True, groups__name=PICKER_ROLE).order_by("username")
    found = list(names.values_list("username", flat=True).distinct())
    if not warehouse:
        return found
    return [n for n in found if tokens.access_of_username(n).may_warehouse(warehouse)]


def assign(pick_list_id: str, picker: str, *, actor: str) -> PickList:
    """Give an open list to a picker (``""``: take it back); audited before -> after."""
    picker = picker.strip()
    with transaction.atomic():
        pick_list = PickList.objects.select_for_update().filter(id=pick_list_id).first()
        if pick_list is None:
            raise NotFound("pick list", pick_list_id)
        if pick_list.status != PickList.OPEN:
            raise Conflict(f"pick list {pick_list_id} is {pick_list.status}", current="done")
        if picker and picker not in pickers(pick_list.warehouse_id):
            raise ValidationFailed.single(
                "picker",
                f"{picker!r} is not a picker at {pick_list.warehouse_id}",
                "not_a_picker",
            )
        before, pick_list.picker = pick_list.picker, picker
        pick_list.save(update_fields=["picker"])
        trail = Trail(actor)
        trail.add(
            "pick_list",
            pick_list.id,
            "pick_list_assigned",
            before={"picker": before},
            after={"picker": picker},
        )
        trail.save()
    return pick_list
