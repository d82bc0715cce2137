"""The SKU catalogue CSV.

Header: ``sku,name,gtin,length_mm,width_mm,height_mm,weight_g`` and optionally ``flags``
(several flags separated by ``|``, e.g. ``fragile|upright``). Dimensions in millimetres,
weight in grams, all whole numbers; ``gtin`` may be empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from despatch.domain.errors import ValidationFailed
from despatch.domain.limits import SKU_TEXT, longer_than
from despatch.integrations.rows import RowError, integer, read_rows

REQUIRED = ("sku", "name", "gtin", "length_mm", "width_mm", "height_mm", "weight_g")


@dataclass(frozen=True)
class SkuRecord:
    code: str
    name: str
    gtin: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    flags: tuple[str, ...]


def parse(
    source: Path | str, *, encoding: str = "", delimiter: str = ""
) -> tuple[list[SkuRecord], list[RowError]]:
    """The SKUs of a file, and each bad row's error (the good rows are kept)."""
    records: list[SkuRecord] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    rows = read_rows(source, REQUIRED, encoding=encoding, delimiter=delimiter, errors=errors)
    for number, row in rows:
        try:
            records.append(_record(row, seen, number))
        except ValidationFailed as exc:
            errors += [RowError(number, e.field, e.message) for e in exc.errors]
    return records, sorted(errors, key=lambda e: e.row)


def _record(row: dict[str, str], seen: dict[str, int], number: int) -> SkuRecord:
    code = row["sku"]
    too_long = longer_than({"sku": SKU_TEXT["code"], "name": SKU_TEXT["name"]}, row)
    if too_long:
        raise ValidationFailed(too_long)
    if not code:
        raise ValidationFailed.single("sku", "is required", "required")
    if code in seen:
        raise ValidationFailed.single("sku", f"{code!r} repeats row {seen[code]}", "duplicate")
    if not row["name"]:
        raise ValidationFailed.single("name", "is required", "required")
    gtin = row["gtin"]
    if gtin and (not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14)):
        raise ValidationFailed.single(
            "gtin", f"{gtin!r} is not an 8, 12, 13 or 14 digit GTIN", "gtin"
        )
    seen[code] = number
    flags = tuple(f.strip() for f in row.get("flags", "").split("|") if f.strip())
    return SkuRecord(
        code,
        row["name"],
        gtin,
        integer(row, "length_mm"),
        integer(row, "width_mm"),
        integer(row, "height_mm"),
        integer(row, "weight_g"),
        flags,
    )
