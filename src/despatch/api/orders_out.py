"""Orders and shipments as the API answers them (the shapes are in ``api/order_schemas.py``)."""

from typing import Any

from despatch.domain.totals import plain
from despatch.domain.wording import lateness
from despatch.services import totals


def shipment_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "order_id": s.order_id,
        "warehouse": s.warehouse_id,
        "status": s.status,
        "carrier": s.carrier,
        "tracking_number": s.tracking_number,
        "lines": [{"sku": sl.sku_id, "quantity": sl.quantity} for sl in s.lines.all()],
        "channel": {
            "told_at": s.channel_notified_at,
            "outcome": s.channel_outcome,
            "reference": s.channel_reference,
            "error": s.channel_error,
        },
    }


def summary_out(o: Any, *, personal: bool = True) -> dict[str, Any]:
    """``personal=False`` (no ``customers.read``: pickers, packers) leaves out who the
    customer is and where they live; the label and packing slip still carry it."""
    return {
        "id": o.id,
        "channel": o.channel,
        "external_id": o.external_id,
        "status": o.status,
        "payment_status": o.payment_status,
        "currency": o.currency,
        "total": plain(o.total_amount, o.currency),
        "customer_name": o.customer_name if personal else "",
        "hold_reason": o.hold_reason,
        "created_at": o.created_at,
    }


def order_out(o: Any, *, personal: bool = True) -> dict[str, Any]:
    lines = [
        {
            "id": li.id,
            "line_no": li.line_no,
            "sku": li.sku,
            "quantity": li.quantity,
            "unit_price": plain(li.unit_price, o.currency),
            "line_total": plain(li.line_total or li.unit_price * li.quantity, o.currency),
            "external_line_id": li.external_line_id,
            "backordered": li.backordered,
            "cancelled": li.cancelled,
        }
        for li in o.lines.all()
    ]
    money = totals.money_of(o).as_dict()
    return {
        **summary_out(o, personal=personal),
        **{k: v for k, v in money.items() if k not in ("currency", "total")},
        "customer_email": o.customer_email if personal else "",
        "shipping_address": o.shipping_address if personal else _country_only(o),
        "billing_address": o.billing_address if personal else _country_only(o, "billing_address"),
        "requested_service": o.requested_service,
        "replaces": o.replaces,
        "exchange_rma": o.exchange_rma,
        "platform_actions": o.platform_actions,
        "priority": o.priority,
        "hold_detail": o.hold_detail,
        "allocation": o.allocation,
        "allocated_at": o.allocated_at,
        "despatched_at": o.despatched_at,
        "delivered_at": o.delivered_at,
        "cancelled_at": o.cancelled_at,
        "lines": lines,
        "shipments": [shipment_out(s) for s in o.shipments.all()],
    }


def _country_only(o: Any, name: str = "shipping_address") -> dict[str, Any]:
    country = (getattr(o, name) or {}).get("country", "")
    return {"country": country} if country or name == "shipping_address" else {}


def listed_out(o: Any, days: dict[str, Any], *, personal: bool) -> dict[str, Any]:
    """An order as the inbox lists it: where from, to which country, by when, late or not."""
    warehouses = sorted({s.warehouse_id for s in o.shipments.all() if s.status != "cancelled"})
    today = days.get(warehouses[0]) if warehouses else None
    late = bool(today and lateness(o.ship_by_day, today, o.status)[1])
    return {
        **summary_out(o, personal=personal),
        "country": (o.shipping_address or {}).get("country", ""),
        "service": o.requested_service,
        "ship_by": o.ship_by_day,
        "late": late,
        "warehouses": warehouses,
    }
