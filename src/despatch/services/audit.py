"""Collect audit entries during a use case and append them to the hash chain in one statement.

The chain (``domain.audit``): every entry has a sequence number and the SHA-256 of its content
and of the entry before it. Writers lock the one ``AuditHead`` row to append in turn, so the
chain is total on PostgreSQL (``SELECT … FOR UPDATE``) and on SQLite (``BEGIN IMMEDIATE``
already serialises write transactions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from despatch.domain import audit as chain
from despatch.domain.errors import NotFound, NotYetThere
from despatch.domain.history import OrderHistory, replay
from despatch.domain.ids import new_id
from despatch.models import AuditEntry, AuditHead, Order
from despatch.services import deferred
from despatch.services.rows import insert as insert_rows
from despatch.services.rows import new as new_row


@dataclass
class Trail:
    actor: str
    at: datetime = field(default_factory=timezone.now)
    entries: list[AuditEntry] = field(default_factory=list)

    def add(
        self,
        subject_type: str,
        subject_id: str,
        action: str,
        *,
        order_id: str = "",
        reason_code: str = "",
        before: Any = None,
        after: Any = None,
        **detail: Any,
    ) -> None:
        self.entries.append(
            new_row(
                AuditEntry,
                id=new_id("audit"),
                at=self.at,
                actor=self.actor,
                subject_type=subject_type,
                subject_id=subject_id,
                order_id=order_id,
                action=action,
                reason_code=reason_code,
                before=before,
                after=after,
                detail=detail,
            )
        )

    def change(
        self,
        subject_type: str,
        subject_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        *,
        action: str = "",
        **detail: Any,
    ) -> bool:
        """Record a change of configuration: only the fields that differ, before -> after,
        with secrets shown as fingerprints. Nothing is recorded when nothing changed."""
        shown_before, shown_after = chain.changes(before, after)
        if shown_before is None and shown_after is None:
            return False
        default = "created" if before is None else "deleted" if after is None else "changed"
        verb = action or f"{subject_type}_{default}"
        self.add(subject_type, subject_id, verb, before=shown_before, after=shown_after, **detail)
        return True

    def save(self) -> None:
        """Append the entries to the chain: one head lock, one insert, one head update. Inside
        ``deferred.together()`` (a worker's batch) they are appended with the batch's other
        entries, in the order saved, when the batch ends."""
        if self.entries and not deferred.later("audit", self.entries, append):
            append(self.entries)
        self.entries = []


def append(entries: list[AuditEntry]) -> None:
    """Seal ``entries`` in order after the chain's head and store them."""
    if not entries:
        return
    with transaction.atomic(savepoint=False):  # no savepoint inside a use case's transaction
        seq, prev = _lock_head()
        for entry in entries:
            seq += 1
            _seal(entry, seq, prev)
            prev = entry.hash
        insert_rows(AuditEntry, entries)
        with connection.cursor() as cursor:
            cursor.execute(_MOVE_HEAD, [seq, prev])


_LOCK_HEAD = "SELECT seq, hash FROM despatch_audithead WHERE id = 1"
_MOVE_HEAD = "UPDATE despatch_audithead SET seq = %s, hash = %s WHERE id = 1"


def _lock_head() -> tuple[int, str]:
    """Lock the head row and read it; rebuild it from the last entry if it is missing (a
    database emptied by hand or by a test's flush)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _LOCK_HEAD + (" FOR UPDATE" if connection.features.has_select_for_update else "")
        )
        row = cursor.fetchone()
    if row is None:
        AuditHead.objects.get_or_create(pk=1, defaults=asdict(_last_entry()))
        row = AuditHead.objects.select_for_update().values_list("seq", "hash").get(pk=1)
    return int(row[0]), str(row[1])


def _last_entry() -> chain.Head:
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return chain.Head(*last) if last else chain.Head(0, chain.GENESIS)


def _seal(entry: AuditEntry, seq: int, prev_hash: str) -> None:
    """Give ``entry`` its place and hash, from its values exactly as they will read back."""
    # as they read back, in one JSON round trip for the three (not one each)
    entry.before, entry.after, entry.detail = chain.as_stored(
        [entry.before, entry.after, entry.detail]
    )
    entry.seq = seq
    entry.prev_hash = prev_hash
    entry.hash = chain.link_hash(_content(entry), prev_hash)


def _content(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in chain.FIELDS}


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """A model row's fields as plain JSON values, to compare before and after a change."""
    out = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = (
            value if value is None or isinstance(value, str | int | list | dict) else str(value)
        )
    return out


def timeline(order_id: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(order_id=order_id).order_by("at", "seq"))


def order_as_of(order_id: str, at: datetime) -> OrderHistory:
    """The order (status, lines, allocation) as its audit entries say it was at ``at``."""
    fields = ("seq", "at", "actor", "subject_type", "subject_id", "action", "reason_code")
    rows = AuditEntry.objects.filter(order_id=order_id, at__lte=at).order_by("seq")
    found = replay(order_id, rows.values(*fields, "before", "after", "detail"), at)
    if found is not None:
        return found
    received = Order.objects.filter(id=order_id).values_list("created_at", flat=True).first()
    if received is None:
        raise NotFound("order", order_id)
    raise NotYetThere("order", order_id, chain.format_at(at), chain.format_at(received))


def head() -> chain.Head:
    """The chain's latest entry (sequence and hash), as recorded in its head row."""
    row = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return chain.Head(*row) if row else _last_entry()


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: entries checked, the first break (if any), the head."""

    checked: int
    broken: chain.Break | None
    head: chain.Head

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(since: datetime | None = None, anchor: chain.Head | None = None) -> Verdict:
    """Walk the chain in sequence order, up to its recorded head (read first, so entries
    appended meanwhile are left for the next run), from the first entry at or after ``since``.
    An ``anchor`` (a head kept elsewhere) must still be the hash of the entry at its place.
    """
    recorded = head()
    if anchor is not None:
        broken = chain.check_anchor(anchor, next(_links(anchor.seq, anchor.seq), None))
        if broken:
            return Verdict(0, broken, recorded)
    start, first = chain.Head(0, chain.GENESIS), 1
    if since is not None:
        found = _first_since(since, recorded.seq)
        if found is None:
            return _ends(0, recorded)
        start, first = found
    checked, broken = chain.verify(_links(first, recorded.seq), start=start, head=recorded)
    if broken is not None:
        return Verdict(checked, broken, recorded)
    return _ends(checked, recorded)


def _ends(checked: int, recorded: chain.Head) -> Verdict:
    """The chain's ends: no entry outside its places (1 to the head), and a head row kept.
    Writers insert entries and move the head in one transaction, so an entry past the head
    was written around them (an INSERT in SQL); so was one before #1."""
    return Verdict(checked, _stray() or _headless(recorded), recorded)


def _stray() -> chain.Break | None:
    low = AuditEntry.objects.filter(seq__lt=1).order_by("seq").values_list("seq", "id").first()
    if low is not None:
        return chain.Break(low[0], low[1], "is not in the chain: its place is before #1 (inserted)")
    top = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    now = head()  # read after the top: a writer that committed meanwhile moved the head too
    if top <= now.seq:
        return None
    seq, entry_id = (
        AuditEntry.objects.filter(seq__gt=now.seq).order_by("seq").values_list("seq", "id")[0]
    )
    return chain.Break(seq, entry_id, f"is after the head (#{now.seq}): it was inserted")


def _headless(recorded: chain.Head) -> chain.Break | None:
    """The head row deleted (with the newest entries, perhaps): nothing can say what is gone."""
    if recorded.seq == 0 or AuditHead.objects.filter(pk=1).exists():
        return None
    return chain.Break(
        recorded.seq,
        "",
        "the chain's head row is missing (deleted): the newest entries may have been cut off",
    )


def _first_since(since: datetime, last_seq: int) -> tuple[chain.Head, int] | None:
    """The entry before the first one at or after ``since``, as a head to start from."""
    row = (
        AuditEntry.objects.filter(at__gte=since, seq__lte=last_seq)
        .order_by("seq")
        .values_list("seq", "prev_hash")
        .first()
    )
    if row is None:
        return None
    seq, prev_hash = row
    return chain.Head(seq - 1, prev_hash), seq


def _links(first_seq: int, last_seq: int) -> Iterator[chain.Link]:
    names = [*chain.FIELDS, "prev_hash", "hash"]
    rows = AuditEntry.objects.filter(seq__gte=first_seq, seq__lte=last_seq)
    rows = rows.order_by("seq").values(*names)
    for row in rows.iterator(chunk_size=2000):
        yield chain.Link(row, row["prev_hash"], row["hash"])
