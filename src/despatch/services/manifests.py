"""End of day: one manifest per carrier and warehouse, and despatch confirmation.

Closing a manifest takes the carrier's packed, labelled shipments at the warehouse that are on
no manifest yet, despatches each (stock leaves through the ledger, the order follows, and the
``shipment.despatched`` event tells the channel) and writes the manifest as CSV and PDF under
``$DESPATCH_HOME/manifests/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from despatch.domain.addresses import Address
from despatch.domain.calendars import day_text
from despatch.domain.errors import NotFound, ValidationFailed
from despatch.domain.ids import new_id
from despatch.domain.shipments import ShipmentStatus
from despatch.domain.wording import carrier_words
from despatch.integrations import manifests as documents
from despatch.models import Manifest, Shipment, Warehouse
from despatch.services import fulfillment


@dataclass(frozen=True)
class Closed:
    manifest: Manifest
    shipments: list[Shipment]
    files: dict[str, Path]


def close(carrier: str, warehouse: str, *, actor: str) -> Closed:
    if not Warehouse.objects.filter(code=warehouse).exists():
        raise NotFound("warehouse", warehouse)
    with transaction.atomic():
        due = list(
            Shipment.objects.select_for_update()
            .filter(
                carrier=carrier,
                warehouse_id=warehouse,
                status=ShipmentStatus.PACKED,
                manifest__isnull=True,
            )
            .exclude(tracking_number="")
            .order_by("labelled_at", "id")
        )
        if not due:
            raise ValidationFailed.single(
                "carrier", f"no packed, labelled {carrier} parcels at {warehouse}", "nothing_due"
            )
        manifest = Manifest.objects.create(
            id=new_id("manifest"),
            carrier=carrier,
            warehouse_id=warehouse,
            created_at=timezone.now(),
            created_by=actor,
        )
        Shipment.objects.filter(id__in=[s.id for s in due]).update(manifest=manifest)
        done = [fulfillment.despatch(s.id, actor=actor) for s in due]
    rows = [
        documents.ManifestRow(
            s.tracking_number,
            s.service,
            s.id,
            s.order.external_id,
            Address.from_dict(s.order.shipping_address).postcode,
            Address.from_dict(s.order.shipping_address).country,
            s.weight_g,
        )
        for s in Shipment.objects.filter(manifest=manifest)
        .select_related("order")
        .order_by("labelled_at", "id")
    ]
    folder = Path(settings.HOME) / "manifests"
    folder.mkdir(parents=True, exist_ok=True)
    files = {"csv": folder / f"{manifest.id}.csv", "pdf": folder / f"{manifest.id}.pdf"}
    files["csv"].write_text(documents.csv_text(rows), encoding="utf-8")
    day = manifest.created_at.date().isoformat()
    files["pdf"].write_bytes(documents.pdf(manifest.id, carrier, warehouse, day, rows))
    return Closed(manifest, done, files)


@dataclass(frozen=True)
class Due:
    carrier: str
    warehouse: str
    parcels: int


def due() -> list[Due]:
    """Each carrier and warehouse with packed, labelled parcels on no manifest yet."""
    rows = (
        Shipment.objects.filter(status=ShipmentStatus.PACKED, manifest__isnull=True)
        .exclude(tracking_number="")
        .values("carrier", "warehouse_id")
        .annotate(parcels=Count("id"))
        .order_by("warehouse_id", "carrier")
    )
    return [Due(r["carrier"], r["warehouse_id"], r["parcels"]) for r in rows]


def recent(limit: int = 50, warehouses: frozenset[str] | None = None) -> list[Manifest]:
    """The latest manifests (of ``warehouses`` only, when given), each with ``parcels``: how
    many shipments it lists."""
    rows = Manifest.objects.select_related("warehouse")
    if warehouses is not None:
        rows = rows.filter(warehouse_id__in=warehouses)
    return list(rows.annotate(parcels=Count("shipments")).order_by("-created_at", "-id")[:limit])


def manifest_name(manifest: Manifest, parcels: int) -> str:
    """A manifest as people name it: "UPS, London, Mon 30 Nov 2026, 12 parcels" (the day in
    the warehouse's time zone); its ID is shown beside it, smaller."""
    warehouse = manifest.warehouse
    day = day_text(manifest.created_at.astimezone(ZoneInfo(warehouse.time_zone or "UTC")))
    count = f"{parcels} parcel{'' if parcels == 1 else 's'}"
    return f"{carrier_words(manifest.carrier)}, {warehouse.name or warehouse.code}, {day}, {count}"


MEDIA = {"csv": "text/csv", "pdf": "application/pdf"}


def manifest_file(
    manifest_id: str, kind: str, warehouses: frozenset[str] | None = None
) -> tuple[Path, str]:
    """A manifest's CSV or PDF; one of a warehouse outside ``warehouses`` is NotFound."""
    path = Path(settings.HOME) / "manifests" / f"{manifest_id}.{kind}"
    rows = Manifest.objects.filter(id=manifest_id)
    if warehouses is not None:
        rows = rows.filter(warehouse_id__in=warehouses)
    if kind not in MEDIA or not rows.exists():
        raise NotFound("manifest", f"{manifest_id}.{kind}")
    if not path.is_file():
        raise NotFound("manifest file", str(path.name))
    return path, MEDIA[kind]
