"""The carton list the packing bench chooses from (``cartons.csv``, see services/packing.py), as
the set-up pages change it: one carton added, changed or removed at a time. The whole list is
checked with ``packing.read_cartons`` before it replaces the file (a new file renamed over the
old), so the bench never meets a bad one; columns of its own (e.g. ``supplier``) are kept.
Audited per carton, before -> after."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from django.db import transaction

from despatch.domain.cartons import Carton
from despatch.domain.errors import FieldError, NotFound, ValidationFailed
from despatch.services import packing
from despatch.services.audit import Trail

COLUMNS = (*packing.CARTON_COLUMNS, "tare_g", "currency")


def _rows() -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows) of the stored list; none when there is no file yet."""
    try:
        text = packing.cartons_path().read_text(encoding="utf-8")
    except FileNotFoundError:
        return list(COLUMNS), []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = list(reader.fieldnames or [])
    return columns + [c for c in COLUMNS if c not in columns], list(reader)


def cartons() -> list[Carton]:
    try:
        return packing.load_cartons()
    except NotFound:
        return []


def _write(columns: list[str], rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    packing.read_cartons(out.getvalue())  # names every wrong cell before anything is written
    path = packing.cartons_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    fresh.write_text(out.getvalue(), encoding="utf-8")
    os.replace(fresh, path)


def _audit(actor: str, carton_id: str, before: Any, after: Any) -> None:
    with transaction.atomic():
        trail = Trail(actor)
        trail.change("carton", carton_id, before, after)
        trail.save()


def _plain(row: dict[str, str] | None) -> dict[str, str] | None:
    return {c: (row.get(c) or "") for c in COLUMNS} if row else None


def save_carton(values: dict[str, str], *, actor: str) -> str:
    """Add or change the carton ``values["carton_id"]``; 'added' or 'changed'. A wrong value
    is named by its column."""
    carton_id = (values.get("carton_id") or "").strip()
    if not carton_id:
        raise ValidationFailed.single("carton_id", "is required", "required")
    columns, rows = _rows()
    old = next((r for r in rows if (r.get("carton_id") or "").strip() == carton_id), None)
    row = {**(old or {}), **{c: str(values.get(c, "")).strip() for c in COLUMNS}}
    changed = [row if r is old else r for r in rows] if old else [*rows, row]
    try:
        _write(columns, changed)
    except ValidationFailed as exc:
        at = f"row {changed.index(row) + 2}."
        raise ValidationFailed(
            [FieldError(e.field.removeprefix(at), e.message, e.code) for e in exc.errors]
        ) from None
    _audit(actor, carton_id, _plain(old), _plain(row))
    return "changed" if old else "added"


def remove_carton(carton_id: str, *, actor: str) -> None:
    columns, rows = _rows()
    old = next((r for r in rows if (r.get("carton_id") or "").strip() == carton_id), None)
    if old is None:
        raise NotFound("carton", carton_id)
    if len(rows) == 1:
        raise ValidationFailed.single("carton_id", "the last carton cannot be removed", "last")
    _write(columns, [r for r in rows if r is not old])
    _audit(actor, carton_id, _plain(old), None)
