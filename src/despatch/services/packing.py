"""Packing: choose the carton (or cartons) for orders, from a carton list; at the packing
bench, recommend the carton for a shipment and gate it on its weight.

``read_cartons`` reads CARTONS.csv (``carton_id,name,inner_length_mm,inner_width_mm,
inner_height_mm,max_content_weight_g,cost``, optionally ``tare_g``; extra columns ignored) and
``read_orders`` ORDERS.json (``{"orders": [{"order_id", "lines": [{"sku", "qty", "length_mm",
"width_mm", "height_mm", "weight_g", "upright"}]}]}``); every wrong cell is named by row or
position.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from despatch.config import current as configuration
from despatch.domain.addresses import Address
from despatch.domain.cartons import BoxChoice, Carton, Item, WeightCheck, choose, weight_check
from despatch.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.domain.money import is_currency
from despatch.integrations import paperwork
from despatch.models import Shipment, ShipmentLine, Sku
from despatch.services import exceptions, fulfillment, outbox
from despatch.services.audit import Trail

CARTON_COLUMNS = (
    "carton_id",
    "name",
    "inner_length_mm",
    "inner_width_mm",
    "inner_height_mm",
    "max_content_weight_g",
    "cost",
)
BY = ("volume", "cost")


def _whole(value: Any, where: str, errors: list[FieldError], minimum: int = 1) -> int:
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or not text.lstrip("-").isdigit() or int(text) < minimum:
        errors.append(FieldError(where, f"expected a whole number >= {minimum}, got {value!r}"))
        return 0
    return int(text)


def read_cartons(text: str) -> list[Carton]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CARTON_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed.single(
            "header", f"missing column(s): {', '.join(missing)}", "missing_column"
        )
    errors: list[FieldError] = []
    cartons: list[Carton] = []
    seen: set[str] = set()
    for n, row in enumerate(reader, start=2):
        where = f"row {n}"
        cid = (row.get("carton_id") or "").strip()
        if not cid:
            errors.append(FieldError(f"{where}.carton_id", "is required", "required"))
        elif cid in seen:
            errors.append(FieldError(f"{where}.carton_id", f"{cid!r} appears twice", "duplicate"))
        seen.add(cid)
        length, width, height, weight = (
            _whole(row.get(c), f"{where}.{c}", errors) for c in CARTON_COLUMNS[2:6]
        )
        try:
            cost = Decimal((row.get("cost") or "0").strip())
            if not cost.is_finite() or cost < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(FieldError(f"{where}.cost", f"{row.get('cost')!r} is not an amount"))
            cost = Decimal(0)
        name = (row.get("name") or cid).strip()
        tare = _whole(row.get("tare_g") or "0", f"{where}.tare_g", errors, minimum=0)
        currency = (row.get("currency") or "").strip().upper()
        if currency and not is_currency(currency):
            errors.append(FieldError(f"{where}.currency", f"{currency!r} is not a currency code"))
        cartons.append(Carton(cid, name, length, width, height, weight, cost, tare, currency))
    if errors:
        raise ValidationFailed(errors)
    if not cartons:
        raise ValidationFailed.single("cartons", "the carton list is empty", "required")
    return cartons


def read_orders(data: Any) -> list[tuple[str, list[Item]]]:
    orders = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(orders, list):
        raise ValidationFailed.single("orders", "expected a list of orders", "required")
    errors: list[FieldError] = []
    result = []
    for i, order in enumerate(orders):
        lines = order.get("lines") if isinstance(order, dict) else None
        if not isinstance(lines, list) or not lines:
            errors.append(FieldError(f"orders[{i}].lines", "expected a list of lines"))
            continue
        items: list[Item] = []
        for k, line in enumerate(lines):
            where = f"orders[{i}].lines[{k}]"
            if not isinstance(line, dict):
                errors.append(FieldError(where, "expected an object"))
                continue
            qty = _whole(line.get("qty"), f"{where}.qty", errors)
            length, width, height = (
                _whole(line.get(f), f"{where}.{f}", errors)
                for f in ("length_mm", "width_mm", "height_mm")
            )
            weight = _whole(line.get("weight_g"), f"{where}.weight_g", errors, minimum=0)
            upright = line.get("upright", False)
            if not isinstance(upright, bool):
                errors.append(FieldError(f"{where}.upright", "expected true or false"))
            sku = str(line.get("sku") or f"line {k + 1}")
            unit = Item(sku, length, width, height, weight, bool(upright))
            items += [unit] * min(qty, 10_000)
        result.append((str(order.get("order_id", i + 1)), items))
    if errors:
        raise ValidationFailed(errors)
    return result


@dataclass(frozen=True)
class OrderBoxes:
    order_id: str
    choice: BoxChoice


def choose_boxes(cartons_csv: str, orders_data: Any, by: str = "volume") -> list[OrderBoxes]:
    if by not in BY:
        raise ValidationFailed.single("by", f"{by!r} is not one of {', '.join(BY)}")
    cartons = read_cartons(cartons_csv)
    return [OrderBoxes(oid, choose(items, cartons, by)) for oid, items in read_orders(orders_data)]


def as_json(result: OrderBoxes) -> dict[str, Any]:
    choice = result.choice
    return {
        "order_id": result.order_id,
        "fits_one_carton": choice.single,
        "carton_id": choice.parcels[0].carton.carton_id if choice.single else None,
        "parcels": [
            {
                "carton_id": p.carton.carton_id,
                "name": p.carton.name,
                "items": [pl.item.sku for pl in p.placements],
                "content_weight_g": p.weight_g,
                "fill_pct": round(100 * p.fill, 1),
                "cost": str(p.carton.cost),
                "placements": [
                    {"sku": pl.item.sku, "at_mm": list(pl.at), "size_mm": list(pl.size)}
                    for pl in p.placements
                ],
            }
            for p in choice.parcels
        ],
        "unfit": [{"sku": item.sku, "reason": why} for item, why in choice.unfit],
    }


# --- the packing bench ---------------------------------------------------------------------


def cartons_path() -> Path:
    return Path(configuration().cartons or Path(settings.HOME) / "cartons.csv")


def load_cartons(path: Path | None = None) -> list[Carton]:
    path = path or cartons_path()
    try:
        return read_cartons(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound("carton list", str(path)) from None


def shipment_items(shipment_id: str) -> list[Item]:
    lines = list(
        ShipmentLine.objects.filter(shipment_id=shipment_id).values_list("sku_id", "quantity")
    )
    if not lines:
        raise NotFound("shipment", shipment_id)
    skus = {s.code: s for s in Sku.objects.filter(code__in=[s for s, _ in lines])}
    items = []
    for code, qty in lines:
        sku = skus[code]
        unit = Item(
            code, sku.length_mm, sku.width_mm, sku.height_mm, sku.weight_g, "upright" in sku.flags
        )
        items += [unit] * qty
    return items


def recommend(
    shipment_id: str, cartons: list[Carton] | None = None, by: str = "volume"
) -> BoxChoice:
    return choose(shipment_items(shipment_id), cartons or load_cartons(), by)


def pack_at_bench(
    shipment_id: str,
    *,
    weighed_g: int,
    carton_id: str,
    actor: str,
    cartons: list[Carton] | None = None,
) -> Shipment:
    """The weight gate: a parcel whose weight is off from its items plus carton is not packed;
    it is recorded as an exception (``pack.weight_mismatch``) for a person to open and check.
    A shipment that cannot be packed (not picked yet, say) is refused first, with no case."""
    fulfillment.ready_to_pack(shipment_id)
    carton = _carton(cartons or load_cartons(), carton_id)
    check = weight_check(shipment_items(shipment_id), carton, weighed_g)
    if not check.ok:
        _record_mismatch(shipment_id, carton_id, check, actor)
        raise Conflict(
            f"weighs {weighed_g} g, expected {check.expected_g} g ± {check.tolerance_g} g: "
            "open the parcel and check its items",
            expected_g=check.expected_g,
            weighed_g=weighed_g,
        )
    with transaction.atomic():
        shipment = fulfillment.pack(shipment_id, actor=actor)
        Shipment.objects.filter(id=shipment_id).update(weight_g=weighed_g)
        trail = Trail(actor)
        note = f"weighed {weighed_g} g, within {check.tolerance_g} g of {check.expected_g} g"
        exceptions.close_subject(Kind.WEIGHT_MISMATCH, f"shipment:{shipment_id}", trail, note)
        trail.save()
    shipment.weight_g = weighed_g
    return shipment


def _carton(cartons: list[Carton], carton_id: str) -> Carton:
    carton = next((c for c in cartons if c.carton_id == carton_id), None)
    if carton is None:
        raise ValidationFailed.single("carton_id", f"{carton_id!r} is not in the carton list")
    return carton


def _record_mismatch(shipment_id: str, carton_id: str, check: WeightCheck, actor: str) -> None:
    """A parcel off its expected weight, in a transaction of its own (the refusal that follows
    keeps it): audited, a weight-mismatch case for a person, a ``pack.weight_mismatch`` event."""
    with transaction.atomic():
        order_id = Shipment.objects.values_list("order_id", flat=True).get(id=shipment_id)
        trail = Trail(actor)
        detail: dict[str, Any] = {
            "expected_g": check.expected_g,
            "weighed_g": check.weighed_g,
            "carton": carton_id,
        }
        trail.add("shipment", shipment_id, "weight_mismatch", order_id=order_id, **detail)
        exceptions.open_case(
            Kind.WEIGHT_MISMATCH,
            subject=f"shipment:{shipment_id}",
            summary=f"weighed {check.weighed_g} g, expected {check.expected_g} g "
            f"± {check.tolerance_g} g in {carton_id}",
            trail=trail,
            order_id=order_id,
            shipment_id=shipment_id,
            detail=detail,
        )
        trail.save()
        outbox.save(
            [
                outbox.emit(
                    Topic.PACK_WEIGHT_MISMATCH, shipment_id, trail.at, order_id=order_id, **detail
                )
            ]
        )


def packing_slip_pdf(shipment_id: str) -> bytes:
    shipment = Shipment.objects.select_related("order").filter(id=shipment_id).first()
    if shipment is None:
        raise NotFound("shipment", shipment_id)
    order = shipment.order
    names = dict(order.lines.values_list("sku", "name"))
    lines = [
        paperwork.SlipLine(sku, names.get(sku, ""), qty)
        for sku, qty in shipment.lines.values_list("sku_id", "quantity")
    ]
    to = Address.from_dict(order.shipping_address)
    return paperwork.packing_slip_pdf(order.external_id, shipment.id, to, lines)


@dataclass(frozen=True)
class PackCheck:
    """Items scanned at the bench against what the shipment holds."""

    expected: dict[str, int]  # sku -> units
    scanned: dict[str, int]

    @property
    def complete(self) -> bool:
        return self.scanned == self.expected


def expected_units(shipment_id: str) -> dict[str, int]:
    """Units of each SKU the parcel must hold."""
    return dict(Counter(item.sku for item in shipment_items(shipment_id)))


def scan_item(shipment_id: str, scanned: dict[str, int], code: str) -> tuple[PackCheck, str]:
    """Count one scanned unit into the parcel; an item that is not the shipment's, or one too
    many, is refused with what is wrong."""
    expected = expected_units(shipment_id)
    by_gtin = dict(
        Sku.objects.filter(code__in=list(expected)).exclude(gtin="").values_list("gtin", "code")
    )
    sku = code.strip() if code.strip() in expected else by_gtin.get(code.strip(), "")
    counts = {k: v for k, v in scanned.items() if k in expected}
    if not sku:
        raise ValidationFailed.single(
            "item", f"{code.strip() or 'nothing'} is not in this parcel", "wrong_item"
        )
    if counts.get(sku, 0) >= expected[sku]:
        raise ValidationFailed.single(
            "item", f"one {sku} too many: the parcel holds {expected[sku]}", "too_many"
        )
    counts[sku] = counts.get(sku, 0) + 1
    return PackCheck(expected, counts), sku
