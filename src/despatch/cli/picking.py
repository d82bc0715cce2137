"""``despatch picking``: route pick lists through a warehouse layout."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from despatch.cli.access import cli_actor, declares, local
from despatch.cli.common import console, domain_errors, fail, read_utf8
from despatch.domain.errors import ValidationFailed
from despatch.services import picking, waves

app = typer.Typer(help="Pick lists and their routes.", no_args_is_help=True)


def read_json(path: Path, option: str) -> Any:
    text = read_utf8(path, option)
    try:
        return json.loads(text)
    except ValueError as exc:
        fail(f"{option} {path}: not JSON ({exc})", 2)
    except RecursionError:
        fail(f"{option} {path}: not JSON (nested too deeply)", 2)


@app.command("route")
@local("computes routes from files; stores nothing")
def route(
    layout: Path = typer.Option(..., "--layout", help="LAYOUT.json: a single-block warehouse"),
    picks: Path = typer.Option(..., "--picks", help='PICKS.json: {"pick_lists": [...]}'),
    method: str = typer.Option(
        "best", help="s-shape, largest-gap, optimal, or best (the shortest of the three)"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Sequence each pick list along its route and give the walking distance in metres.

    Travel follows aisle and cross-aisle centre lines, both sides of an aisle are picked from
    its centre line, and every route starts and ends at the depot."""
    with domain_errors():
        planned = picking.plan_routes(
            read_json(layout, "--layout"), read_json(picks, "--picks"), method
        )
    if as_json:
        out = {
            "method": method,
            "pick_lists": [
                {
                    "pick_list_id": p.pick_list_id,
                    "method": p.route.method,
                    "length_m": p.route.length_m,
                    "sequence": list(p.route.sequence),
                    "lengths_m": p.lengths,
                }
                for p in planned
            ],
        }
        print(json.dumps(out, indent=2))
        return
    for p in planned:
        title = f"{p.pick_list_id}: {p.route.length_m:.1f} m by {p.route.method}"
        if len(p.lengths) > 1:
            title += " (" + ", ".join(f"{m} {v:.1f} m" for m, v in p.lengths.items()) + ")"
        console.print(f"[bold]{title}[/]", soft_wrap=True)
        table = Table("#", "location")
        for n, code in enumerate(p.route.sequence, start=1):
            table.add_row(str(n), code)
        console.print(table)


def _day(text: str) -> date | None:
    """``--ship-by``'s day, or None when not given."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed.single(
            "ship_by", f"{text!r} is not a date (YYYY-MM-DD)", "invalid"
        ) from None


@app.command("release")
@declares("picking.release")
def release(
    warehouse: str = typer.Option(..., "--warehouse", help="warehouse code"),
    max_orders: int = typer.Option(20, min=1, help="shipments per pick list"),
    max_lines: int = typer.Option(100, min=1, help="lines per pick list"),
    max_units: int = typer.Option(0, min=0, help="units a tote takes (0: no bound)"),
    tote_litres: float = typer.Option(0, min=0, help="litres a tote holds (0: no bound)"),
    single_lines: int = typer.Option(
        0, min=0, help="shipments with at least this many lines are picked alone (0: never)"
    ),
    zones: bool = typer.Option(False, "--zones", help="one list per zone of the layout"),
    service: str = typer.Option("", help="only orders asking for this service"),
    method: str = typer.Option("best", help="routing: s-shape, largest-gap, optimal, best"),
    max_lists: int = typer.Option(0, min=0, max=1000, help="batches to release (0: all)"),
    ship_by: str = typer.Option(
        "", help="only shipments due to ship by this day (YYYY-MM-DD)", metavar="DAY"
    ),
) -> None:
    """Release a wave: allocated shipments, most urgent first, into routed pick lists, in
    batches bounded by shipments, lines, units and tote volume (or one list per zone)."""
    with domain_errors():
        report = waves.release(
            warehouse,
            actor=cli_actor(),
            max_orders=max_orders,
            max_lines=max_lines,
            max_units=max_units,
            tote_litres=tote_litres,
            single_lines=single_lines,
            zones=zones,
            service=service,
            method=method,
            max_lists=max_lists,
            ship_by=_day(ship_by),
        )
    table = Table("pick list", "zone", "batch", "tasks", "walk", "method")
    for pl in report.pick_lists:
        table.add_row(
            pl.id,
            pl.zone or "-",
            pl.batch or "-",
            str(pl.tasks.count()),
            f"{pl.length_m:.1f} m",
            pl.method,
        )
    console.print(f"wave {report.wave}: {len(report.pick_lists)} pick lists")
    console.print(table)
    for shipment, why in report.skipped.items():
        console.print(f"[yellow]left out {shipment}: {why}[/yellow]")


@app.command("show")
@declares("picking.work")
def show(
    pick_list_id: str,
    pdf: Path | None = typer.Option(None, "--pdf", help="also write the printable pick list"),
) -> None:
    """A pick list's tasks in walking order."""
    with domain_errors():
        pick_list = picking.get_pick_list(pick_list_id)
        if pdf is not None:
            pdf.write_bytes(picking.pick_list_pdf(pick_list_id))
            console.print(f"written: {pdf}")
    console.print(
        f"{pick_list.id} ({pick_list.status}), {pick_list.length_m:.1f} m by {pick_list.method}"
    )
    table = Table("#", "bin", "sku", "qty", "picked", "status", "shipment")
    for t in pick_list.tasks.all():
        table.add_row(
            str(t.seq),
            t.location,
            t.sku_id,
            str(t.quantity),
            str(t.picked),
            t.status,
            t.shipment_id,
        )
    console.print(table)
