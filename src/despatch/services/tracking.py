"""Carrier tracking: events in (signed webhooks, CSV files), shipments and orders move on.

An event names a shipment by its tracking number. It is stored once (a repeat of the same
status at the same time changes nothing); ``delivered`` delivers a despatched shipment (the
order follows); warnings (attempted delivery, delayed, exception, returned to sender) are
audited and written as ``shipment.tracking_warning`` events for a person and for customer
notifications.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain import tracking_numbers
from despatch.domain.calendars import day_text
from despatch.domain.errors import FieldError, NotFound, Unauthorized, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.domain.shipments import ShipmentStatus
from despatch.domain.signatures import hex_hmac_matches, secret_variable
from despatch.domain.tracking import WARNINGS, TrackingStatus, normalise
from despatch.integrations.regions import country_codes
from despatch.models import OutboxEvent, Shipment, TrackingEvent
from despatch.services import exceptions, fulfillment, outbox
from despatch.services.audit import Trail

SIGNATURE_HEADER = "x-despatch-signature"


def secret_for(carrier: str) -> str:
    name = secret_variable("DESPATCH_TRACKING_SECRET", carrier)
    return configuration().sender_secret(name) or configuration().tracking_secret


def verify(carrier: str, body: bytes, signature: str) -> None:
    """Hex HMAC-SHA256 of the raw body with the carrier's secret."""
    secret = secret_for(carrier)
    if not secret:
        raise Unauthorized(
            f"no tracking secret is configured for {carrier}: set DESPATCH_TRACKING_SECRET"
            f" or {secret_variable('DESPATCH_TRACKING_SECRET', carrier)}"
        )
    if not hex_hmac_matches(secret, body, signature):
        raise Unauthorized(f"the signature does not match {carrier}'s tracking secret")


def check_number(number: str, carrier: str = "") -> tracking_numbers.TrackingCheck:
    """The scheme of a tracking number and whether it is right (S10 countries looked up)."""
    return tracking_numbers.check(number, carrier, country_codes())


def number_problem(number: str, carrier: str, where: str) -> FieldError | None:
    """Why an incoming number cannot be right (see ``tracking_numbers.refused``)."""
    found = tracking_numbers.refused(number, carrier, country_codes())
    if found is None:
        return None
    return FieldError(where, f"{found.number or number!r}: {found.reason}", "invalid_tracking")


def find_shipment(number: str) -> Shipment | None:
    """The shipment of a tracking number, written any way (spaces, hyphens, lower case)."""
    forms = {number.strip().upper(), tracking_numbers.normalise(number)}
    return Shipment.objects.filter(tracking_number__in=forms).first()


@dataclass(frozen=True)
class Recorded:
    shipment_id: str
    status: TrackingStatus
    new: bool


def record(
    carrier: str,
    tracking_number: str,
    status: str,
    occurred_at: datetime,
    *,
    location: str = "",
    source: str = "webhook",
) -> Recorded:
    """One carrier event: stored once, audited, a warning opens a case (delivery closes it),
    and a delivered, despatched shipment is delivered after the event's transaction."""
    code = normalise(status)
    shipment = _shipment_of(tracking_number, carrier)
    try:
        with transaction.atomic():
            TrackingEvent.objects.create(
                shipment=shipment,
                status=code.value,
                carrier_code=status[:64],
                occurred_at=occurred_at,
                location=location[:200],
                source=source,
                received_at=timezone.now(),
            )
            trail = Trail(f"carrier:{carrier}")
            _note(trail, shipment, carrier, code, status, location, occurred_at)
            trail.save()
            if events := _events(shipment, code, location, trail.at):
                outbox.save(events)
    except IntegrityError:
        return Recorded(shipment.id, code, False)
    if code == TrackingStatus.DELIVERED and shipment.status == ShipmentStatus.DESPATCHED:
        fulfillment.deliver(shipment.id, actor=f"carrier:{carrier}")
    return Recorded(shipment.id, code, True)


def _shipment_of(tracking_number: str, carrier: str) -> Shipment:
    """The shipment of a number; a number that cannot be right is named as wrong, not missing."""
    shipment = find_shipment(tracking_number)
    if shipment is None:
        problem = number_problem(tracking_number, carrier, "tracking_number")
        if problem:
            raise ValidationFailed([problem])
        raise NotFound("tracking number", tracking_number)
    return shipment


def _note(
    trail: Trail,
    shipment: Shipment,
    carrier: str,
    code: TrackingStatus,
    status: str,
    location: str,
    occurred_at: datetime,
) -> None:
    """The event in the audit trail; a warning opens a delivery-warning case, delivery closes it."""
    subject = f"shipment:{shipment.id}"
    trail.add(
        "shipment",
        shipment.id,
        f"tracking_{code.value}",
        order_id=shipment.order_id,
        reason_code=status[:64],
        location=location,
        occurred_at=occurred_at.isoformat(),
    )
    if code in WARNINGS:
        exceptions.open_case(
            Kind.DELIVERY_WARNING,
            subject=subject,
            summary=f"{shipment.carrier or carrier} reports {code.value.replace('_', ' ')}"
            + (f" at {location}" if location else ""),
            trail=trail,
            order_id=shipment.order_id,
            shipment_id=shipment.id,
            detail={"status": code.value, "carrier_code": status, "location": location},
        )
    if code == TrackingStatus.DELIVERED:
        exceptions.close_subject(Kind.DELIVERY_WARNING, subject, trail, "delivered")


