"""The SKU catalogue CSV.

Header: ``sku,name,gtin,length_mm,width_mm,height_mm,weight_g`` and optionally ``flags``
(several flags separated by ``|``, e.g. ``fragile|upright``). Dimensions in millimetres,
weight in grams, all whole numbers; ``gtin`` may be empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.gtins import gtin_problem
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
    """The row as a SKU, or every problem of the row at once (not only the first)."""
    code = row["sku"]
    too_long = longer_than({"sku": SKU_TEXT["code"], "name": SKU_TEXT["name"]}, row)
    problems: list[FieldError] = list(too_long)
    said = {e.field for e in problems}
    if not code and "sku" not in said:
        problems.append(FieldError("sku", "is required", "required"))
    elif code in seen:
        problems.append(FieldError("sku", f"{code!r} repeats row {seen[code]}", "duplicate"))
    if not row["name"] and "name" not in said:
        problems.append(FieldError("name", "is required", "required"))
    gtin = row["gtin"]
    if (wrong := gtin_problem(gtin)) is not None:
        problems.append(FieldError("gtin", wrong, "gtin"))
    sizes: dict[str, int] = {}
    for field in ("length_mm", "width_mm", "height_mm", "weight_g"):
        try:
            sizes[field] = integer(row, field)
        except ValidationFailed as exc:
            problems += exc.errors
    if problems:
        raise ValidationFailed(problems)
    seen[code] = number
    flags = tuple(f.strip() for f in row.get("flags", "").split("|") if f.strip())
    return SkuRecord(code, row["name"], gtin, **sizes, flags=flags)
