"""SKUs as the set-up pages change them: one SKU checked by the rules of the API's SKU body
(``PUT /api/skus``: code 1-64 characters, name 1-300, GTIN of 8, 12, 13 or 14 digits
(domain/gtins.py), sizes and weight whole numbers within range), then saved through
``catalogue.upsert_skus`` (audited)."""

from __future__ import annotations

from django.db.models import QuerySet

from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.gtins import gtin_problem
from despatch.models import StockLevel
from despatch.services import catalogue, inventory

LIMITS = {"length_mm": 100_000, "width_mm": 100_000, "height_mm": 100_000, "weight_g": 10_000_000}


def check_sku(row: catalogue.SkuRow) -> None:
    errors = []
    if not 1 <= len(row.code) <= 64:
        errors.append(FieldError("code", "1 to 64 characters", "code"))
    if not 1 <= len(row.name) <= 300:
        errors.append(FieldError("name", "1 to 300 characters", "required"))
    if (wrong := gtin_problem(row.gtin)) is not None:
        errors.append(FieldError("gtin", wrong, "gtin"))
    for name, most in LIMITS.items():
        if not 0 <= getattr(row, name) <= most:
            errors.append(FieldError(name, f"from 0 to {most:,}", "out_of_range"))
    if errors:
        raise ValidationFailed(errors)


def save_sku(row: catalogue.SkuRow, *, actor: str) -> str:
    """Create or change one SKU; 'created' or 'updated'."""
    check_sku(row)
    created, _ = catalogue.upsert_skus([row], actor=actor)
    return "created" if created else "updated"


def levels_of(code: str) -> QuerySet[StockLevel]:
    """The SKU's stock in each warehouse."""
    return inventory.levels(sku=code).order_by("warehouse_id")