def _events(
    shipment: Shipment, code: TrackingStatus, location: str, at: datetime
) -> list[OutboxEvent]:
    """``shipment.out_for_delivery`` or ``shipment.tracking_warning``, or none."""
    ids = {"order_id": shipment.order_id, "shipment_id": shipment.id}
    if code == TrackingStatus.OUT_FOR_DELIVERY:
        return [outbox.emit(Topic.SHIPMENT_OUT_FOR_DELIVERY, shipment.id, at, **ids)]
    if code in WARNINGS:
        return [
            outbox.emit(
                Topic.SHIPMENT_TRACKING_WARNING,
                shipment.id,
                at,
                **ids,
                status=code.value,
                location=location,
            )
        ]
    return []


def warn_late(today: date | None = None, *, limit: int = 500) -> list[str]:
    """Despatched shipments past their order's promised date: each gets a delivery-warning
    case and a ``shipment.late`` event (the customer hears), once. Returns their IDs."""
    today = today or timezone.localdate()
    late = Shipment.objects.filter(
        status=ShipmentStatus.DESPATCHED,
        late_warned_at__isnull=True,
        order__promise_date__lt=today,
    ).select_related("order")[:limit]
    warned = []
    for shipment in late:
        with transaction.atomic():
            if not Shipment.objects.filter(id=shipment.id, late_warned_at__isnull=True).update(
                late_warned_at=timezone.now()
            ):
                continue  # another worker got there first
            promised = shipment.order.promise_date
            by = day_text(promised) if promised else "date"
            trail = Trail("system:tracking")
            trail.add(
                "shipment",
                shipment.id,
                "late",
                order_id=shipment.order_id,
                reason_code="past_promise_date",
                promise_date=str(promised),
            )
            exceptions.open_case(
                Kind.DELIVERY_WARNING,
                subject=f"shipment:{shipment.id}",
                summary=f"not delivered by the promised {by}"
                + (f" ({shipment.carrier} {shipment.tracking_number})" if shipment.carrier else ""),
                trail=trail,
                order_id=shipment.order_id,
                shipment_id=shipment.id,
                detail={"status": "late", "promise_date": str(promised)},
            )
            trail.save()
            outbox.save(
                [
                    outbox.emit(
                        Topic.SHIPMENT_LATE,
                        shipment.id,
                        trail.at,
                        order_id=shipment.order_id,
                        shipment_id=shipment.id,
                        status="late",
                        promise_date=str(promised),
                    )
                ]
            )
        warned.append(shipment.id)
    return warned


def _when(value: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.single(where, f"{value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else timezone.make_aware(moment, timezone.get_default_timezone())


def record_payload(carrier: str, payload: object) -> list[Recorded]:
    """A webhook body: ``{"events": [{"tracking_number", "status", "occurred_at", "location"}]}``
    (or one such object). Every wrong entry is named; nothing is recorded until all are right."""
    events = payload.get("events", [payload]) if isinstance(payload, dict) else None
    if not isinstance(events, list) or not events:
        raise ValidationFailed.single("events", "expected a list of tracking events", "required")
    errors: list[FieldError] = []
    parsed = []
    for i, event in enumerate(events):
        where = f"events[{i}]"
        if not isinstance(event, dict):
            errors.append(FieldError(where, "expected an object"))
            continue
        status = str(event.get("status") or "")
        number = str(event.get("tracking_number") or "")
        if find_shipment(number) is None and (
            problem := number_problem(number, carrier, f"{where}.tracking_number")
        ):
            errors.append(problem)
        try:
            normalise(status, f"{where}.status")
        except ValidationFailed as exc:
            errors += exc.errors
        try:
            at = _when(str(event.get("occurred_at") or ""), f"{where}.occurred_at")
        except ValidationFailed as exc:
            errors += exc.errors
            continue
        parsed.append((number, status, at, str(event.get("location") or "")))
    if errors:
        raise ValidationFailed(errors)
    return [record(carrier, number, raw, at, location=place) for number, raw, at, place in parsed]


@dataclass(frozen=True)
class FileRow:
    row: int
    outcome: str  # recorded, duplicate, or the error


def import_csv(carrier: str, text: str) -> list[FileRow]:
    """``tracking_number,status,occurred_at[,location]``: each row recorded or its error given."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"tracking_number", "status", "occurred_at"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationFailed.single("header", f"missing column(s): {', '.join(sorted(missing))}")
    results = []
    for n, row in enumerate(reader, start=2):
        try:
            done = record(
                carrier,
                row["tracking_number"] or "",
                row["status"] or "",
                _when(row["occurred_at"] or "", f"row {n}.occurred_at"),
                location=row.get("location") or "",
                source="file",
            )
            results.append(FileRow(n, done.status.value if done.new else "duplicate"))
        except (ValidationFailed, NotFound) as exc:
            results.append(FileRow(n, f"error: {exc.detail}"))
    return results
