"""KPIs: the figures a manager acts on, computed from plain facts (docs/kpis.md).

Pure functions over frozen records: the service loads orders, shipments, floor events,
exceptions, returns, refunds and stock counts for a period and a filter; this module counts.
Every figure is defined in docs/kpis.md. A rate whose denominator is empty is ``None`` (there
was nothing to measure), never 0 and never an error. Each figure also names the orders behind
it, in groups (``late``/``on_time``, a backlog bucket...), so a screen can link to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from despatch.domain.kpi_maths import BUCKETS, bucket_of, median, nearest_rank, per_hour, rate
from despatch.domain.kpi_records import (
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
from despatch.domain.money import Money

__all__ = [
    "KEYS",
    "CountFact",
    "ExceptionFact",
    "Facts",
    "FloorEvent",
    "OrderFact",
    "Period",
    "RefundFact",
    "Report",
    "ReturnFact",
    "ShipmentFact",
    "compute",
]

# Return reasons that mean the fulfilment went wrong (the parcel, not the customer's mind).
BAD_RETURN_REASONS = frozenset({"damaged", "wrong_item"})
KEYS = (
    "orders_received",
    "orders_despatched",
    "on_time_despatch_rate",
    "on_time_delivery_rate",
    "median_cycle_time_hours",
    "p90_cycle_time_hours",
    "backlog_by_age",
    "late_orders",
    "perfect_order_rate",
    "pick_rate_units_per_hour",
    "pack_rate_parcels_per_hour",
    "pick_accuracy",
    "exceptions_by_reason",
    "oversold_units",
    "split_rate",
    "cancel_rate",
    "return_rate",
    "refund_value",
    "stock_accuracy",
)

# Each figure and backlog bucket in plain words, for the dashboard and `despatch kpis`.
LABELS = {
    "orders_received": "Orders received",
    "orders_despatched": "Orders despatched",
    "on_time_despatch_rate": "Despatched on time",
    "on_time_delivery_rate": "Delivered on time",
    "median_cycle_time_hours": "Median hours from received to despatched",
    "p90_cycle_time_hours": "90th percentile hours from received to despatched",
    "backlog_by_age": "Open orders by age",
    "late_orders": "Late orders (past ship-by, not despatched)",
    "perfect_order_rate": "Perfect orders",
    "pick_accuracy": "Pick accuracy",
    "exceptions_by_reason": "Exceptions",
    "oversold_units": "Oversold units",
    "split_rate": "Orders split into several parcels",
    "cancel_rate": "Orders cancelled",
    "return_rate": "Orders returned",
    "refund_value": "Refunds paid",
    "to_ship_today": "To ship today",
    "pick_rate_units_per_hour": "Units picked per hour",
    "pack_rate_parcels_per_hour": "Parcels packed per hour",
    "stock_accuracy": "Stock accuracy (counts that matched)",
}
BUCKET_WORDS = {
    "under_4h": "under 4 hours",
    "4h_to_24h": "4 to 24 hours",
    "1d_to_2d": "1 to 2 days",
    "over_2d": "over 2 days",
}


@dataclass
class Report:
    values: dict[str, Any] = field(default_factory=dict)
    orders: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def put(self, key: str, value: Any, **groups: Iterable[str]) -> None:
        self.values[key] = value
        if groups:
            self.orders[key] = {name: sorted(set(ids)) for name, ids in groups.items()}


def _in(moment: datetime | None, period: Period) -> bool:
    return moment is not None and period.start <= moment < period.end


def compute(period: Period, facts: Facts) -> Report:
    """Every KPI of :data:`KEYS` for ``period`` from ``facts`` (already filtered)."""
    report = Report()
    received = [o for o in facts.orders if _in(o.received_at, period)]
    despatched = [o for o in facts.orders if _in(o.despatched_at, period)]
    report.put("orders_received", len(received), received=[o.id for o in received])
    report.put("orders_despatched", len(despatched), despatched=[o.id for o in despatched])
    _timeliness(report, period, facts, despatched)
    _backlog(report, period, facts.orders)
    _perfect(report, facts, despatched)
    _floor(report, period, facts.floor)
    _exceptions(report, period, facts.exceptions)
    _order_mix(report, received, despatched, facts.returns)
    _money_and_stock(report, period, facts)
    return report


def _timeliness(report: Report, period: Period, facts: Facts, despatched: list[OrderFact]) -> None:
    judged = [(o, o.despatched_on_time()) for o in despatched]
    on_time = [o.id for o, ok in judged if ok]
    late = [o.id for o, ok in judged if ok is False]
    report.put(
        "on_time_despatch_rate",
        rate(len(on_time), len(on_time) + len(late)),
        on_time=on_time,
        late=late,
    )
    delivered = [o for o in facts.orders if _in(o.delivered_at, period) and o.deliver_by]
    kept = [o.id for o in delivered if o.delivered_at <= o.deliver_by]  # type: ignore[operator]
    missed = [o.id for o in delivered if o.id not in set(kept)]
    report.put("on_time_delivery_rate", rate(len(kept), len(delivered)), on_time=kept, late=missed)
    hours = [(o.despatched_at - o.received_at) / timedelta(hours=1) for o in despatched]  # type: ignore[operator]
    ids = [o.id for o in despatched]
    report.put("median_cycle_time_hours", _hours(median(hours)), despatched=ids)
    report.put("p90_cycle_time_hours", _hours(nearest_rank(hours, 0.9)), despatched=ids)


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _backlog(report: Report, period: Period, orders: Sequence[OrderFact]) -> None:
    open_ = [o for o in orders if o.open_at(period.as_of)]
    groups: dict[str, list[str]] = {name: [] for name, _ in BUCKETS}
    for order in open_:
        groups[bucket_of(period.as_of - order.received_at)].append(order.id)
    report.put("backlog_by_age", {k: len(v) for k, v in groups.items()}, **groups)
    late = [o.id for o in open_ if o.late_at(period.as_of)]
    report.put("late_orders", len(late), late=late)


def _perfect(report: Report, facts: Facts, despatched: list[OrderFact]) -> None:
    bad_returns = {r.order_id for r in facts.returns if r.reasons & BAD_RETURN_REASONS}
    opened: dict[str, list[datetime]] = defaultdict(list)
    for case in facts.exceptions:
        if case.order_id:
            opened[case.order_id].append(case.opened_at)
    perfect: list[str] = []
    imperfect: list[str] = []
    for order in despatched:
        gone = order.first_despatch()
        after = gone is not None and any(t >= gone for t in opened.get(order.id, []))
        ok = (
            order.complete
            and order.despatched_on_time() is True
            and order.id not in bad_returns
            and not after
        )
        (perfect if ok else imperfect).append(order.id)
    report.put(
        "perfect_order_rate",
        rate(len(perfect), len(despatched)),
        perfect=perfect,
        imperfect=imperfect,
    )


def _floor(report: Report, period: Period, events: Sequence[FloorEvent]) -> None:
    inside = [e for e in events if _in(e.at, period)]
    picked = [e for e in inside if e.kind == "picked"]
    packed = [e for e in inside if e.kind == "packed"]
    report.put("pick_rate_units_per_hour", per_hour((e.actor, e.at, e.units) for e in picked))
    report.put("pack_rate_parcels_per_hour", per_hour((e.actor, e.at, 1) for e in packed))
    wrong = [e for e in inside if e.kind == "wrong_scan"]
    short = [e for e in inside if e.kind == "short_pick"]
    attempts = sum(e.units for e in picked) + len(wrong) + len(short)
    accuracy = rate(attempts - len(wrong) - len(short), attempts)
    report.put(
        "pick_accuracy",
        accuracy,
        wrong_scan=[e.order_id for e in wrong if e.order_id],
        short_pick=[e.order_id for e in short if e.order_id],
    )


def _exceptions(report: Report, period: Period, cases: Sequence[ExceptionFact]) -> None:
    by_kind: dict[str, list[ExceptionFact]] = defaultdict(list)
    for case in cases:
        if _in(case.opened_at, period):
            by_kind[case.kind].append(case)
    value: dict[str, dict[str, Any]] = {}
    for kind, found in sorted(by_kind.items()):
        waits = [
            (c.resolved_at - c.opened_at) / timedelta(hours=1)
            for c in found
            if c.resolved_at is not None
        ]
        value[kind] = {
            "count": len(found),
            "resolved": len(waits),
            "median_hours_to_resolve": _hours(median(waits)),
            "sla_breaches": sum(_breached(c, period.as_of) for c in found),
        }
    groups = {kind: [c.order_id for c in found if c.order_id] for kind, found in by_kind.items()}
    report.put("exceptions_by_reason", value, **groups)


def _breached(case: ExceptionFact, as_of: datetime) -> bool:
    """Resolved after its due time, or still open past it at ``as_of``."""
    if case.resolved_at is not None:
        return case.resolved_at > case.due_at
    return as_of > case.due_at


def _order_mix(
    report: Report,
    received: list[OrderFact],
    despatched: list[OrderFact],
    returns: Sequence[ReturnFact],
) -> None:
    oversold = [o for o in received if o.oversold_units]
    report.put(
        "oversold_units", sum(o.oversold_units for o in oversold), oversold=[o.id for o in oversold]
    )
    shipped = [o for o in received if o.live]
    split = [o.id for o in shipped if len(o.live) > 1]
    report.put("split_rate", rate(len(split), len(shipped)), split=split)
    cancelled = [o.id for o in received if o.cancelled_at is not None]
    report.put("cancel_rate", rate(len(cancelled), len(received)), cancelled=cancelled)
    with_return = {r.order_id for r in returns}
    returned = [o.id for o in despatched if o.id in with_return]
    report.put("return_rate", rate(len(returned), len(despatched)), returned=returned)


def _money_and_stock(report: Report, period: Period, facts: Facts) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    refunded = [r for r in facts.refunds if _in(r.at, period)]
    for refund in refunded:
        totals[refund.currency] += refund.amount
    report.put(
        "refund_value",
        [{"amount": Money(totals[c], c).amount, "currency": c} for c in sorted(totals)],
        refunded=[r.order_id for r in refunded],
    )
    counts = [c for c in facts.counts if _in(c.at, period)]
    report.put("stock_accuracy", rate(sum(c.book == c.counted for c in counts), len(counts)))
