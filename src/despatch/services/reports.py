"""Pipeline figures a manager acts on: status mix, splits, backorders, latency, stock truth."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F

from despatch.domain.inventory import LedgerBreak
from despatch.models import Order, Shipment, StockLevel
from despatch.services import inventory, orders


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class PipelineSummary:
    by_status: dict[str, int]
    orders: int
    split_orders: int
    backordered: int
    on_hold: int
    oversold_rows: int
    ledger_breaks: list[LedgerBreak] = field(default_factory=list)
    p50_allocate_ms: float = 0.0
    p95_allocate_ms: float = 0.0

    @property
    def split_rate(self) -> float:
        allocated = (
            self.orders - self.backordered - self.on_hold - self.by_status.get("received", 0)
        )
        return self.split_orders / allocated if allocated > 0 else 0.0


def pipeline_summary() -> PipelineSummary:
    by_status = orders.status_counts()
    splits = (
        Shipment.objects.exclude(status="cancelled")
        .values("order_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    latencies = [
        (allocated - created).total_seconds() * 1000
        for created, allocated in Order.objects.filter(allocated_at__isnull=False).values_list(
            "created_at", "allocated_at"
        )
        if allocated is not None
    ]
    oversold = StockLevel.objects.filter(reserved__gt=F("on_hand") - F("quarantined")).count()
    return PipelineSummary(
        by_status=by_status,
        orders=sum(by_status.values()),
        split_orders=splits,
        backordered=by_status.get("backordered", 0),
        on_hold=by_status.get("on_hold", 0),
        oversold_rows=oversold,
        ledger_breaks=inventory.ledger_breaks(),
        p50_allocate_ms=percentile(latencies, 0.5),
        p95_allocate_ms=percentile(latencies, 0.95),
    )
