"""Searching orders (the orders list's ``q``) through the indexes of migrations 0033, 0034 and
0037, so that a search stays quick at a million orders (bench/scale.py):

- a whole email address (``ada@example.com``) finds that address's orders, any case, through
  the ``lower(email)`` index; an address is not looked for inside longer ones;
- any other term of 3 characters or more finds the orders whose ID, external ID, customer name
  or email contains it (and with ``skus``, those with a line of that SKU, any case): on
  PostgreSQL one indexed subquery a column (``pg_trgm``, and the SKU index), on SQLite the
  FTS5 trigram table asked for the term's rarest trigrams, each candidate then checked exactly;
- a shorter term is compared with every order (no trigram to look up).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import F, Lookup, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, Upper
from django.db.models.lookups import Exact

from despatch.models import OrderLine

SEARCHED = ("id", "external_id", "customer_name", "customer_email")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SKU_SQL = 'SELECT order_id FROM despatch_orderline WHERE UPPER("sku") = UPPER(%s)'
_FTS_SQL = "SELECT id FROM despatch_order_search WHERE despatch_order_search MATCH %s"
_PROBE_SQL = (
    "SELECT COUNT(*) FROM (SELECT rowid FROM despatch_order_search"
    " WHERE despatch_order_search MATCH %s LIMIT %s)"
)
_PROBE_CAP = 20_000  # a trigram in fewer orders than this is rare enough to look up
_PROBED = 12  # trigrams of a long term counted at most
_RAREST = 3  # trigrams looked up
_LISTED = 2_000  # orders found on PostgreSQL that are passed on as a list of IDs


def matching(q: str, *, skus: bool = False) -> Q:
    """Orders found by the search term ``q`` (see the module's words); ``skus`` also finds
    the orders with a line of SKU ``q``, any case."""
    if EMAIL.fullmatch(q):
        return Q(Exact(Lower("customer_email"), Lower(Value(q))))
    exact = Q(id__icontains=q)
    for column in SEARCHED[1:]:
        exact |= Q(**{f"{column}__icontains": q})
    if skus:
        exact |= with_sku(q)
    if len(q) < 3 or not _indexed():
        return exact
    if connection.vendor == "postgresql":
        return _pg_found(q, skus)
    sql, params = _FTS_SQL, [_fts_rarest(q)]
    if skus:  # a union keeps both sides on their indexes (an OR would read every order)
        sql, params = f"{sql} UNION {_SKU_SQL}", [*params, q]
    return Q(id__in=RawSQL(sql, params)) & exact  # trigrams only narrow: each one is checked


def with_sku(sku: str) -> Q:
    """Orders with a line of SKU ``sku`` in any case, read from the index of migration 0037
    (not ``EXISTS``: SQLite would probe the lines once an order)."""
    if connection.vendor == "postgresql":
        return Q(AnyOf(F("id"), RawSQL(_SKU_SQL, [sku])))
    lines = OrderLine.objects.filter(Exact(Upper("sku"), Upper(Value(sku))))
    return Q(id__in=lines.values("order_id"))


class AnyOf(Lookup):
    """``column = ANY(ARRAY(subquery))`` on PostgreSQL: the subquery runs once and the column's
    index finds its rows. (With ``IN (subquery)`` the planner guesses the subquery's size and
    at a guess of thousands reads every order to join them.)"""

    lookup_name = "any_of"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY(ARRAY({rhs}))", (*lhs_params, *rhs_params)


def _pg_found(q: str, skus: bool) -> Q:
    """The union of :func:`_pg_candidates` read once, here: a page and its count then look
    up the same few IDs rather than each searching again. More than ``_LISTED`` (a term in
    thousands of orders) stay a subquery."""
    candidates = _pg_candidates(q, skus)
    with connection.cursor() as cursor:
        cursor.execute(f"{candidates.sql} LIMIT %s", [*candidates.params, _LISTED + 1])
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) > _LISTED:
        return Q(AnyOf(F("id"), candidates))
    return Q(id__in=ids)


def _pg_candidates(q: str, skus: bool) -> RawSQL:
    """One subquery a searched column, each on its trigram index, in a union; the LIKE is
    the ORM's own ``icontains`` (escapes and all), so the union is the exact answer."""
    pattern = f"%{connection.ops.prep_for_like_query(q)}%"
    parts = [
        f'SELECT id FROM despatch_order WHERE UPPER("{column}"::text) LIKE UPPER(%s)'
        for column in SEARCHED
    ]
    params = [pattern] * len(parts)
    if skus:
        parts.append(_SKU_SQL)
        params.append(q)
    return RawSQL(" UNION ".join(parts), params)


def _fts_rarest(q: str) -> str:
    """An FTS5 query for the rarest few trigrams of ``q`` in any column. Asking for every
    trigram reads the whole list of each common one (``cus`` of "Customer", ``@ex`` of an
    email: every order): 45 ms at 200,000 orders for a name, where its 3 rarest take 0.3 ms.
    Each trigram's orders are counted up to ``_PROBE_CAP`` to find the rare ones."""
    trigrams = list(dict.fromkeys(q[i : i + 3] for i in range(len(q) - 2)))
    if len(trigrams) > _PROBED:  # spread along the term
        trigrams = [trigrams[i * len(trigrams) // _PROBED] for i in range(_PROBED)]
    quoted = ['"{}"'.format(t.replace('"', '""')) for t in trigrams]
    with connection.cursor() as cursor:
        found = {}
        for term in quoted:
            cursor.execute(_PROBE_SQL, [term, _PROBE_CAP])
            found[term] = cursor.fetchone()[0]
    rare = sorted((n, term) for term, n in found.items() if n < _PROBE_CAP)[:_RAREST]
    return " AND ".join(term for _, term in rare) if rare else " AND ".join(quoted)


@cache
def _indexed() -> bool:
    """Whether this database has the search indexes of migration 0034 (pg_trgm may be
    missing on PostgreSQL; FTS5 on SQLite), else a search reads every order."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [f"order_search_{column}" for column in SEARCHED]
            cursor.execute("SELECT COUNT(*) FROM pg_indexes WHERE indexname = ANY(%s)", [names])
            return bool(cursor.fetchone()[0] == len(SEARCHED))
        cursor.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('despatch_order_search',"
            " 'despatch_order_search_ai', 'despatch_order_search_ad', 'despatch_order_search_au')"
        )
        return bool(cursor.fetchone()[0] == 4)
