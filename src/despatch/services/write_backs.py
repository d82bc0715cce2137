"""Fulfilment write-back: each despatched shipment is told to its channel, line by line.

Runs from the ``shipment.despatched`` outbox handler with no transaction open (the call waits
on another server): read the shipment, call the platform, then record its answer in a short
transaction (ARCHITECTURE.md §9 rule 4). Idempotent: a shipment already told is not told
again, and each adapter first looks for what an earlier attempt made (the worker died after
the call, before recording it), so a retry never posts twice. A platform that does not answer
(5xx, a timeout) raises :class:`Unavailable` so the outbox tries again with backoff; a refusal
(4xx), or the last attempt failing, opens a ``channel_write_back`` case in the channels queue
naming the shipment and the platform's answer. The platform's ID is kept on the shipment.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from despatch.domain.errors import DomainError, NotFound, Unavailable
from despatch.domain.events import backoff_after
from despatch.domain.exceptions import AUTO, Kind
from despatch.domain.shipments import ShipmentStatus
from despatch.integrations.channels import adapter_for
from despatch.integrations.channels.confirmations import ShipmentNotice, ShippedLine
from despatch.models import Channel, ExceptionCase, Order, Shipment
from despatch.services import exceptions
from despatch.services.audit import Trail
from despatch.services.catalogue import connection

log = logging.getLogger("despatch.write_backs")
OUT = [ShipmentStatus.DESPATCHED, ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED]


def confirm_shipment(shipment_id: str, attempt: int = 1) -> str:
    """Tell the order's channel that ``shipment_id`` has left; returns what happened."""
    shipment = Shipment.objects.select_related("order").filter(id=shipment_id).first()
    if shipment is None:
        raise NotFound("shipment", shipment_id)
    if shipment.channel_notified_at:
        return "already_told"
    order = shipment.order
    if order.replaces:  # an exchange's replacement: Despatch's own order, not the platform's
        return "replacement_order"
    channel = Channel.objects.filter(code=order.channel).first()
    adapter = adapter_for(channel.type) if channel else None
    if channel is None or adapter is None or not channel.api_url:
        return "channel_takes_no_fulfilments"
    if not hasattr(adapter, "confirm_shipment"):
        return "channel_takes_no_fulfilments"
    try:
        answer = adapter.confirm_shipment(connection(channel), notice_for(order, shipment))
    except DomainError as exc:
        refused = not isinstance(exc, Unavailable) or bool(exc.data.get("status"))
        if refused or backoff_after(attempt) is None:
            _failed(shipment, channel.code, exc, attempt)
        if refused:
            return "refused"
        raise
    _told(shipment, channel.code, answer.outcome, answer.reference)
    return str(answer.outcome)


def notice_for(order: Order, shipment: Shipment) -> ShipmentNotice:
    """The shipment as the platform is told of it: the platform's line IDs and the units."""
    siblings = list(order.shipments.order_by("created_at", "id").values_list("id", "status"))
    told = order.shipments.exclude(id=shipment.id).values_list("channel_reference", flat=True)
    lines = shipment.lines.select_related("line").filter(quantity__gt=0).order_by("id")
    waiting = any(status not in OUT for sid, status in siblings if sid != shipment.id)
    return ShipmentNotice(
        external_id=order.external_id,
        shipment_id=shipment.id,
        package_number=[sid for sid, _ in siblings].index(shipment.id) + 1,
        carrier=shipment.carrier,
        service=shipment.service,
        tracking_number=shipment.tracking_number,
        shipped_at=shipment.updated_at,
        lines=tuple(ShippedLine(sl.line.external_line_id, sl.sku_id, sl.quantity) for sl in lines),
        order_complete=not waiting and not order.lines.filter(backordered__gt=0).exists(),
        refs={str(k): str(v) for k, v in (order.channel_refs or {}).items()},
        told=tuple(ref for refs in told for ref in refs.split(",") if ref),
    )


def _told(shipment: Shipment, channel: str, outcome: str, reference: str) -> None:
    with transaction.atomic():
        told = Shipment.objects.filter(id=shipment.id, channel_notified_at__isnull=True).update(
            channel_notified_at=timezone.now(),
            channel_outcome=outcome[:32],
            channel_reference=reference[:128],
            channel_error="",
        )
        if not told:
            return
        trail = Trail(f"channel:{channel}")
        trail.add(
            "shipment",
            shipment.id,
            "channel_notified",
            order_id=shipment.order_id,
            reason_code=outcome,
            reference=reference,
            tracking_number=shipment.tracking_number,
        )
        exceptions.close(_cases(shipment.id), trail, AUTO, note=f"told: {outcome} {reference}")
        trail.save()


def _failed(shipment: Shipment, channel: str, exc: DomainError, attempt: int) -> None:
    detail = getattr(exc, "detail", str(exc))
    log.warning("channel %s was not told of shipment %s: %s", channel, shipment.id, detail)
    with transaction.atomic():
        Shipment.objects.filter(id=shipment.id).update(
            channel_outcome="failed", channel_error=detail[:2000]
        )
        trail = Trail(f"channel:{channel}")
        exceptions.open_case(
            Kind.CHANNEL_WRITE_BACK,
            subject=_subject(shipment.id),
            summary=f"{channel} was not told that shipment {shipment.id} left: {detail}",
            trail=trail,
            order_id=shipment.order_id,
            shipment_id=shipment.id,
            detail=[{"channel": channel, "attempt": attempt, "error": detail}],
        )
        trail.add(
            "shipment",
            shipment.id,
            "channel_not_told",
            order_id=shipment.order_id,
            reason_code="write_back_failed",
            error=detail,
            attempt=attempt,
        )
        trail.save()


def _subject(shipment_id: str) -> str:
    return f"shipment:{shipment_id}"


def _cases(shipment_id: str) -> QuerySet[ExceptionCase]:
    return ExceptionCase.objects.filter(
        kind=Kind.CHANNEL_WRITE_BACK.value, subject=_subject(shipment_id)
    )


def tell_again(shipment_id: str, *, actor: str) -> str:
    """A person asks for the write-back of a despatched shipment again (after fixing what the
    platform refused); returns what happened."""
    shipment = Shipment.objects.filter(id=shipment_id).first()
    if shipment is None:
        raise NotFound("shipment", shipment_id)
    with transaction.atomic():
        Shipment.objects.filter(id=shipment_id, channel_outcome="failed").update(channel_outcome="")
        trail = Trail(actor)
        trail.add(
            "shipment",
            shipment_id,
            "channel_write_back_requested",
            order_id=shipment.order_id,
            reason_code="manual",
        )
        trail.save()
    return confirm_shipment(shipment_id)
