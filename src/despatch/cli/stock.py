"""``despatch stock``: receive, adjust, levels, check."""

from __future__ import annotations

import typer
from rich.table import Table

from despatch.cli.access import cli_actor, declares
from despatch.cli.common import console, domain_errors, fail
from despatch.domain.inventory import MovementReason
from despatch.services import counts, inventory

app = typer.Typer(help="Stock levels and the movement ledger.", no_args_is_help=True)


@app.command()
@declares("stock.write")
def receive(
    sku: str = typer.Option(..., help="SKU code"),
    warehouse: str = typer.Option(..., help="warehouse code"),
    qty: int = typer.Option(..., help="units received"),
    reference: str = typer.Option("", help="e.g. the purchase order"),
) -> None:
    """Book goods in at a warehouse."""
    with domain_errors():
        level = inventory.receive_stock(
            sku=sku, warehouse=warehouse, quantity=qty, actor=cli_actor(), reference=reference
        )
    console.print(f"{sku} @ {warehouse}: on hand {level.on_hand}, reserved {level.reserved}")


@app.command()
@declares("stock.write")
def adjust(
    sku: str = typer.Option(...),
    warehouse: str = typer.Option(...),
    delta: int = typer.Option(..., help="+/- units"),
    note: str = typer.Option(..., help="why"),
    reason: MovementReason = typer.Option(MovementReason.ADJUSTMENT),
    reason_code: str = typer.Option(
        "", help="why: count_correction (default), damaged, found, lost, data_fix, ..."
    ),
) -> None:
    """Correct on-hand stock; refused if it would drop below what is reserved."""
    with domain_errors():
        level = inventory.adjust_stock(
            sku=sku,
            warehouse=warehouse,
            delta=delta,
            actor=cli_actor(),
            reason=reason,
            note=note,
            reason_code=reason_code,
        )
    console.print(f"{sku} @ {warehouse}: on hand {level.on_hand}, reserved {level.reserved}")


@app.command()
@declares("stock.read")
def levels(
    sku: str = typer.Option(""),
    warehouse: str = typer.Option(""),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Show stock per SKU and warehouse."""
    table = Table("SKU", "warehouse", "on hand", "reserved", "quarantined", "available")
    for r in inventory.levels(sku=sku, warehouse=warehouse)[:limit]:
        table.add_row(
            r.sku_id,
            r.warehouse_id,
            str(r.on_hand),
            str(r.reserved),
            str(r.quarantined),
            str(r.on_hand - r.reserved - r.quarantined),
        )
    console.print(table)


@app.command()
@declares("stock.write")
def check(
    repair: bool = typer.Option(
        False,
        "--repair",
        help="release reservations of finished orders and set reserved figures to the live "
        "reservations; on-hand drift is only reported (count the shelf)",
    ),
) -> None:
    """Prove the ledger: on hand = sum of movements, 0 <= reserved <= on hand, reserved =
    live reservations of open orders."""
    if repair:
        done = inventory.repair(actor=cli_actor())
        for line in done.released + done.corrected:
            console.print(f"[yellow]repaired[/] {line}")
    breaks = inventory.ledger_breaks()
    for b in breaks:
        console.print(f"[red]{b.sku} @ {b.warehouse}: {b.problem}[/]")
    if breaks:
        fail(f"{len(breaks)} ledger break(s)")
    console.print("[green]ledger consistent: no oversell, every level matches its movements[/]")


@app.command()
@declares("stock.write")
def count(
    sku: str = typer.Option(..., help="SKU code"),
    warehouse: str = typer.Option(..., help="warehouse code"),
    counted: int = typer.Option(..., help="units found on the shelf"),
    note: str = typer.Option("", help="e.g. the count sheet"),
) -> None:
    """Book a stock count: on hand becomes the counted units, even below what is reserved;
    the least urgent orders give back the shortfall and are re-sourced or backordered."""
    with domain_errors():
        done = counts.count_stock(
            sku=sku, warehouse=warehouse, counted=counted, actor=cli_actor(), note=note
        )
    console.print(
        f"{sku} @ {warehouse}: counted {done.counted} (was {done.before}), reserved {done.reserved}"
    )
    for s in done.short_orders:
        console.print(
            f"[yellow]went short[/] {s.channel} order {s.number}: gave back {s.units}, "
            f"now {s.status}"
        )
