"""Returns (RMA): requests from the API, the customer page and support; labels; receiving by
scanning the RMA barcode, grading each unit and disposing of it through the stock ledger.

Disposition (the goods) never waits for the refund (the money): see ``services/refunds.py``.
Configuration: ``DESPATCH_RETURN_WINDOW_DAYS`` (30; a channel's ``return_window_days`` wins),
``DESPATCH_RETURN_DISPOSITIONS`` (JSON, e.g. ``{"B": "refurbish"}``), ``DESPATCH_QC_HOURS``
(72: how long a quarantined unit may wait for its quality check).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from despatch.domain import limits
from despatch.domain.addresses import Address
from despatch.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.domain.ids import new_id
from despatch.domain.inventory import MovementReason
from despatch.domain.permissions import Scope
from despatch.domain.returns import (
    HELD,
    Disposition,
    Grade,
    Returnable,
    ReturnStatus,
    check_request,
    disposition_for,
    read_grade,
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
    StockLevel,
    StockMovement,
    Warehouse,
)
from despatch.services import exceptions, inventory, outbox, scopes
from despatch.services.audit import Trail

OUT = (ShipmentStatus.DESPATCHED, ShipmentStatus.DELIVERED)


def window_days(order: Order) -> int:
    settings = Channel.objects.filter(code=order.channel).values_list("settings", flat=True).first()
    days = (settings or {}).get("return_window_days")
    return (
        int(days)
        if isinstance(days, int)
        else int(os.environ.get("DESPATCH_RETURN_WINDOW_DAYS", "30"))
    )


def disposition_policy() -> dict[str, str]:
    raw = os.environ.get("DESPATCH_RETURN_DISPOSITIONS", "")
    try:
        policy = json.loads(raw) if raw else {}
    except json.JSONDecodeError as exc:
        raise ValidationFailed.single("DESPATCH_RETURN_DISPOSITIONS", f"not JSON: {exc}") from None
    if not isinstance(policy, dict):
        raise ValidationFailed.single(
            "DESPATCH_RETURN_DISPOSITIONS", 'expected {"GRADE": "disposition"}'
        )
    bad = [
        k
        for k, v in policy.items()
        if k not in Grade.__members__ or v not in Disposition.__members__.values()
    ]
    if bad:
        raise ValidationFailed.single("DESPATCH_RETURN_DISPOSITIONS", f"wrong entries: {bad}")
    return dict(policy)


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
        warehouse = os.environ.get("DESPATCH_RETURNS_WAREHOUSE") or (
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


def rma_key(scanned: str) -> str:
    """An RMA number as scanned or typed (any case) to its stored form: ``rma_01…``."""
    raw = scanned.strip()
    prefix, _, rest = raw.partition("_")
    return f"{prefix.lower()}_{rest.upper()}" if rest else raw


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


def receive(
    rma_id: str,
    grades: Mapping[str, Sequence[str]],
    *,
    actor: str,
    dispositions: Mapping[str, Sequence[str]] | None = None,
) -> ReturnRequest:
    """The parcel is open on the desk: ``{sku: ["A", "D"]}`` grades each unit that came back;
    each goes where the policy (or ``dispositions``, unit by unit) says, through the ledger."""
    policy = disposition_policy()
    with transaction.atomic():
        rma = ReturnRequest.objects.select_for_update().filter(id=rma_key(rma_id)).first()
        if rma is None:
            raise NotFound("return", rma_id)
        if rma.status != ReturnStatus.REQUESTED:
            raise Conflict(f"return {rma.id} is {rma.status}: it was received already")
        lines = {li.sku: li for li in rma.lines.all()}
        plan = _read_grades(grades, dispositions or {}, lines, policy)
        trail = Trail(actor)
        qc_due = trail.at + timedelta(hours=int(os.environ.get("DESPATCH_QC_HOURS", "72")))
        for sku, units in plan.items():
            line = lines[sku]
            line.received = len(units)
            line.grades = dict(Counter(g.value for g, _ in units))
            line.dispositions = dict(Counter(d.value for _, d in units))
            line.held = sum(1 for _, d in units if d in HELD)
            line.qc_due_at = qc_due if line.held else None
            line.save(update_fields=["received", "grades", "dispositions", "held", "qc_due_at"])
            _book(sku, rma, units, trail)
        rma.status = ReturnStatus.RECEIVED.value
        rma.received_at, rma.received_by = trail.at, actor
        rma.save(update_fields=["status", "received_at", "received_by"])
        trail.add(
            "return",
            rma.id,
            "return_received",
            order_id=rma.order_id,
            lines={
                s: {"grades": lines[s].grades, "dispositions": lines[s].dispositions} for s in plan
            },
        )
        trail.save()
        outbox.save(
            [
                outbox.emit(
                    Topic.RETURN_RECEIVED,
                    rma.id,
                    trail.at,
                    order_id=rma.order_id,
                    return_id=rma.id,
                    rma={
                        "id": rma.id,
                        "lines": [
                            {
                                "sku": s,
                                "received": lines[s].received,
                                "grades": lines[s].grades,
                                "dispositions": lines[s].dispositions,
                            }
                            for s in plan
                        ],
                    },
                )
            ]
        )
    return rma


def _read_grades(
    grades: Mapping[str, Sequence[str]],
    chosen: Mapping[str, Sequence[str]],
    lines: Mapping[str, ReturnLine],
    policy: Mapping[str, str],
) -> dict[str, list[tuple[Grade, Disposition]]]:
    errors: list[FieldError] = []
    plan: dict[str, list[tuple[Grade, Disposition]]] = {}
    for sku, units in grades.items():
        line = lines.get(sku)
        if line is None:
            errors.append(
                FieldError(f"grades.{sku}", f"{sku} is not on this return", "unknown_sku")
            )
            continue
        if len(units) > line.quantity:
            errors.append(
                FieldError(
                    f"grades.{sku}", f"{len(units)} graded, {line.quantity} expected", "quantity"
                )
            )
            continue
        picked = list(chosen.get(sku) or [])
        plan[sku] = []
        for i, raw in enumerate(units):
            try:
                grade = read_grade(str(raw), f"grades.{sku}[{i}]")
            except ValidationFailed as exc:
                errors += exc.errors
                continue
            override = picked[i] if i < len(picked) and picked[i] else ""
            if override and override not in Disposition.__members__.values():
                errors.append(
                    FieldError(
                        f"dispositions.{sku}[{i}]",
                        f"{override!r} is not a disposition",
                        "disposition",
                    )
                )
                continue
            plan[sku].append(
                (grade, Disposition(override) if override else disposition_for(grade, policy))
            )
    if not grades:
        errors.append(FieldError("grades", "grade at least one unit", "required"))
    if errors:
        raise ValidationFailed(errors)
    return plan


def _book(
    sku: str, rma: ReturnRequest, units: Sequence[tuple[Grade, Disposition]], trail: Trail
) -> None:
    """Every unit back on the books (a return movement); held ones are quarantined (not
    sellable); scrapped ones are written off again at once, so the ledger shows both."""
    if not units:
        return
    counts = Counter(d for _, d in units)
    total = len(units)
    StockLevel.objects.get_or_create(sku_id=sku, warehouse_id=rma.warehouse_id)
    held = sum(n for d, n in counts.items() if d in HELD)
    scrapped = counts.get(Disposition.SCRAP, 0)
    StockLevel.objects.filter(sku_id=sku, warehouse_id=rma.warehouse_id).update(
        on_hand=F("on_hand") + total - scrapped, quarantined=F("quarantined") + held
    )
    movements = [
        inventory.new_movement(
            sku,
            rma.warehouse_id,
            total,
            MovementReason.RETURN,
            trail.actor,
            rma.id,
            ", ".join(f"{n} {d.value}" for d, n in sorted(counts.items())),
            trail.at,
        )
    ]
    if scrapped:
        movements.append(
            inventory.new_movement(
                sku,
                rma.warehouse_id,
                -scrapped,
                MovementReason.SCRAP,
                trail.actor,
                rma.id,
                "graded for scrap",
                trail.at,
            )
        )
    StockMovement.objects.bulk_create(movements)
    restocked = counts.get(Disposition.RESTOCK, 0)
    if restocked:  # sellable again: waiting orders and channel listings hear of it
        outbox.save(
            [
                outbox.emit(
                    Topic.STOCK_RECEIVED,
                    sku,
                    trail.at,
                    sku=sku,
                    warehouse=rma.warehouse_id,
                    quantity=restocked,
                )
            ]
        )


def release_held(
    rma_id: str, sku: str, *, units: int, to: str, actor: str, note: str = ""
) -> ReturnLine:
    """The quality check decided: held units go to sellable stock (``restock``) or are
    written off (``scrap``)."""
    if to not in (Disposition.RESTOCK, Disposition.SCRAP):
        raise ValidationFailed.single("to", "a held unit is restocked or scrapped", "disposition")
    with transaction.atomic():
        line = (
            ReturnLine.objects.select_for_update()
            .select_related("rma")
            .filter(rma_id=rma_id, sku=sku)
            .first()
        )
        if line is None:
            raise NotFound("return line", f"{rma_id}/{sku}")
        if not 1 <= units <= line.held:
            raise ValidationFailed.single(
                "units", f"{line.held} unit(s) of {sku} are held", "quantity"
            )
        warehouse = line.rma.warehouse_id
        trail = Trail(actor)
        level = StockLevel.objects.filter(sku_id=sku, warehouse_id=warehouse)
        if to == Disposition.RESTOCK:
            level.update(quarantined=F("quarantined") - units)
            outbox.save(
                [
                    outbox.emit(
                        Topic.STOCK_RECEIVED,
                        sku,
                        trail.at,
                        sku=sku,
                        warehouse=warehouse,
                        quantity=units,
                    )
                ]
            )
        else:
            level.update(quarantined=F("quarantined") - units, on_hand=F("on_hand") - units)
            inventory.new_movement(
                sku,
                warehouse,
                -units,
                MovementReason.SCRAP,
                actor,
                line.rma_id,
                note or "failed its check",
                trail.at,
            ).save()
        line.held -= units
        line.dispositions = {
            **line.dispositions,
            f"qc_{to}": line.dispositions.get(f"qc_{to}", 0) + units,
        }
        line.qc_due_at = line.qc_due_at if line.held else None
        line.save(update_fields=["held", "dispositions", "qc_due_at"])
        trail.add(
            "return",
            line.rma_id,
            f"qc_{to}",
            order_id=line.rma.order_id,
            sku=sku,
            units=units,
            note=note,
        )
        if not line.held:
            exceptions.close_subject(Kind.QC_DUE, f"return_line:{line.id}", trail, "checked")
        trail.save()
    return line


def flag_qc_due(now: datetime | None = None) -> int:
    """Quarantined units past their quality-check time open a case for the warehouse."""
    now = now or timezone.now()
    due = ReturnLine.objects.filter(held__gt=0, qc_due_at__lt=now).select_related("rma")[:200]
    opened = 0
    for line in due:
        with transaction.atomic():
            trail = Trail("system:returns", at=now)
            exceptions.open_case(
                Kind.QC_DUE,
                subject=f"return_line:{line.id}",
                summary=f"{line.held} x {line.sku} from {line.rma_id} waiting for a quality check",
                trail=trail,
                order_id=line.rma.order_id,
                detail={"return_id": line.rma_id, "sku": line.sku, "held": line.held},
            )
            trail.save()
            opened += 1
    return opened


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
