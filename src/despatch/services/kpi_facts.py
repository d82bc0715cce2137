"""Load the plain facts the KPI engine counts (domain/kpis.py) for a period and a filter:
orders with their shipments, floor events and stock counts from the audit trail, exceptions,
returns and refunds. Read-only; every query is limited to the caller's warehouses and
channels."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from despatch.domain.kpis import (
    CountFact,
    ExceptionFact,
    Facts,
    FloorEvent,
    OrderFact,
    Period,
    RefundFact,
    ReturnFact,
    ShipmentFact,
)
from despatch.domain.permissions import Scope
from despatch.models import (
    AuditEntry,
    ExceptionCase,
    Order,
    OrderLine,
    Refund,
    ReturnLine,
    Shipment,
    ShipmentLine,
    Warehouse,
)

FLOOR_ACTIONS = {"picked": "picked", "wrong_scan": "wrong_scan", "short_pick": "short_pick"}
GONE = ("despatched", "delivered")


def orders_in(scope: Scope) -> QuerySet[Order]:
    """Orders of the scope's channels that ship (a live parcel) from one of its warehouses."""
    rows = Order.objects.all()
    if scope.channels is not None:
        rows = rows.filter(channel__in=scope.channels)
    if scope.warehouses is not None:
        live = Shipment.objects.exclude(status="cancelled")
        rows = rows.filter(id__in=live.filter(warehouse_id__in=scope.warehouses).values("order_id"))
    return rows


