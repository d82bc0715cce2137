"""Returns (RMA): requests from the API, the customer page and support; labels; receiving by
scanning the RMA barcode, grading each unit and disposing of it through the stock ledger.

Disposition (the goods) never waits for the refund (the money): see ``services/refunds.py``.
Configuration: ``DESPATCH_RETURN_WINDOW_DAYS`` (30; a channel's ``return_window_days`` wins),
``DESPATCH_RETURN_DISPOSITIONS`` (JSON, e.g. ``{"B": "refurbish"}``), ``DESPATCH_QC_HOURS``
(72: how long a quarantined unit may wait for its quality check).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain import limits
from despatch.domain.addresses import Address
from despatch.domain.channel_settings import ChannelSettings
from despatch.domain.errors import NotFound
from despatch.domain.events import Topic
from despatch.domain.ids import new_id
from despatch.domain.permissions import Scope
from despatch.domain.returns import (
    Returnable,
    ReturnStatus,
    check_request,
    rma_key,
)
from despatch.domain.shipments import ShipmentStatus
from despatch.integrations import paperwork
from despatch.models import (
    Channel,
    Order,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    ShipmentLine,
    Sku,
    Warehouse,
)
from despatch.services import outbox, scopes
from despatch.services.audit import Trail

OUT = (ShipmentStatus.DESPATCHED, ShipmentStatus.DELIVERED)


def window_days(order: Order) -> int:
    settings = Channel.objects.filter(code=order.channel).values_list("settings", flat=True).first()
    days = ChannelSettings.read(settings).return_window_days
    return days if days is not None else configuration().return_window_days


def returnables(order: Order) -> list[Returnable]:
    shipped = dict(
        ShipmentLine.objects.filter(shipment__order=order, shipment__status__in=OUT)
        .values("line_id")
        .annotate(n=Sum("quantity"))
        .values_list("line_id", "n")
    )
    returned = dict(
        ReturnLine.objects.filter(rma__order=order)
        .exclude(rma__status=ReturnStatus.CANCELLED)
        .values("line_id")
        .annotate(n=Sum("quantity"))
        .values_list("line_id", "n")
    )
    flags = dict(
        Sku.objects.filter(code__in=[li.sku for li in order.lines.all()]).values_list(
            "code", "flags"
        )
    )
    return [
        Returnable(
            line.line_no,
            line.sku,
            shipped.get(line.id, 0),
            returned.get(line.id, 0),
            "non_returnable" in (flags.get(line.sku) or []),
        )
        for line in order.lines.all()
    ]


def returnables_of(order_id: str) -> list[Returnable]:
    order = Order.objects.prefetch_related("lines").filter(id=order_id).first()
    return returnables(order) if order else []


def order_summary(order_id: str) -> dict[str, Any]:
    """What the customer page shows of an order (no address, no payment)."""
    order = Order.objects.prefetch_related("lines").get(id=order_id)
    names = dict(
        Sku.objects.filter(code__in=[li.sku for li in order.lines.all()]).values_list(
            "code", "name"
        )
    )
    return {
        "external_id": order.external_id,
        "status": order.status,
        "despatched_at": order.despatched_at,
        "names": names,
    }


def request_return(
    order_id: str,
    lines: Mapping[int, tuple[int, str]],
    *,
    actor: str,
    source: str = "support",
    note: str = "",
    today: Any = None,
) -> ReturnRequest:
    """Open an RMA for ``{line_no: (units, reason)}`` if the order may still be returned."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(id=order_id).first()
        if order is None:
            raise NotFound("order", order_id)
        first_out = order.shipments.filter(status__in=OUT).order_by("updated_at").first()
        shipped_on = order.despatched_at.date() if order.despatched_at else None
        check_request(
            lines,
            returnables(order),
            shipped_on=shipped_on,
            today=today or timezone.localdate(),
            window_days=window_days(order),
        )
        warehouse = configuration().returns_warehouse or (
            first_out.warehouse_id if first_out else ""
        )
        now = timezone.now()
        rma = ReturnRequest.objects.create(
            id=new_id("return"),
            order=order,
            warehouse_id=warehouse,
            status=ReturnStatus.REQUESTED.value,
            source=source,
            requested_by=actor,
            note=note[:2000],
            created_at=now,
        )
        by_no = {line.line_no: line for line in order.lines.all()}
        ReturnLine.objects.bulk_create(
            ReturnLine(rma=rma, line=by_no[no], sku=by_no[no].sku, quantity=qty, reason=reason)
            for no, (qty, reason) in sorted(lines.items())
        )
        trail = Trail(actor, at=now)
        trail.add(
            "return",
            rma.id,
            "return_requested",
            order_id=order.id,
            reason_code=source,
            lines={str(k): {"quantity": q, "reason": r} for k, (q, r) in lines.items()},
        )
        trail.save()
        outbox.save(
            [outbox.emit(Topic.RETURN_REQUESTED, rma.id, now, order_id=order.id, return_id=rma.id)]
        )
    return rma


