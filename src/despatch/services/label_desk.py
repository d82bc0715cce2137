"""Labels at the shipping desk: the parcels waiting for a label or for their manifest, buying
labels for many parcels at once (each answered on its own), and voiding a label.

Voiding gives up a label bought by mistake (wrong service, a damaged print) before the parcel
is on a manifest: the carrier, service, tracking number and price are cleared, the files are
moved to ``labels/void/``, and the parcel may be labelled again. Audited ``label_voided`` with
the tracking number given up (never issued again), and told to subscribers by a
``shipment.label_voided`` event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import QuerySet, Sum

from despatch.domain.errors import Conflict, DomainError, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.shipments import LABELLABLE, ShipmentCancelled, ShipmentStatus
from despatch.models import Shipment
from despatch.services import outbox, shipping
from despatch.services.audit import Trail
from despatch.services.fulfillment import lock_shipment

MOST_AT_ONCE = 200


def _packed(warehouses: frozenset[str] | None) -> QuerySet[Shipment]:
    rows = Shipment.objects.filter(status=ShipmentStatus.PACKED, manifest__isnull=True)
    if warehouses is not None:
        rows = rows.filter(warehouse_id__in=warehouses)
    return rows.select_related("order", "warehouse").annotate(units=Sum("lines__quantity"))


def unlabelled(warehouses: frozenset[str] | None = None) -> list[Shipment]:
    """Packed parcels with no label yet, oldest first."""
    return list(_packed(warehouses).filter(tracking_number="").order_by("updated_at", "id")[:500])


def labelled(warehouses: frozenset[str] | None = None) -> list[Shipment]:
    """Packed, labelled parcels on no manifest yet, by carrier then label time."""
    rows = _packed(warehouses).exclude(tracking_number="")
    return list(rows.order_by("warehouse_id", "carrier", "labelled_at", "id")[:500])


@dataclass(frozen=True)
class Outcome:
    shipment_id: str
    reference: str  # the channel's order number
    ok: bool
    detail: str


def buy_many(shipment_ids: Iterable[str], *, actor: str) -> list[Outcome]:
    """A label for each parcel, one after the other; a refusal is reported and the rest go on."""
    ids = list(dict.fromkeys(s.strip() for s in shipment_ids if s.strip()))
    if not ids:
        raise ValidationFailed.single("shipments", "select at least one parcel", "required")
    if len(ids) > MOST_AT_ONCE:
        raise ValidationFailed.single(
            "shipments", f"{len(ids)} parcels: at most {MOST_AT_ONCE} at once", "too_many"
        )
    refs = dict(Shipment.objects.filter(id__in=ids).values_list("id", "order__external_id"))
    services = shipping.load_rates()
    out = []
    for shipment_id in ids:
        reference = refs.get(shipment_id, shipment_id)
        try:
            done = shipping.buy_label(shipment_id, actor=actor, services=services)
        except DomainError as exc:
            reasons = exc.data.get("reasons") if isinstance(exc.data, dict) else None
            why = exc.detail + (f" ({'; '.join(reasons[:2])})" if reasons else "")
            out.append(Outcome(shipment_id, reference, False, why))
            continue
        s = done.shipment
        out.append(Outcome(shipment_id, reference, True, f"{s.carrier} {s.tracking_number}"))
    return out


def void(shipment_id: str, *, actor: str) -> Shipment:
    with transaction.atomic():
        order, shipment = lock_shipment(shipment_id)
        if shipment.status == ShipmentStatus.CANCELLED:
            raise ShipmentCancelled("shipment", shipment.status, "voided")
        if not shipment.tracking_number:
            raise Conflict(f"parcel {shipment.id} has no label to void", current="unlabelled")
        if shipment.manifest_id or ShipmentStatus(shipment.status) not in LABELLABLE:
            raise Conflict(
                f"parcel {shipment.id} is {shipment.status} on a manifest: its label stands",
                current=shipment.status,
            )
        given_up = {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number}
        trail = Trail(actor)
        shipment.carrier = shipment.service = shipment.tracking_number = ""
        shipment.shipping_cost, shipment.shipping_currency = None, ""
        shipment.rate_reasoning, shipment.labelled_at = [], None
        shipment.updated_at = trail.at
        shipment.save()
        trail.add("shipment", shipment.id, "label_voided", order_id=order.id, before=given_up)
        trail.save()
        outbox.save(
            [
                outbox.emit(
                    Topic.SHIPMENT_LABEL_VOIDED,
                    shipment.id,
                    trail.at,
                    order_id=order.id,
                    **given_up,
                )
            ]
        )
    _set_aside(shipment_id, given_up["tracking_number"])
    return shipment


def _set_aside(shipment_id: str, number: str) -> None:
    folder = shipping.labels_dir() / "void"
    for kind, path in shipping.label_files(shipment_id).items():
        folder.mkdir(parents=True, exist_ok=True)
        path.replace(folder / f"{shipment_id}-{number}.{kind}")


def files_of(shipment_id: str) -> dict[str, Path]:
    return shipping.label_files(shipment_id)