def end_of_day(day: Any, zone: str) -> datetime:
    """The first moment after ``day`` in ``zone``: a deadline 'by that day'."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone))


def zones() -> dict[str, str]:
    return dict(Warehouse.objects.values_list("code", "time_zone"))


def relevant_orders(period: Period, scope: Scope) -> QuerySet[Order]:
    """Received, despatched or delivered in the period, or open at its ``as_of``."""
    start, end, at = period.start, period.end, period.as_of
    open_then = (
        Q(created_at__lt=at)
        & (Q(despatched_at__isnull=True) | Q(despatched_at__gt=at))
        & (Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=at))
        & ~Q(status="fulfilled_by_channel")
    )
    return orders_in(scope).filter(
        Q(created_at__gte=start, created_at__lt=end)
        | Q(despatched_at__gte=start, despatched_at__lt=end)
        | Q(delivered_at__gte=start, delivered_at__lt=end)
        | open_then
    )


def load(period: Period, scope: Scope) -> Facts:
    orders = relevant_orders(period, scope)
    ids = orders.values("id")
    order_facts = _order_facts(orders, ids)
    return Facts(
        orders=order_facts,
        floor=_floor(period, scope),
        exceptions=_exceptions(period, scope, ids),
        returns=_returns(ids),
        refunds=_refunds(period, scope),
        counts=_counts(period, scope),
    )


def _order_facts(orders: QuerySet[Order], ids: Any) -> list[OrderFact]:
    tz = zones()
    parcels = _shipments(ids, tz)
    complete = _complete(ids)
    oversold = _oversold(ids)
    facts = []
    fields = ("id", "channel", "external_id", "created_at", "despatched_at", "delivered_at")
    for row in orders.values(*fields, "cancelled_at", "promise_date", "channel_ship_by", "status"):
        mine = parcels.get(row["id"], ())
        zone = tz.get(mine[0].warehouse, "UTC") if mine else "UTC"
        promised = row["promise_date"]
        facts.append(
            OrderFact(
                id=row["id"],
                channel=row["channel"],
                number=row["external_id"],
                received_at=row["created_at"],
                despatched_at=row["despatched_at"],
                delivered_at=row["delivered_at"],
                cancelled_at=row["cancelled_at"],
                deliver_by=end_of_day(promised, zone) if promised else None,
                channel_ship_by=row["channel_ship_by"],
                shipments=tuple(mine),
                complete=complete.get(row["id"], True),
                oversold_units=oversold.get(row["id"], 0),
                closed_elsewhere=row["status"] == "fulfilled_by_channel",
            )
        )
    return facts


def _shipments(ids: Any, tz: dict[str, str]) -> dict[str, list[ShipmentFact]]:
    gone = dict(
        AuditEntry.objects.filter(
            subject_type="shipment", action="despatched", order_id__in=ids
        ).values_list("subject_id", "at")
    )
    found: dict[str, list[ShipmentFact]] = defaultdict(list)
    rows = Shipment.objects.filter(order_id__in=ids).order_by("created_at", "id")
    for row in rows.values("id", "order_id", "warehouse_id", "status", "ship_by"):
        zone = tz.get(row["warehouse_id"], "UTC")
        found[row["order_id"]].append(
            ShipmentFact(
                id=row["id"],
                warehouse=row["warehouse_id"],
                ship_by=end_of_day(row["ship_by"], zone) if row["ship_by"] else None,
                despatched_at=gone.get(row["id"]) if row["status"] in GONE else None,
                cancelled=row["status"] == "cancelled",
            )
        )
    return found


def _complete(ids: Any) -> dict[str, bool]:
    """Per order: no unit cancelled, and every unit on a parcel that left."""
    shipped: dict[str, int] = defaultdict(int)
    for line_id, quantity in ShipmentLine.objects.filter(
        shipment__order_id__in=ids, shipment__status__in=GONE
    ).values_list("line_id", "quantity"):
        shipped[line_id] += quantity
    complete: dict[str, bool] = {}
    lines = OrderLine.objects.filter(order_id__in=ids)
    for pk, order_id, quantity, cancelled in lines.values_list(
        "pk", "order_id", "quantity", "cancelled"
    ):
        ok = cancelled == 0 and shipped[pk] >= quantity
        complete[order_id] = complete.get(order_id, True) and ok
    return complete


def _oversold(ids: Any) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    rows = AuditEntry.objects.filter(subject_type="order", action="oversold", order_id__in=ids)
    for order_id, detail in rows.values_list("order_id", "detail"):
        short = (detail or {}).get("short") or {}
        found[order_id] += sum(int(n) for n in short.values())
    return found


def _by_order(rows: QuerySet[Any], scope: Scope) -> QuerySet[Any]:
    if scope.channels is None and scope.warehouses is None:
        return rows
    return rows.filter(order_id__in=orders_in(scope).values("id"))


def _floor(period: Period, scope: Scope) -> list[FloorEvent]:
    rows = _by_order(
        AuditEntry.objects.filter(at__gte=period.start, at__lt=period.end).filter(
            Q(subject_type="pick_task", action__in=list(FLOOR_ACTIONS))
            | Q(subject_type="shipment", action="packed")
        ),
        scope,
    )
    events = []
    for action, actor, at, order_id, detail in rows.values_list(
        "action", "actor", "at", "order_id", "detail"
    ):
        detail = detail or {}
        where = detail.get("warehouse", "")
        if scope.warehouses is not None and where not in scope.warehouses:
            continue
        if action == "short_pick" and int(detail.get("units") or 0) > 0:
            events.append(FloorEvent("picked", actor, at, int(detail["units"]), order_id))
        units = int(detail.get("units") or 0) if action == "picked" else 1
        events.append(FloorEvent(action, actor, at, units, order_id))
    return events


def _exceptions(period: Period, scope: Scope, ids: Any) -> list[ExceptionFact]:
    rows = ExceptionCase.objects.filter(
        Q(opened_at__gte=period.start, opened_at__lt=period.end) | Q(order_id__in=ids)
    )
    rows = _by_order(rows, scope)
    fields = ("id", "kind", "opened_at", "due_at", "resolved_at", "order_id")
    return [
        ExceptionFact(
            r["id"], r["kind"], r["opened_at"], r["due_at"], r["resolved_at"], r["order_id"] or ""
        )
        for r in rows.values(*fields)
    ]


def _returns(ids: Any) -> list[ReturnFact]:
    reasons: dict[str, set[str]] = defaultdict(set)
    rows = ReturnLine.objects.filter(rma__order_id__in=ids).exclude(rma__status="cancelled")
    for order_id, reason in rows.values_list("rma__order_id", "reason"):
        reasons[order_id].add(reason)
    return [ReturnFact(order_id, frozenset(found)) for order_id, found in reasons.items()]


def _refunds(period: Period, scope: Scope) -> list[RefundFact]:
    rows = _by_order(
        Refund.objects.filter(
            status="succeeded", succeeded_at__gte=period.start, succeeded_at__lt=period.end
        ),
        scope,
    )
    return [
        RefundFact(order_id, amount, currency, at)
        for order_id, amount, currency, at in rows.values_list(
            "order_id", "amount", "currency", "succeeded_at"
        )
    ]


def _counts(period: Period, scope: Scope) -> list[CountFact]:
    rows = AuditEntry.objects.filter(
        subject_type="stock", action="stock_counted", at__gte=period.start, at__lt=period.end
    )
    counts = []
    for key, at, before, after in rows.values_list("subject_id", "at", "before", "after"):
        sku, _, warehouse = key.rpartition("@")
        if scope.warehouses is not None and warehouse not in scope.warehouses:
            continue
        book, counted = (before or {}).get("on_hand"), (after or {}).get("on_hand")
        if isinstance(book, int) and isinstance(counted, int):
            counts.append(CountFact(warehouse, sku, at, book, counted))
    return counts
