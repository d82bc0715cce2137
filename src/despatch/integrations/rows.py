"""Shared helpers for reading CSV files with errors that name the row and the field."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from despatch.domain.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, the header being line 1
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


def read_rows(
    source: Path | str, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, row) from a CSV file or text; refuses a header missing columns."""
    text = source.read_text(encoding="utf-8-sig") if isinstance(source, Path) else source
    if "\x00" in text:
        at = text[: text.index("\x00")].count("\n") + 1
        raise ValidationFailed.single("file", f"row {at} contains a NUL character", "malformed_csv")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationFailed(
            [
                FieldError(
                    "header",
                    f"missing column {c!r} (expected at least: {', '.join(required)})",
                    "missing_column",
                )
                for c in missing
            ]
        )
    reader.fieldnames = header
    number = 1
    try:
        for number, row in enumerate(reader, start=2):
            yield number, {k: (v or "").strip() for k, v in row.items() if k is not None}
    except csv.Error as exc:
        raise ValidationFailed.single(
            "file", f"row {number + 1} cannot be read as CSV: {exc}", "malformed_csv"
        ) from exc


def integer(
    row: dict[str, str], field: str, *, minimum: int = 0, default: int | None = None
) -> int:
    raw = row.get(field, "")
    if raw == "" and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed.single(
            field, f"{raw!r} is not a whole number", "not_an_integer"
        ) from None
    if value < minimum:
        raise ValidationFailed.single(
            field, f"must be at least {minimum}, got {value}", "too_small"
        )
    return value
