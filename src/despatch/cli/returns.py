"""``despatch returns`` and ``despatch refunds``: RMAs from request to disposition; money."""

from __future__ import annotations

import getpass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer
from rich.table import Table

from despatch.cli.access import acting, declares
from despatch.cli.common import console, domain_errors, fail
from despatch.domain.totals import plain
from despatch.services import refunds, returns

app = typer.Typer(
    help="Returns (RMA): request, label, receive and grade, QC.", no_args_is_help=True
)
refunds_app = typer.Typer(help="Refunds behind the approval matrix.", no_args_is_help=True)


BY_HELP = "the user deciding: they need the permission refunds.approve (finance, ops_manager)"


def _actor(by: str) -> str:
    return f"user:{by or getpass.getuser()}"


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for i, raw in enumerate(values, start=1):
        key, sep, value = raw.partition(":")
        if not sep or not key or not value:
            fail(f"{option} {i}: {raw!r} is not KEY:VALUE")
        pairs.append((key, value))
    return pairs


@app.command()
@declares("returns.request")
def request(
    order_id: str,
    line: list[str] = typer.Option(..., "--line", help="LINE_NO:UNITS (repeat)"),
    reason: str = typer.Option("changed_mind", help="return reason code"),
    note: str = typer.Option(""),
    label: Path | None = typer.Option(None, help="write the return label PDF here"),
    by: str = typer.Option("", "--by"),
) -> None:
    """Open a return for some lines of a despatched order."""
    wanted: dict[int, tuple[int, str]] = {}
    for number, units in _pairs(line, "--line"):
        if not (number.isdigit() and units.isdigit()):
            fail(f"--line {number}:{units} is not LINE_NO:UNITS")
        wanted[int(number)] = (int(units), reason)
    with domain_errors():
        rma = returns.request_return(order_id, wanted, actor=_actor(by), note=note)
        if label:
            label.write_bytes(returns.label_pdf(rma.id))
    console.print(
        f"[green]return {rma.id}[/] opened" + (f"; label written to {label}" if label else "")
    )


@app.command("list")
@declares("returns.read")
def list_returns(status: str = typer.Option(""), order: str = typer.Option("")) -> None:
    """Returns, newest first."""
    table = Table("RMA", "order", "status", "lines", "requested")
    for rma in returns.list_returns(status=status, order_id=order):
        lines = ", ".join(f"{li.quantity} x {li.sku} ({li.reason})" for li in rma.lines.all())
        table.add_row(
            rma.id, rma.order.external_id, rma.status, lines, f"{rma.created_at:%Y-%m-%d}"
        )
    console.print(table)


@app.command()
@declares("returns.receive")
def receive(
    rma: str = typer.Argument(..., help="the RMA number, as scanned"),
    grade: list[str] = typer.Option(
        ..., "--grade", help="SKU:GRADES, e.g. A1:AAD (one letter a unit)"
    ),
    by: str = typer.Option("", "--by"),
) -> None:
    """Receive a return: grade each unit A (new), B (opened), C (used), D (damaged)."""
    grades = {sku: list(letters) for sku, letters in _pairs(grade, "--grade")}
    with domain_errors():
        returns.receive(rma, grades, actor=_actor(by))
        done = returns.get_return(rma)
    for line in done.lines.all():
        console.print(f"{line.sku}: graded {line.grades} → {line.dispositions}")


@app.command()
@declares("returns.receive")
def qc(
    rma: str,
    sku: str,
    units: int = typer.Option(1, min=1),
    to: str = typer.Option(..., help="restock or scrap"),
    note: str = typer.Option(""),
    by: str = typer.Option("", "--by"),
) -> None:
    """Quality check done: held units go back to sellable stock or are scrapped."""
    with domain_errors():
        line = returns.release_held(rma, sku, units=units, to=to, actor=_actor(by), note=note)
    console.print(f"{units} x {sku} → {to}; {line.held} still held")


