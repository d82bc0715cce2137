"""Shipment use cases: pick, pack, despatch, deliver. The order follows its shipments."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from despatch.domain import tracking_numbers
from despatch.domain.errors import Conflict, NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.inventory import MovementReason, ReservationStatus
from despatch.domain.orders import OrderStatus, event_towards, status_from_shipments
from despatch.domain.shipments import ShipmentStatus, advance_shipment
from despatch.integrations.regions import country_codes
from despatch.models import Order, PickTask, Reservation, Shipment
from despatch.services import inventory, outbox
from despatch.services.audit import Trail
from despatch.services.orders import lock_order, set_status


def lock_shipment(shipment_id: str) -> tuple[Order, Shipment]:
    order_id = Shipment.objects.filter(id=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound("shipment", shipment_id)
    order = lock_order(order_id)  # the order's lock guards all of its shipments
    return order, Shipment.objects.get(id=shipment_id)


def _step(shipment_id: str, target: ShipmentStatus, actor: str, **detail: str) -> Shipment:
    with transaction.atomic():
        order, shipment = lock_shipment(shipment_id)
        trail = Trail(actor)
        before = shipment.status
        shipment.status = advance_shipment(ShipmentStatus(shipment.status), target)
        shipment.updated_at = trail.at
        for field, value in detail.items():
            setattr(shipment, field, value)
        shipment.save()
        trail.add(
            "shipment",
            shipment.id,
            target.value,
            order_id=order.id,
            before=before,
            after=shipment.status,
            warehouse=shipment.warehouse_id,
            **detail,
        )
        if target == ShipmentStatus.DESPATCHED:
            _consume_stock(shipment, actor, trail)
        follow(order, trail)
        trail.save()
    return shipment


def follow(order: Order, trail: Trail) -> None:
    """Move the order to the status its shipments now imply, through the table."""
    implied = status_from_shipments(
        (ShipmentStatus(s) for s in order.shipments.values_list("status", flat=True)),
        remainder=order.lines.filter(backordered__gt=0).exists(),  # it ships later
    )
    if implied == OrderStatus(order.status):
        return
    set_status(order, event_towards(OrderStatus(order.status), implied), trail)
    stamps = {OrderStatus.DESPATCHED: "despatched_at", OrderStatus.DELIVERED: "delivered_at"}
    fields = ["status", "updated_at"]
    if implied in stamps:
        setattr(order, stamps[implied], trail.at)
        fields.append(stamps[implied])
    order.save(update_fields=fields)


def _consume_stock(shipment: Shipment, actor: str, trail: Trail) -> None:
    """The goods have left: on-hand and reserved go down together, through the ledger."""
    lines = list(shipment.lines.all())
    inventory.take_out_reserved(
        [(sl.sku_id, shipment.warehouse_id, sl.quantity) for sl in lines],
        MovementReason.DESPATCH,
        trail,
        reference=shipment.id,
    )
    Reservation.objects.filter(id__in=[sl.reservation_id for sl in lines]).update(
        status=ReservationStatus.CONSUMED
    )
    outbox.save(
        [
            outbox.emit(
                Topic.SHIPMENT_DESPATCHED,
                shipment.id,
                trail.at,
                order_id=shipment.order_id,
                shipment_id=shipment.id,
                tracking_number=shipment.tracking_number,
            )
        ]
    )


def start_picking(shipment_id: str, *, actor: str) -> Shipment:
    return _step(shipment_id, ShipmentStatus.PICKING, actor)


def ready_to_pack(shipment_id: str) -> None:
    """Refuse, naming its status, a shipment that cannot be packed now: one not picked (or
    already past packing), or one with a pick task still open. Checked before anything else
    about packing it (the weight gate opens no case for a parcel that cannot be packed)."""
    status = Shipment.objects.filter(id=shipment_id).values_list("status", flat=True).first()
    if status is None:
        raise NotFound("shipment", shipment_id)
    advance_shipment(ShipmentStatus(status), ShipmentStatus.PACKED)
    _no_open_tasks(shipment_id)


def pack(shipment_id: str, *, actor: str) -> Shipment:
    """Packed once no pick task of the shipment is open (a short task's missing units were
    taken off the shipment when it was reported)."""
    _no_open_tasks(shipment_id)
    return _step(shipment_id, ShipmentStatus.PACKED, actor)


def _no_open_tasks(shipment_id: str) -> None:
    waiting = PickTask.objects.filter(shipment_id=shipment_id, status=PickTask.OPEN)
    if waiting.exists():
        states = sorted(set(waiting.values_list("status", flat=True)))
        raise Conflict(
            f"shipment {shipment_id} has pick tasks still {' or '.join(states)}",
            current="picking",
        )


def despatch(
    shipment_id: str, *, actor: str, carrier: str = "", tracking_number: str = ""
) -> Shipment:
    if len(tracking_number) > 64:
        raise ValidationFailed.single("tracking_number", "at most 64 characters")
    if tracking_number.strip():  # checked as every incoming number is
        wrong = tracking_numbers.refused(tracking_number, carrier, country_codes())
        if wrong is not None:
            message = f"{wrong.number!r}: {wrong.reason}"
            raise ValidationFailed.single("tracking_number", message, "invalid_tracking")
        if tracking_numbers.check(tracking_number, carrier).valid:
            tracking_number = tracking_numbers.normalise(tracking_number)
    given = {"carrier": carrier, "tracking_number": tracking_number}
    return _step(  # a label already bought keeps its carrier and number unless others are given
        shipment_id, ShipmentStatus.DESPATCHED, actor, **{k: v for k, v in given.items() if v}
    )


def deliver(shipment_id: str, *, actor: str) -> Shipment:
    shipment = _step(shipment_id, ShipmentStatus.DELIVERED, actor)
    outbox.save([outbox.emit(Topic.SHIPMENT_DELIVERED, shipment.id, order_id=shipment.order_id)])
    return shipment


def get_shipment(shipment_id: str) -> Shipment:
    shipment = Shipment.objects.prefetch_related("lines").filter(id=shipment_id).first()
    if shipment is None:
        raise NotFound("shipment", shipment_id)
    return shipment


def list_shipments(
    *, status: str = "", warehouse: str = "", order_id: str = ""
) -> QuerySet[Shipment]:
    rows = Shipment.objects.all()
    if status:
        rows = rows.filter(status=status)
    if warehouse:
        rows = rows.filter(warehouse_id=warehouse)
    if order_id:
        rows = rows.filter(order_id=order_id)
    return rows.order_by("created_at", "id")
