"""The packing bench: what a scan opens, and what the packer sees of each item.

The packer scans something printed, never types an internal ID:
- the **packing slip**'s barcode (the parcel),
- the **pick list**'s barcode (the parcels picked on it),
- the **tote** (the batch of zone lists that meet at packing, printed on each of its lists),
- or the **channel's order number** (its parcels at the user's warehouses).

Parcels still to pack come first. A SKU's picture, if any, is a file named after it
(``SKU.jpg``, ``.png`` or ``.webp``) in ``$DESPATCH_HOME/images/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from despatch.domain.errors import NotFound, ValidationFailed
from despatch.domain.shipments import ShipmentStatus
from despatch.models import PickList, PickTask, Shipment, Sku

IMAGE_MEDIA = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
TO_PACK = ShipmentStatus.PICKING


@dataclass(frozen=True)
class Found:
    kind: str  # "packing slip", "pick list", "tote" or "order"
    code: str
    parcels: list[Shipment]  # with their orders; those to pack first

    @property
    def to_pack(self) -> list[Shipment]:
        return [s for s in self.parcels if s.status == TO_PACK]


def _kind_and_ids(code: str) -> tuple[str, set[str]]:
    if Shipment.objects.filter(id=code).exists():
        return "packing slip", {code}
    lists = list(PickList.objects.filter(Q(id=code) | Q(batch=code)).values_list("id", "batch"))
    if lists:
        kind = "tote" if any(batch == code for _, batch in lists) else "pick list"
        ids = PickTask.objects.filter(pick_list_id__in=[i for i, _ in lists]).values_list(
            "shipment_id", flat=True
        )
        return kind, set(ids)
    orders = Shipment.objects.filter(order__external_id=code)
    if not orders.exists():
        orders = Shipment.objects.filter(order__external_id__iexact=code)
    return "order", set(orders.values_list("id", flat=True))


def find(code: str, warehouses: frozenset[str] | None = None) -> Found:
    """The parcels a scan at the bench names (only those at ``warehouses``, if given)."""
    code = code.strip()
    if not code:
        raise ValidationFailed.single(
            "code", "scan a pick list, tote, packing slip or order number", "required"
        )
    kind, ids = _kind_and_ids(code)
    rows = Shipment.objects.filter(id__in=ids).select_related("order")
    if warehouses is not None:
        rows = rows.filter(warehouse_id__in=warehouses)
    parcels = sorted(rows, key=lambda s: (s.status != TO_PACK, s.order.external_id, s.id))
    if not parcels:
        raise ValidationFailed.single(
            "code",
            f"{code} is no pick list, tote, packing slip or order number here",
            "unknown_code",
        )
    return Found(kind, code, parcels)


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    has_image: bool


def items(skus: list[str]) -> dict[str, Item]:
    """Names and whether a picture exists, of each SKU."""
    names = dict(Sku.objects.filter(code__in=skus).values_list("code", "name"))
    return {s: Item(s, names.get(s, ""), image_of(s) is not None) for s in skus}


def images_dir() -> Path:
    return Path(settings.HOME) / "images"


def image_of(sku: str) -> Path | None:
    if not sku or "/" in sku or sku.startswith("."):
        return None
    for suffix in IMAGE_MEDIA:
        path = images_dir() / f"{sku}{suffix}"
        if path.is_file():
            return path
    return None


def image_file(sku: str) -> tuple[Path, str]:
    path = image_of(sku)
    if path is None:
        raise NotFound("image", sku)
    return path, IMAGE_MEDIA[path.suffix]