@app.command()
@declares("returns.read")
def reasons() -> None:
    """Returned units by SKU, channel and reason, beside units sold."""
    table = Table("SKU", "channel", "reason", "returned", "sold", "rate")
    for row in returns.reason_report():
        rate = f"{row['units'] / row['sold']:.0%}" if row["sold"] else ""
        table.add_row(
            row["sku"], row["channel"], row["reason"], str(row["units"]), str(row["sold"]), rate
        )
    console.print(table)


@refunds_app.command("request")
@declares("refunds.request")
def request_refund(
    order_id: str,
    line: list[str] = typer.Option([], "--line", help="LINE_NO:UNITS (repeat)"),
    amount: str = typer.Option("", help="a plain amount instead of lines"),
    kind: str = typer.Option("refund", help="refund, store_credit or exchange"),
    shipping: bool = typer.Option(False, "--shipping", help="refund the shipping too"),
    fee: str = typer.Option("0", help="restocking fee, percent of the goods"),
    rma: str = typer.Option("", help="the return it is for"),
    reason: str = typer.Option(""),
    by: str = typer.Option("", "--by"),
    swap: list[str] = typer.Option(
        [], "--swap", help="exchange: LINE_NO:SKU ships another SKU for that line (repeat)"
    ),
) -> None:
    """Request a refund; small ones are approved at once, others wait for approvers. An
    exchange creates its replacement order once approved."""
    try:
        money = Decimal(amount) if amount else None
        percent = Decimal(fee)
    except InvalidOperation:
        fail("--amount and --fee take numbers")
    lines = {int(n): int(u) for n, u in _pairs(line, "--line") if n.isdigit() and u.isdigit()}
    swaps = {int(n): sku for n, sku in _pairs(swap, "--swap") if n.isdigit()}
    with domain_errors():
        refund = refunds.request_refund(
            order_id,
            actor=_actor(by),
            kind=kind,
            lines=lines or None,
            amount=money,
            include_shipping=shipping,
            restocking_fee_percent=percent,
            rma_id=rma,
            reason=reason,
            swaps=swaps or None,
        )
    console.print(
        f"{refund.id}: {plain(refund.amount, refund.currency)} {refund.currency} {refund.status}"
        f" (approvals needed: {refund.approvals_needed})"
    )


@refunds_app.command("list")
@declares("refunds.read")
def list_refunds(status: str = typer.Option(""), order: str = typer.Option("")) -> None:
    """Refunds with their kind, amount, status and who asked for and approved them."""
    table = Table("id", "order", "kind", "amount", "status", "approved by", "requested by", "error")
    for r in refunds.list_refunds(status=status, order_id=order):
        table.add_row(
            r.id,
            r.order.external_id,
            r.kind,
            f"{plain(r.amount, r.currency)} {r.currency}",
            r.status,
            ", ".join(r.approved_by),
            r.requested_by,
            r.last_error[:40],
        )
    console.print(table)


@refunds_app.command()
@declares("refunds.approve")
def approve(refund_id: str, by: str = typer.Option(..., "--by", help=BY_HELP)) -> None:
    """Approve a refund as a finance user or ops manager (never one you requested), up to
    that user's approval limit."""
    with domain_errors():
        who = acting(by, "refunds.approve")
        refund = refunds.approve(refund_id, actor=who.actor, limit=who.refund_limit)
    console.print(
        f"{refund.id}: {refund.status} ({len(refund.approved_by)}/{refund.approvals_needed})"
    )


@refunds_app.command()
@declares("refunds.approve")
def reject(
    refund_id: str,
    note: str = typer.Option(""),
    by: str = typer.Option(..., "--by", help=BY_HELP),
) -> None:
    """Reject a refund as a finance user or ops manager, up to that user's approval limit."""
    with domain_errors():
        who = acting(by, "refunds.approve")
        refund = refunds.reject(refund_id, actor=who.actor, note=note, limit=who.refund_limit)
    console.print(f"{refund.id}: {refund.status}")


@refunds_app.command()
@declares("refunds.approve")
def retry(refund_id: str, by: str = typer.Option(..., "--by", help=BY_HELP)) -> None:
    """Try a failed refund again (a finance user or ops manager)."""
    with domain_errors():
        who = acting(by, "refunds.approve")
        refund = refunds.retry(refund_id, actor=who.actor)
    console.print(f"{refund.id}: queued again")
