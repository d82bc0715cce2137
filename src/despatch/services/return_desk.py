"""The returns desk: receive an RMA by scanning it, grade each unit and dispose of it through
the stock ledger (``inventory.book_return``), and the quality check of quarantined units.
Configuration: ``DESPATCH_RETURN_DISPOSITIONS`` and ``DESPATCH_QC_HOURS``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.domain.returns import (
    HELD,
    Disposition,
    Grade,
    ReturnStatus,
    Tally,
    disposition_for,
    read_grade,
    rma_key,
    tally,
)
from despatch.models import (
    ReturnLine,
    ReturnRequest,
)
from despatch.services import exceptions, inventory, outbox
from despatch.services.audit import Trail


def disposition_policy() -> dict[str, str]:
    """``DESPATCH_RETURN_DISPOSITIONS``, checked when the configuration was read."""
    return configuration().dispositions()


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
        rma = _lock_requested(rma_id)
        lines = {li.sku: li for li in rma.lines.all()}
        plan = _read_grades(grades, dispositions or {}, lines, policy)
        trail = Trail(actor)
        qc_due = trail.at + timedelta(hours=configuration().qc_hours)
        for sku, units in plan.items():
            _count_line(lines[sku], tally(units), qc_due)
            _book(sku, rma, units, trail)
        rma.status = ReturnStatus.RECEIVED.value
        rma.received_at, rma.received_by = trail.at, actor
        rma.save(update_fields=["status", "received_at", "received_by"])
        _record_received(rma, [lines[sku] for sku in plan], trail)
    return rma


def _lock_requested(rma_id: str) -> ReturnRequest:
    """The return, locked; one that was received already is refused."""
    rma = ReturnRequest.objects.select_for_update().filter(id=rma_key(rma_id)).first()
    if rma is None:
        raise NotFound("return", rma_id)
    if rma.status != ReturnStatus.REQUESTED:
        raise Conflict(f"return {rma.id} is {rma.status}: it was received already")
    return rma


def _count_line(line: ReturnLine, counted: Tally, qc_due: datetime) -> None:
    """The line's counts saved; held units are due a quality check by ``qc_due``."""
    line.received = counted.received
    line.grades = counted.grades
    line.dispositions = counted.dispositions
    line.held = counted.held
    line.qc_due_at = qc_due if line.held else None
    line.save(update_fields=["received", "grades", "dispositions", "held", "qc_due_at"])


def _record_received(rma: ReturnRequest, lines: Sequence[ReturnLine], trail: Trail) -> None:
    """The receipt in the audit trail and a ``return.received`` event with each line's counts."""
    trail.add(
        "return",
        rma.id,
        "return_received",
        order_id=rma.order_id,
        lines={li.sku: {"grades": li.grades, "dispositions": li.dispositions} for li in lines},
    )
    trail.save()
    counted = [
        {
            "sku": li.sku,
            "received": li.received,
            "grades": li.grades,
            "dispositions": li.dispositions,
        }
        for li in lines
    ]
    outbox.save(
        [
            outbox.emit(
                Topic.RETURN_RECEIVED,
                rma.id,
                trail.at,
                order_id=rma.order_id,
                return_id=rma.id,
                rma={"id": rma.id, "lines": counted},
            )
        ]
    )


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
    inventory.book_return(
        sku,
        rma.warehouse_id,
        units=total,
        held=sum(n for d, n in counts.items() if d in HELD),
        scrapped=counts.get(Disposition.SCRAP, 0),
        note=", ".join(f"{n} {d.value}" for d, n in sorted(counts.items())),
        trail=trail,
        reference=rma.id,
    )
    restocked = counts.get(Disposition.RESTOCK, 0)
    if restocked:
        _sellable_again(sku, rma.warehouse_id, restocked, trail)


def _sellable_again(sku: str, warehouse: str, units: int, trail: Trail) -> None:
    """Units back in sellable stock: waiting orders and channel listings hear of it."""
    outbox.save(
        [
            outbox.emit(
                Topic.STOCK_RECEIVED, sku, trail.at, sku=sku, warehouse=warehouse, quantity=units
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
        if to == Disposition.RESTOCK:
            inventory.release_quarantine(sku, warehouse, units)
            _sellable_again(sku, warehouse, units, trail)
        else:
            inventory.scrap_quarantined(
                sku, warehouse, units, trail=trail, reference=line.rma_id, note=note
            )
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
