"""What a printable sheet for many orders holds: each parcel's packing slip, or each pick
list the orders are on, with a Code 128 barcode of the parcel or the list (scanned at the
bench). Orders outside the caller's scope are left out."""

from __future__ import annotations

from dataclasses import dataclass, field

from despatch.domain.permissions import Scope
from despatch.domain.shipments import ShipmentStatus
from despatch.integrations.barcodes import code128_data_url
from despatch.models import Order, PickList, Shipment
from despatch.services import scopes

KINDS = ("packing_slips", "pick_lists")


@dataclass(frozen=True)
class Sheet:
    title: str  # "Order 1001", "Pick list pkl_…"
    code: str  # what the barcode says
    barcode: str  # a data: URL
    subtitle: str
    address: dict[str, str] = field(default_factory=dict)
    rows: list[tuple[str, ...]] = field(default_factory=list)


def sheets(kind: str, order_ids: list[str], scope: Scope | None) -> list[Sheet]:
    orders = Order.objects.filter(id__in=order_ids)
    if scope is not None:
        orders = scopes.orders_in(orders, scope)
    shipments = (
        Shipment.objects.filter(order__in=orders)
        .exclude(status=ShipmentStatus.CANCELLED)
        .select_related("order")
        .prefetch_related("lines__sku")
        .order_by("order__external_id", "created_at", "id")
    )
    if kind == "packing_slips":
        return [_slip(s) for s in shipments]
    lists = PickList.objects.filter(tasks__shipment__in=shipments).distinct().order_by("id")
    return [_pick_list(p) for p in lists.prefetch_related("tasks__sku")]


def _slip(s: Shipment) -> Sheet:
    return Sheet(
        title=f"Order {s.order.external_id}",
        code=s.id,
        barcode=code128_data_url(s.id),
        subtitle=f"{s.order.channel} · parcel from {s.warehouse_id}",
        address=dict(s.order.shipping_address),
        rows=[(line.sku_id, line.sku.name, str(line.quantity)) for line in s.lines.all()],
    )


def _pick_list(p: PickList) -> Sheet:
    tasks = sorted(p.tasks.all(), key=lambda t: t.seq)
    return Sheet(
        title=f"Pick list {p.id}",
        code=p.id,
        barcode=code128_data_url(p.id),
        subtitle=f"{p.warehouse_id} · {len(tasks)} picks · walk {p.length_m:.0f} m",
        rows=[(str(t.seq), t.location, t.sku_id, t.sku.name, str(t.quantity)) for t in tasks],
    )
