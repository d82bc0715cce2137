"""Shared helpers for reading CSV files with errors that name the row and the field."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from despatch.domain.errors import ValidationFailed


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, the header being line 1
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


DELIMITERS = (",", ";", "\t", "|")
MAX_INT = 2_147_483_647  # the widest whole number a column holds on every database


def decode(data: bytes, encoding: str = "") -> tuple[str, set[int]]:
    """The text of a file and the physical lines (1-based) that were not valid in its encoding.

    Without ``encoding``: UTF-16 when the file starts with its BOM (Excel's "Unicode Text");
    else UTF-8 (a BOM is dropped) when every byte reads as UTF-8, else
    Windows-1252 (what Excel saves) when every byte reads as that; otherwise UTF-8, with the
    lines that do not read reported."""
    if encoding:
        try:
            chosen = codecs.lookup(encoding).name
        except LookupError:
            raise ValidationFailed.single(
                "encoding", f"unknown encoding {encoding!r}", "encoding"
            ) from None
        chosen = "utf-8-sig" if chosen == "utf-8" else chosen
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        chosen = "utf-16"
    else:
        chosen = next((e for e in ("utf-8-sig", "cp1252") if _reads(data, e)), "utf-8-sig")
    bad = set()
    if not _reads(data, chosen):
        for number, line in enumerate(data.split(b"\n"), start=1):
            if not _reads(line, chosen if number == 1 else chosen.replace("-sig", "")):
                bad.add(number)
    return data.decode(chosen, errors="replace"), bad


def _reads(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(header: str) -> str:
    """The delimiter the header line uses most of: comma, semicolon, tab or bar."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(
    source: Path | str,
    required: tuple[str, ...],
    *,
    encoding: str = "",
    delimiter: str = "",
    errors: list[RowError] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, row) from a CSV file or text; refuses a header missing columns.
    A row with bytes not valid in the file's encoding is reported in ``errors`` and skipped."""
    bad: set[int] = set()
    if isinstance(source, Path):
        text, bad = decode(source.read_bytes(), encoding)
    else:
        text = source
    if not text.strip():
        raise ValidationFailed.single("file", "the file is empty", "empty_file")
    if "\x00" in text:
        at = text[: text.index("\x00")].count("\n") + 1
        raise ValidationFailed.single("file", f"row {at} contains a NUL character", "malformed_csv")
    if len(delimiter) > 1:
        delimiter = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ","}.get(delimiter, "")
        if not delimiter:
            raise ValidationFailed.single("delimiter", "one character, or tab", "delimiter")
    first_line = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter or sniff_delimiter(first_line))
    _check_header(reader, required)
    yield from _records(reader, bad, errors if errors is not None else [])


def _check_header(reader: csv.DictReader[str], required: tuple[str, ...]) -> None:
    header = [h.strip() for h in reader.fieldnames or []]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:  # csv keeps the last of the two cells: which one was meant is unknown
        raise ValidationFailed.single(
            "header", f"column {', '.join(map(repr, twice))} appears twice", "duplicate_column"
        )
    missing = [c for c in required if c not in header]
    if missing:  # one error naming every missing column, the expected list said once
        named = ", ".join(repr(c) for c in missing)
        raise ValidationFailed.single(
            "header",
            f"missing column{'s' if len(missing) > 1 else ''} {named}"
            f" (expected at least: {', '.join(required)})",
            "missing_column",
        )
    reader.fieldnames = header


def _records(
    reader: csv.DictReader[str], bad: set[int], errors: list[RowError]
) -> Iterator[tuple[int, dict[str, str]]]:
    number, last_line = 1, reader.line_num
    try:
        for number, row in enumerate(reader, start=2):
            spans = range(last_line + 1, reader.line_num + 1)
            last_line = reader.line_num
            if bad.intersection(spans):
                errors.append(RowError(number, "row", "has bytes that are not valid text"))
                continue
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
    if value > MAX_INT:
        raise ValidationFailed.single(field, f"{raw} is too large (at most {MAX_INT})", "overflow")
    if value < minimum:
        raise ValidationFailed.single(
            field, f"must be at least {minimum}, got {value}", "too_small"
        )
    return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell safe to open in a spreadsheet: text that would start a formula (``=``, ``+``,
    ``-``, ``@``) gets a leading ``'``. Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of ``rows`` under ``header``, every cell neutralised: every CSV Despatch
    writes goes through here."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()
