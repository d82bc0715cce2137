"""Packing: choose the carton (or cartons) for orders, from a carton list.

``read_cartons`` reads CARTONS.csv (``carton_id,name,inner_length_mm,inner_width_mm,
inner_height_mm,max_content_weight_g,cost``; extra columns ignored) and ``read_orders``
ORDERS.json (``{"orders": [{"order_id", "lines": [{"sku", "qty", "length_mm", "width_mm",
"height_mm", "weight_g", "upright"}]}]}``); every wrong cell is named by row or position.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from despatch.domain.cartons import BoxChoice, Carton, Item, choose
from despatch.domain.errors import FieldError, ValidationFailed

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
        cartons.append(Carton(cid, name, length, width, height, weight, cost))
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
