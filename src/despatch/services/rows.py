"""Rows written and read on the order pipeline's hot path without the ORM's query compiler.

``insert`` writes model instances as one multi-row INSERT (a database-made key is read back
with RETURNING and set on each instance, as ``bulk_create`` does); ``update`` writes chosen
columns of one instance, as ``save(update_fields=…)`` does. The SQL is built once per model
(and set of columns) instead of once per call, and each column is prepared as the field would
(``get_db_prep_save``) by a shortcut for the common values: text, numbers, booleans and enums as
they are; aware datetimes, dates, decimals and JSON as the database's own adapter wants them.
Any other value (a naive datetime, a string for a decimal) goes through the field. The profile
(docs/benchmarks.md) showed query compilation, then this preparation, as the largest single
costs of receiving and allocating an order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from django.db import DatabaseError, connection, models

# SQLite allows 32,766 bound values a statement; stay well below on both databases.
MOST_VALUES = 20_000

Prep = Callable[[Any], Any]
M = TypeVar("M", bound=models.Model)

# Fields whose stored value is the Python value itself (text, whole numbers, booleans, and keys
# to such a column); every other field prepares its own (dates, decimals, JSON).
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _by_field(field: models.Field[Any, Any]) -> Prep:
    return lambda value: field.get_db_prep_save(value, connection)


def _datetime(field: models.Field[Any, Any], vendor: str) -> Prep:
    slow = _by_field(field)
    if vendor == "postgresql":
        return lambda v: v if type(v) is datetime and v.tzinfo is not None else slow(v)
    if vendor != "sqlite":
        return slow
    # SQLite stores naive UTC text (its backend's adapt_datetimefield_value, USE_TZ on)
    return lambda v: (
        str(v.astimezone(UTC).replace(tzinfo=None))
        if type(v) is datetime and v.tzinfo is not None
        else slow(v)
    )


def _date(field: models.Field[Any, Any], vendor: str) -> Prep:
    slow = _by_field(field)
    if vendor == "postgresql":
        return lambda v: v if type(v) is date else slow(v)
    return lambda v: str(v) if type(v) is date else slow(v)


def _decimal(field: models.Field[Any, Any]) -> Prep:
    slow = _by_field(field)  # both drivers take a Decimal as it is
    return lambda v: v if type(v) is Decimal and v.is_finite() else slow(v)


def _json(field: models.JSONField[Any]) -> Prep:
    adapt, encoder = connection.ops.adapt_json_value, field.encoder
    return lambda v: None if v is None else adapt(v, encoder)


def _prepare(field: models.Field[Any, Any], vendor: str) -> Prep:
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(target, _PLAIN) and not isinstance(target, models.AutoField):
        return _plain
    if isinstance(field, models.DateTimeField) and not (field.auto_now or field.auto_now_add):
        return _datetime(field, vendor)
    if type(field) is models.DateField and not (field.auto_now or field.auto_now_add):
        return _date(field, vendor)
    if type(field) is models.DecimalField:
        return _decimal(field)
    if type(field) is models.JSONField:
        return _json(field)
    return _by_field(field)


@cache
def _columns(
    model: type[models.Model], vendor: str
) -> tuple[list[tuple[str, Prep]], str, str | None]:
    """The fields written (a database-made key left out), the INSERT's head, and the
    RETURNING clause that reads that key back (None: the key is ours)."""
    pk = model._meta.pk
    made = pk is not None and not own_key(model)
    fields = [f for f in model._meta.concrete_fields if not (made and f is pk)]
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    prepared = [(f.attname, _prepare(f, vendor)) for f in fields]
    head = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names})"
    returning = f" RETURNING {connection.ops.quote_name(str(pk.column))}" if made and pk else None
    return prepared, head, returning


def insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert ``objs`` in as few statements as the database allows. Their primary keys are
    set by the caller, or (an auto-increment key) by the database and then on each instance."""
    if not objs:
        return
    fields, head, returning = _columns(model, connection.vendor)
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        model._default_manager.bulk_create(objs)
        return
    per = max(1, MOST_VALUES // len(fields))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk_name = model._meta.pk.attname if model._meta.pk else ""
    with connection.cursor() as cursor:
        for start in range(0, len(objs), per):
            chunk = objs[start : start + per]
            params = [prep(getattr(obj, name)) for obj in chunk for name, prep in fields]
            sql = f"{head} VALUES {', '.join([row] * len(chunk))}"
            cursor.execute(sql + (returning or ""), params)
            if returning:
                for obj, (key,) in zip(chunk, cursor.fetchall(), strict=True):
                    setattr(obj, pk_name, key)
    alias = connection.alias
    for obj in objs:  # as bulk_create leaves them: stored, in this database
        obj._state.adding = False
        obj._state.db = alias


@cache
def _updating(
    model: type[models.Model], names: tuple[str, ...], vendor: str
) -> tuple[list[tuple[str, Prep]], str]:
    """The fields ``names`` with their preparation, and the UPDATE that writes them by key."""
    meta, quote = model._meta, connection.ops.quote_name
    fields = [f for n in names if isinstance(f := meta.get_field(n), models.Field)]
    if len(fields) != len(names) or meta.pk is None:
        raise ValueError(f"{model.__name__}: not columns: {names}")
    sets = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(str(meta.pk.column))} = %s"
    return [(f.attname, _prepare(f, vendor)) for f in fields], sql


