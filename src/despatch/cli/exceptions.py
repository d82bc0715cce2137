"""``despatch exceptions``: the queues of what a person must decide."""

from __future__ import annotations

import getpass
import json
from typing import Any

import typer
from django.utils import timezone
from rich.markup import escape
from rich.table import Table

from despatch.cli.access import declares
from despatch.cli.common import console, domain_errors, fail, whole
from despatch.domain.exceptions import time_left
from despatch.services import exceptions, resolutions

app = typer.Typer(
    help="Exception queues: list the most urgent first, assign, resolve.", no_args_is_help=True
)

BY = typer.Option(
    "", "--by", help="who is acting (recorded in the audit trail); default: your login"
)


def _actor(by: str) -> str:
    return f"user:{by or getpass.getuser()}"


def _row(case: Any) -> dict[str, Any]:
    return {
        "id": case.id,
        "kind": case.kind,
        "queue": case.queue,
        "order_id": case.order_id,
        "summary": case.summary,
        "priority": case.priority,
        "owner": case.owner,
        "status": case.status,
        "opened_at": case.opened_at.isoformat(),
        "due_at": case.due_at.isoformat(),
        "breached": getattr(case, "breached", 1) == 0,
        "resolution": case.resolution,
    }


def _due(case: Any) -> str:
    breached, span = time_left(case.due_at, timezone.now())
    return f"[bold red]{span} over[/]" if breached else f"in {span}"


@app.command("list")
@declares("exceptions.read")
def list_cases(
    queue: str = typer.Option("", help="one queue, e.g. addresses, stock, floor"),
    owner: str = typer.Option("", help="user:NAME, group:NAME or unassigned"),
    kind: str = typer.Option("", help="one kind, e.g. invalid_address, short_pick"),
    status: str = typer.Option("open", help="open, resolved or all"),
    limit: int = typer.Option(50, min=1, max=1000, help="show at most this many"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """The queue, most urgent on top: breached SLAs first, then priority, then due time."""
    with domain_errors():
        cases = list(
            exceptions.list_cases(status=status, queue=queue, owner=owner, kind=kind)[:limit]
        )
    if as_json:
        console.print_json(json.dumps([_row(c) for c in cases]))
        return
    if not cases:
        console.print("no exceptions match")
        return
    # the exception's ID over its order's: both whole, even 80 columns wide
    keys = [f"{case.id}\n{case.order_id or ''}".strip() for case in cases]
    table = Table(whole("exception / order", keys), "P", "kind: what", "owner, due")
    for case, key in zip(cases, keys, strict=True):
        due = _due(case) if case.status == "open" else case.resolution
        table.add_row(
            key,
            str(case.priority),
            f"[bold]{case.kind}[/]: {escape(case.summary)}",
            f"{case.owner or 'unassigned'}\n{due}",
        )
    console.print(table)
    for row in exceptions.queue_counts():
        console.print(f"{row['queue']}: {row['open']} open, {row['breached']} past SLA")


@app.command()
@declares("exceptions.work")
def assign(
    exception_ids: list[str] = typer.Argument(..., help="one or more exception IDs"),
    owner: str = typer.Option(..., "--to", help="user:NAME, group:NAME, or a user name"),
    by: str = BY,
) -> None:
    """Give cases to a person or a group."""
    with domain_errors():
        for case_id in exception_ids:
            case = exceptions.assign(case_id, owner, actor=_actor(by))
            console.print(f"{case.id} is now owned by {case.owner}")


@app.command()
@declares("exceptions.work")
def resolve(
    exception_ids: list[str] = typer.Argument(..., help="one or more exception IDs"),
    action: str = typer.Option(
        ..., help="release, cancel, fix_address, substitute or resolve (by the case's kind)"
    ),
    note: str = typer.Option("", help="why, or what was done (required for resolve)"),
    address: list[str] = typer.Option(
        [], "--address", help="FIELD=VALUE to correct (fix_address), repeatable"
    ),
    line_no: int = typer.Option(0, "--line", help="the line to substitute (substitute)"),
    sku: str = typer.Option("", help="the SKU to ship instead (substitute)"),
    reason: str = typer.Option("", help="reason code (docs/security.md): ops_decision"),
    remember: bool = typer.Option(
        False, "--remember", help="substitute: map the channel's SKU to --sku for its next orders"
    ),
    by: str = BY,
) -> None:
    """Resolve cases; with several IDs each is tried on its own and the failures are listed.
    Exits 1 if any could not be resolved."""
    changes: dict[str, str] = {}
    for item in address:
        field, sep, value = item.partition("=")
        if not sep:
            fail(f"--address {item!r}: write FIELD=VALUE, e.g. postcode='SW1A 1AA'")
        changes[field.strip()] = value
    fix = resolutions.Fix(note, changes or None, line_no or None, sku, reason, remember)
    outcomes = resolutions.resolve_many(exception_ids, action, actor=_actor(by), fix=fix)
    for outcome in outcomes:
        if outcome.ok:
            console.print(f"[green]{outcome.exception_id}: resolved ({outcome.detail})[/]")
        else:
            console.print(f"[red]{outcome.exception_id}: {outcome.detail}[/]")
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@app.command()
@declares("exceptions.work")
def escalate() -> None:
    """Escalate every case past its SLA now (the worker does this every 30 seconds)."""
    with domain_errors():
        count = exceptions.escalate_due()
    console.print(f"{count} case(s) escalated")
