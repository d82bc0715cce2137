"""Rows written together: inside ``together()`` the inserts a use case asks for (reservations,
shipments, shipment lines, outbox events, audit entries) are kept and written at the end of the
block as one multi-row INSERT per table, and the audit entries are appended to the chain once
(one head lock). The block must end inside the transaction that made the changes (the worker's
batch transaction), so the rows commit, or roll back, with everything else.

Only code that never reads back the rows it just asked to insert may run inside the block: the
order pipeline's happy path (validate, reserve, allocate) and the subscribers' fan-out. Rows are
written in the order their tables were first asked for, parents before children.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import models

from despatch.services.rows import insert as insert_rows

M = TypeVar("M", bound=models.Model)

_pending: ContextVar[dict[type[models.Model], list[models.Model]] | None] = ContextVar(
    "deferred_rows", default=None
)
_after: ContextVar[dict[str, tuple[Callable[[list[Any]], None], list[Any]]] | None] = ContextVar(
    "deferred_after", default=None
)


def insert(model: type[M], rows: Iterable[M]) -> list[M]:
    """Insert ``rows`` now, or at the end of the ``together()`` block around this call."""
    rows = list(rows)
    pending = _pending.get()
    if pending is None:
        insert_rows(model, rows)
        return rows
    pending.setdefault(model, []).extend(rows)
    return rows


def active() -> bool:
    return _pending.get() is not None


def later(name: str, items: Iterable[Any], flush: Callable[[list[Any]], None]) -> bool:
    """Keep ``items`` for ``flush``, called once at the end of the block with every item kept
    under ``name``, after the rows are written (the audit chain appends its entries so).
    Returns False, keeping nothing, outside a block."""
    after = _after.get()
    if after is None:
        return False
    after.setdefault(name, (flush, []))[1].extend(items)
    return True


@contextmanager
def together() -> Iterator[None]:
    """Defer inserts to the end of the block; nested blocks join the outer one."""
    if _pending.get() is not None:
        yield
        return
    rows_token = _pending.set({})
    after_token = _after.set({})
    try:
        yield
        pending: dict[type[models.Model], list[Any]] = _pending.get() or {}
        after = _after.get() or {}
        _pending.set(None)  # a flush that inserts again writes at once
        _after.set(None)
        for model, rows in pending.items():
            insert_rows(model, rows)
        for flush, items in after.values():
            flush(items)
    finally:
        _pending.reset(rows_token)
        _after.reset(after_token)