def update(obj: models.Model, fields: Sequence[str]) -> None:
    """Write ``fields`` of ``obj`` to its row, as ``obj.save(update_fields=fields)`` does (no
    model has save signals or auto_now fields on these columns); the row must exist."""
    preps, sql = _updating(type(obj), tuple(fields), connection.vendor)
    params = [prep(getattr(obj, attname)) for attname, prep in preps]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


@cache
def _layout(model: type[models.Model]) -> tuple[tuple[str, str, models.Field[Any, Any]], ...]:
    """Each column's attribute, the name a related instance is given by (a key's; else the
    attribute again), and its field, in the order ``Model.__init__`` takes them."""
    return tuple(
        (f.attname, f.name if isinstance(f, models.ForeignKey) else f.attname, f)
        for f in model._meta.concrete_fields
    )


def new(model: type[M], **values: Any) -> M:
    """``model(**values)`` for a row about to be inserted, built the way Django builds a row
    it reads (the values in column order, passed by position) instead of through the keyword
    path's defaults and descriptors per field: about half the cost. A key is given as its
    instance (``order=order``, then cached on the row as the keyword path does) or as its
    column (``order_id=…``); a column not given takes its default."""
    args: list[Any] = []
    related: list[tuple[models.ForeignKey[Any, Any], models.Model]] = []
    used = 0
    for attname, name, field in _layout(model):
        if attname in values:
            args.append(values[attname])
        elif name in values and isinstance(field, models.ForeignKey):
            instance = values[name]
            if instance is None:
                args.append(None)
            else:
                args.append(getattr(instance, field.target_field.attname))
                related.append((field, instance))
        else:
            args.append(field.get_default())
            continue
        used += 1
    if used != len(values):  # a name that is no column: the keyword path says which
        return model(**values)
    obj = model(*args)
    for field, instance in related:
        field.set_cached_value(obj, instance)
        if not field.remote_field.multiple:  # one-to-one: the other side knows this row too
            field.remote_field.set_cached_value(instance, obj)
    return obj


def stamp(model: type[models.Model], name: str) -> Prep:
    """How a value of the field ``name`` is passed to this database (a raw statement's)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return _prepare(field, connection.vendor)


def own_key(model: type[models.Model]) -> bool:
    """Whether the model's primary key is set by us (not by the database)."""
    return not isinstance(model._meta.pk, models.AutoField | models.BigAutoField)


@cache
def _reading(
    model: type[models.Model], vendor: str
) -> tuple[str, list[str], list[tuple[list[Any], Any]]]:
    """The SELECT of every column of ``model``, their attributes, and each column's converters
    with the expression they are called with (as the ORM's compiler applies them)."""
    meta, quote = model._meta, connection.ops.quote_name
    fields = list(meta.concrete_fields)
    names = ", ".join(f"{quote(meta.db_table)}.{quote(str(f.column))}" for f in fields)
    converters = []
    for f in fields:
        column = f.get_col(meta.db_table)
        found = connection.ops.get_db_converters(column) + f.get_db_converters(connection)
        converters.append((found, column))
    return f"SELECT {names} FROM {quote(meta.db_table)}", [f.attname for f in fields], converters


def select(model: type[M], where: str, params: Sequence[Any], *, lock: bool = False) -> list[M]:
    """The rows of ``model`` matching ``where`` (SQL after WHERE, with %s placeholders) as
    instances, read as the ORM reads them (each column through its converters, then
    ``from_db``) by a statement built once per model; ``lock`` adds FOR UPDATE where the
    database has it (SQLite's write transaction already holds the database)."""
    head, attnames, converters = _reading(model, connection.vendor)
    sql = f"{head} WHERE {where}"
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    alias = connection.alias
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    out = []
    for row in found:
        values = list(row)
        for i, (convert, column) in enumerate(converters):
            for fn in convert:
                values[i] = fn(values[i], column, connection)
        out.append(model.from_db(alias, attnames, values))
    return out
