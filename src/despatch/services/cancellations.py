"""Cancellations at every stage, put-away of picked units, and intercept requests.

Before picking: reservations are released and the units offered to waiting orders.
Being picked or packed: the shipment stops, open pick tasks are cancelled, every picked unit
gets a put-away task back to its bin. After despatch: not a cancellation but an intercept
request to the carrier (or a return). Lines may be cancelled before picking; what remains is
planned again. The customer hears through the outbox, and so does the channel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from despatch.domain.cancellations import (
    CancelReason,
    NotCancellable,
    Stage,
    check_cancellable,
    read_line_cuts,
    read_reason,
    stage_of,
)
from despatch.domain.errors import Conflict, DomainError, NotFound
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.domain.ids import new_id
from despatch.domain.inventory import ReservationStatus
from despatch.domain.orders import OrderEvent, OrderStatus
from despatch.domain.shipments import ShipmentStatus
from despatch.models import Order, PickTask, PutAwayTask, ReturnRequest, Shipment, SkuLocation
from despatch.services import exceptions, inventory, outbox, returns, sourcing
from despatch.services.audit import Trail
from despatch.services.fulfillment import lock_shipment
from despatch.services.orders import lock_order, set_status

log = logging.getLogger(__name__)


def cancel_order(
    order_id: str, *, actor: str, reason: str = "customer_request", note: str = ""
) -> Order:
    """Cancel a whole order before despatch, whatever the warehouse has done so far."""
    code = read_reason(reason)
    with transaction.atomic():
        order = lock_order(order_id)
        stage = check_cancellable(OrderStatus(order.status), partial=False)
        trail = Trail(actor)
        set_status(order, OrderEvent.CANCEL, trail, code.value, note=note, stage=stage.value)
        inventory.release_reservations(order, trail)
        put_away = _stop_shipments(order, trail, code.value)
        order.cancelled_at = trail.at
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        exceptions.close_order_holds(order.id, trail, "cancel", code.value)
        trail.save()
        outbox.save(
            [
                outbox.emit(
                    Topic.ORDER_CANCELLED,
                    order.id,
                    trail.at,
                    order_id=order.id,
                    reason=code.value,
                    stage=stage.value,
                    put_away=put_away,
                )
            ]
        )
    return order


def cancel_for_channel(order_id: str, *, actor: str) -> str:
    """The platform cancelled the order: the merchant's decision, carried out at any stage.
    Before despatch the order is cancelled (picked units get put-away tasks); a parcel already
    packed or labelled also opens a case so a person takes it off the bench and voids the
    label. After despatch: an intercept case and a return expected back. Returns the outcome."""
    with transaction.atomic():
        order = lock_order(order_id)
        stage = stage_of(OrderStatus(order.status))
        if order.status == OrderStatus.FULFILLED_BY_CHANNEL:
            return _cancel_channel_fulfilled(order, actor)
        if stage == Stage.FINISHED:
            return "unchanged"
        if stage == Stage.AFTER_DESPATCH:
            return _intercept_and_expect(order, actor)
        on_bench = [
            s
            for s in order.shipments.exclude(status=ShipmentStatus.CANCELLED)
            if s.status == ShipmentStatus.PACKED or s.tracking_number
        ]
        cancel_order(order_id, actor=actor, reason=CancelReason.CHANNEL_CANCELLED.value)
        trail = Trail(actor)
        for shipment in on_bench:
            label = shipment.tracking_number
            exceptions.open_case(
                Kind.OFF_THE_BENCH,
                subject=f"shipment:{shipment.id}",
                summary=f"the channel cancelled order {order.external_id or order.id}: take "
                f"shipment {shipment.id} off the bench"
                + (f" and void label {label}" if label else ""),
                trail=trail,
                order_id=order.id,
                shipment_id=shipment.id,
                detail={"label_to_void": label, "carrier": shipment.carrier},
            )
        trail.save()
    return "cancelled"


def _cancel_channel_fulfilled(order: Order, actor: str) -> str:
    """An order the channel was to ship itself (Amazon AFN), then cancelled there: recorded as
    cancelled. It never held stock or a parcel here, so nothing is given back or stopped, and
    the channel is not told (it said so). Call with the order locked."""
    trail = Trail(actor)
    reason = CancelReason.CHANNEL_CANCELLED.value
    set_status(order, OrderEvent.CANCEL, trail, reason, stage="fulfilled_by_channel")
    order.cancelled_at = trail.at
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    trail.save()
    return "cancelled"


def _intercept_and_expect(order: Order, actor: str) -> str:
    """After despatch: ask the carrier to stop each parcel and expect the goods back."""
    if ReturnRequest.objects.filter(order=order, source="channel").exists():
        return "unchanged"  # the same cancellation again
    reason = CancelReason.CHANNEL_CANCELLED.value
    for shipment in order.shipments.filter(status=ShipmentStatus.DESPATCHED):
        request_intercept(shipment.id, actor=actor, reason=reason)
    wanted = {
        line.line_no: (left, "other")
        for line in returns.returnables(order)
        if (left := line.shipped - line.already_returned) > 0 and not line.non_returnable
    }
    if wanted:
        try:
            returns.request_return(
                order.id,
                wanted,
                actor=actor,
                source="channel",
                note="the channel cancelled the order after despatch: expect the parcel back",
            )
        except DomainError as exc:  # e.g. past the return window: the intercept case stays
            log.warning("order %s: no return expected (%s)", order.id, exc)
    return "intercept_requested"


def unplan(order: Order, trail: Trail, reason: str) -> None:
    """Give back what an order not yet picked holds and stop its shipments, so that it can be
    held (an allocated order goes back to validated first). Call with the order locked."""
    inventory.release_reservations(order, trail)
    if order.status == OrderStatus.ALLOCATED:
        _stop_shipments(order, trail, reason)
        set_status(order, OrderEvent.REPLAN, trail, reason)


def _picked_units(shipment: Shipment) -> dict[str, int]:
    """What the floor has taken off the shelves for a shipment being picked or packed."""
    if shipment.status == ShipmentStatus.PACKED:
        return {line.sku_id: line.quantity for line in shipment.lines.all()}
    tasks = PickTask.objects.filter(shipment=shipment)
    if not tasks.exists():  # picked without a pick list: assume every unit left its bin
        return {line.sku_id: line.quantity for line in shipment.lines.all()}
    rows = tasks.values("sku_id").annotate(n=Sum("picked"))
    return {row["sku_id"]: row["n"] for row in rows if row["n"]}


def _stop_shipments(order: Order, trail: Trail, reason: str) -> int:
    """Cancel every live shipment and its open pick tasks; picked units get put-away tasks."""
    units = 0
    for shipment in order.shipments.exclude(status=ShipmentStatus.CANCELLED):
        if shipment.status in (ShipmentStatus.PICKING, ShipmentStatus.PACKED):
            units += _put_away(shipment, _picked_units(shipment), reason, trail)
        PickTask.objects.filter(shipment=shipment, status=PickTask.OPEN).update(
            status=PickTask.CANCELLED
        )
        trail.add(
            "shipment",
            shipment.id,
            "cancelled",
            order_id=order.id,
            reason_code=reason,
            before=shipment.status,
            after=ShipmentStatus.CANCELLED.value,
            label_to_void=shipment.tracking_number or None,
        )
    order.shipments.exclude(status=ShipmentStatus.CANCELLED).update(
        status=ShipmentStatus.CANCELLED, updated_at=trail.at
    )
    return units


def _put_away(shipment: Shipment, picked: Mapping[str, int], reason: str, trail: Trail) -> int:
    bins = dict(
        SkuLocation.objects.filter(
            warehouse_id=shipment.warehouse_id, sku_id__in=list(picked)
        ).values_list("sku_id", "location")
    )
    tasks = [
        PutAwayTask(
            id=new_id("putaway"),
            warehouse_id=shipment.warehouse_id,
            sku_id=sku,
            location=bins.get(sku, ""),
            quantity=n,
            reason=f"cancelled:{reason}",
            order_id=shipment.order_id,
            shipment_id=shipment.id,
            created_at=trail.at,
        )
        for sku, n in sorted(picked.items())
        if n > 0
    ]
    PutAwayTask.objects.bulk_create(tasks)
    for task in tasks:
        trail.add(
            "put_away",
            task.id,
            "put_away_created",
            order_id=shipment.order_id,
            sku=task.sku_id,
            quantity=task.quantity,
            location=task.location,
            warehouse=task.warehouse_id,
        )
    return sum(t.quantity for t in tasks)


def cancel_lines(
    order_id: str,
    cuts: Mapping[int, int],
    *,
    actor: str,
    reason: str = "customer_request",
    note: str = "",
) -> Order:
    """Cancel some units of some lines (``{line_no: units}``) before picking. The stock they
    held goes back; what remains is planned again. Cancelling every unit cancels the order."""
    code = read_reason(reason)
    with transaction.atomic():
        order = lock_order(order_id)
        check_cancellable(OrderStatus(order.status), partial=True)
        lines = {line.line_no: line for line in order.lines.all()}
        cuts = read_line_cuts(cuts, {n: line.quantity for n, line in lines.items()})
        if all(cuts.get(n, 0) == line.quantity for n, line in lines.items()):
            return cancel_order(order_id, actor=actor, reason=code.value, note=note)
        trail = Trail(actor)
        cut_lines = []
        for line_no, units in sorted(cuts.items()):
            line = lines[line_no]
            line.quantity -= units
            line.cancelled += units
            line.backordered = min(line.backordered, line.quantity)
            line.save(update_fields=["quantity", "cancelled", "backordered"])
            cut_lines.append({"line_no": line_no, "sku": line.sku, "quantity": units})
        trail.add(
            "order",
            order.id,
            "lines_cancelled",
            order_id=order.id,
            reason_code=code.value,
            note=note,
            lines=cut_lines,
        )
        _replan(order, trail)
        trail.save()
        outbox.save(
            [
                outbox.emit(
                    Topic.ORDER_LINES_CANCELLED,
                    order.id,
                    trail.at,
                    order_id=order.id,
                    reason=code.value,
                    lines=cut_lines,
                )
            ]
        )
    return order


def _replan(order: Order, trail: Trail) -> None:
    """Give back what the order held and plan what remains (it may now fit one warehouse)."""
    status = OrderStatus(order.status)
    if status in (OrderStatus.RECEIVED, OrderStatus.VALIDATED):
        return  # not planned yet: the pipeline plans the new quantities
    if status == OrderStatus.ON_HOLD:  # stock kept while unpaid: kept no longer
        inventory.release_reservations(order, trail, [ReservationStatus.ACTIVE])
        return
    inventory.release_reservations(order, trail)
    _stop_shipments(order, trail, "lines_cancelled")
    set_status(order, OrderEvent.REPLAN, trail, "lines_cancelled")
    order.save(update_fields=["status", "updated_at"])
    sourcing.plan_again(order, trail)


def request_intercept(shipment_id: str, *, actor: str, reason: str, note: str = "") -> Shipment:
    """After despatch: ask the carrier to stop the parcel. A shipping coordinator owns the case
    until the carrier answers; a parcel that comes back is received as a return."""
    code = read_reason(reason)
    with transaction.atomic():
        order, shipment = lock_shipment(shipment_id)
        if shipment.status != ShipmentStatus.DESPATCHED:
            raise NotCancellable(
                f"shipment {shipment.id} is {shipment.status}: only a despatched parcel "
                "can be intercepted"
                + (" (cancel the order instead)" if shipment.status != "delivered" else ""),
                status=shipment.status,
            )
        trail = Trail(actor)
        trail.add(
            "shipment",
            shipment.id,
            "intercept_requested",
            order_id=order.id,
            reason_code=code.value,
            note=note,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
        )
        exceptions.open_case(
            Kind.INTERCEPT,
            subject=f"shipment:{shipment.id}",
            summary=f"ask {shipment.carrier or 'the carrier'} to stop "
            f"{shipment.tracking_number or shipment.id} ({code.value})",
            trail=trail,
            order_id=order.id,
            shipment_id=shipment.id,
            detail={"reason": code.value, "note": note},
        )
        trail.save()
        outbox.save(
            [
                outbox.emit(
                    Topic.SHIPMENT_INTERCEPT_REQUESTED,
                    shipment.id,
                    trail.at,
                    order_id=order.id,
                    shipment_id=shipment.id,
                    carrier=shipment.carrier,
                    tracking_number=shipment.tracking_number,
                    reason=code.value,
                )
            ]
        )
    return shipment


def put_away_tasks(*, warehouse: str = "", status: str = "open") -> list[PutAwayTask]:
    rows = PutAwayTask.objects.all()
    if warehouse:
        rows = rows.filter(warehouse_id=warehouse)
    if status:
        rows = rows.filter(status=status)
    return list(rows)


def complete_put_away(task_id: str, *, actor: str, location: str = "") -> PutAwayTask:
    """The units are back in their bin (scan the bin to confirm it). Done once."""
    with transaction.atomic():
        task = PutAwayTask.objects.select_for_update().filter(id=task_id).first()
        if task is None:
            raise NotFound("put-away task", task_id)
        if task.status == PutAwayTask.DONE:
            return task
        if location and task.location and location.strip().upper() != task.location.upper():
            raise Conflict(
                f"scanned bin {location!r}, but {task.sku_id} lives in {task.location}",
                expected=task.location,
            )
        task.status, task.done_at, task.done_by = PutAwayTask.DONE, timezone.now(), actor
        task.location = task.location or location.strip().upper()
        task.save(update_fields=["status", "done_at", "done_by", "location"])
        trail = Trail(actor)
        trail.add(
            "put_away",
            task.id,
            "put_away_done",
            order_id=task.order_id,
            sku=task.sku_id,
            quantity=task.quantity,
            location=task.location,
        )
        trail.save()
    return task