def _postcode(value: str) -> str:
    return "".join(value.split()).upper()


def find_for_customer(order_ref: str, proof: str) -> Order:
    """The customer's own order: its number and the email or postcode it was sent with.
    Any mismatch gives the same answer, so the page tells no one whether an order exists."""
    proof = proof.strip()
    ref = order_ref.strip().lstrip("#")
    for order in Order.objects.filter(external_id__in=[ref, f"#{ref}"])[:5]:
        email_ok = proof and order.customer_email and proof.lower() == order.customer_email.lower()
        postcode = str(order.shipping_address.get("postcode", ""))
        postcode_ok = proof and postcode and _postcode(proof) == _postcode(postcode)
        if email_ok or postcode_ok:
            return order
    raise NotFound("order", f"{order_ref} with that email or postcode")


def get_return(rma_id: str) -> ReturnRequest:
    rma = (
        ReturnRequest.objects.select_related("order")
        .prefetch_related("lines")
        .filter(id=rma_key(rma_id))
        .first()
    )
    if rma is None:
        raise NotFound("return", rma_id)
    return rma


def list_returns(
    *, status: str = "", order_id: str = "", limit: int = 200, scope: Scope | None = None
) -> list[ReturnRequest]:
    rows = scopes.by_order(ReturnRequest.objects.all(), scope)
    rows = rows.select_related("order").prefetch_related("lines")
    if status:
        rows = rows.filter(status=status)
    if order_id:
        rows = rows.filter(order_id=order_id)
    return list(rows[:limit])


def label_pdf(rma_id: str) -> bytes:
    rma = get_return(rma_id)
    warehouse = Warehouse.objects.get(code=rma.warehouse_id)
    to = warehouse.address or {}
    to_lines = [
        str(to.get(k)) for k in ("line1", "line2", "city", "postcode", "country") if to.get(k)
    ]
    names = dict(
        Sku.objects.filter(code__in=[li.sku for li in rma.lines.all()]).values_list("code", "name")
    )
    return paperwork.return_label_pdf(
        rma.id,
        rma.order.external_id,
        Address.from_dict(rma.order.shipping_address),
        str(to.get("name") or warehouse.name),
        to_lines or [warehouse.name],
        [paperwork.SlipLine(li.sku, names.get(li.sku, ""), li.quantity) for li in rma.lines.all()],
    )


def reason_report(*, since: datetime | None = None) -> list[dict[str, Any]]:
    """Returned units by SKU, channel and reason: what to fix in the listing or the product."""
    rows = ReturnLine.objects.exclude(rma__status=ReturnStatus.CANCELLED)
    if since:
        rows = rows.filter(rma__created_at__gte=limits.in_utc(since, "since"))
    grouped = (
        rows.values("sku", "rma__order__channel", "reason")
        .annotate(returned=Sum("quantity"))
        .order_by("-returned", "sku")
    )
    sold = {
        (r["sku"], r["order__channel"]): r["units"]
        for r in OrderLine.objects.filter(order__despatched_at__isnull=False)
        .values("sku", "order__channel")
        .annotate(units=Sum("quantity"))
    }
    return [
        {
            "sku": r["sku"],
            "channel": r["rma__order__channel"],
            "reason": r["reason"],
            "units": r["returned"],
            "sold": sold.get((r["sku"], r["rma__order__channel"]), 0),
        }
        for r in grouped
    ]


# the returns desk: receiving, grading, the quality check (kept importable from here)
from despatch.services.return_desk import (  # noqa: E402
    disposition_policy,
    flag_qc_due,
    receive,
    release_held,
)

__all__ = ["disposition_policy", "flag_qc_due", "receive", "release_held"]
