"""CSV exports of what a list page shows, with the page's own filters and the caller's scope:
orders (the inbox's query), stock levels and exception cases. Every cell goes through
``integrations.rows.write_csv``, which neutralises text a spreadsheet would run as a formula."""

from __future__ import annotations

from datetime import UTC

from django.utils import timezone

from despatch.domain.permissions import Scope
from despatch.domain.totals import plain
from despatch.domain.wording import (
    hold_words,
    kind_words,
    lateness,
    paths_in_words,
    status_words,
)
from despatch.integrations.rows import write_csv
from despatch.services import exceptions, inbox_query, inventory, scopes
from despatch.services.inbox_query import OrderQuery

ORDER_COLUMNS = (
    "order_number", "channel", "customer", "country", "service", "ship_by", "late",
    "received_utc", "status", "hold", "total", "currency", "warehouses", "order_id",
)  # fmt: skip


def orders_csv(query: OrderQuery, scope: Scope | None, *, personal: bool) -> str:
    """The inbox's rows for ``query``, all pages; customers' names only with ``personal``."""
    now = timezone.now()
    days = inbox_query.warehouse_days(now)
    rows = inbox_query.with_parcels(inbox_query.search(query, scope, now=now))
    return write_csv(ORDER_COLUMNS, (_order_row(o, days, now.date(), personal) for o in rows))


def _order_row(o, days, fallback, personal: bool) -> list[object]:  # type: ignore[no-untyped-def]
    warehouses = sorted({s.warehouse_id for s in o.shipments.all() if s.status != "cancelled"})
    today = days.get(warehouses[0], fallback) if warehouses else fallback
    _, late = lateness(o.ship_by_day, today, o.status)
    return [
        o.external_id,
        o.channel,
        o.customer_name if personal else "",
        (o.shipping_address or {}).get("country", ""),
        o.requested_service,
        o.ship_by_day.isoformat() if o.ship_by_day else "",
        "yes" if late else "",
        o.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        status_words(o.status),
        hold_words(o.hold_reason) if o.hold_reason else "",
        plain(o.total_amount, o.currency),
        o.currency,
        " ".join(warehouses),
        o.id,
    ]


STOCK_COLUMNS = ("sku", "name", "warehouse", "available", "on_hand", "reserved", "quarantined")


def stock_csv(search: str, scope: Scope) -> str:
    rows = scopes.levels_in(inventory.levels(search=search), scope).select_related("sku")
    return write_csv(
        STOCK_COLUMNS,
        (
            [
                level.sku_id,
                level.sku.name,
                level.warehouse_id,
                level.on_hand - level.reserved - level.quarantined,
                level.on_hand,
                level.reserved,
                level.quarantined,
            ]
            for level in rows
        ),
    )


EXCEPTION_COLUMNS = (
    "kind", "kind_in_words", "queue", "order_number", "summary", "owner", "status",
    "status_in_words", "opened_utc", "due_utc",
    "resolution", "resolved_by", "note",
)  # fmt: skip


def exceptions_csv(queue: str, owner: str, scope: Scope, status: str = "open") -> str:
    """The exception queue as the page lists it (``queue``, ``owner``), in the caller's scope."""
    rows = scopes.by_order(exceptions.list_cases(status=status, queue=queue, owner=owner), scope)

    def when(moment) -> str:  # type: ignore[no-untyped-def]
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else ""

    return write_csv(
        EXCEPTION_COLUMNS,
        (
            [
                c.kind,
                kind_words(c.kind),
                c.queue,
                c.order.external_id if c.order is not None else "",
                paths_in_words(c.summary),  # line 1 SKU, as the page says it
                c.owner,
                c.status,
                status_words(c.status),
                when(c.opened_at),
                when(c.due_at),
                c.resolution,
                c.resolved_by,
                c.note,
            ]
            for c in rows.select_related("order")
        ),
    )
