"""Catalogue, warehouses and the outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from despatch.cli.access import cli_actor, declares
from despatch.cli.common import (
    actor_of,
    by_option,
    console,
    domain_errors,
    err,
    fail,
    progress_bar,
)
from despatch.domain.calendars import day_text
from despatch.integrations import catalogue_csv
from despatch.services import calendars, catalogue, outbox, picking

skus = typer.Typer(help="The SKU catalogue.", no_args_is_help=True)
warehouses = typer.Typer(help="Warehouses.", no_args_is_help=True)
outbox_app = typer.Typer(
    help="The event outbox: status, dead events, retries.", no_args_is_help=True
)


@skus.command("import")
@declares("catalogue.write")
def import_skus(
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    batch: int = typer.Option(500, min=1, max=10_000, help="rows per transaction"),
    encoding: str = typer.Option(
        "", help="text encoding, e.g. cp1252; default: UTF-8 (BOM or not), else Windows-1252"
    ),
    delimiter: str = typer.Option("", help="delimiter: , ; tab or |; default: sniffed"),
    by: str = by_option(),
) -> None:
    """Import the catalogue CSV (sku,name,gtin,length_mm,width_mm,height_mm,weight_g[,flags]).
    Bad rows are reported with row number and field; good rows are kept."""
    with domain_errors():
        records, errors = catalogue_csv.parse(path, encoding=encoding, delimiter=delimiter)
    created = updated = 0
    with progress_bar(f"importing {path.name}", len(records)) as advance:
        for start in range(0, len(records), batch):
            chunk = records[start : start + batch]
            c, u = catalogue.upsert_skus(
                (catalogue.SkuRow(**r.__dict__) for r in chunk), actor=actor_of(by)
            )
            created, updated = created + c, updated + u
            advance(len(chunk))
    for e in errors:
        err.print(f"[red]{path.name}: {e}[/]")
    console.print(f"{created} created, {updated} updated, {len(errors)} row error(s)")
    if errors:
        raise typer.Exit(1)


@skus.command("list")
@declares("catalogue.read")
def list_skus(
    q: str = typer.Option("", help="search code or name"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    table = Table("SKU", "name", "GTIN", "LxWxH mm", "g", "flags")
    for s in catalogue.skus(q)[:limit]:
        table.add_row(
            s.code,
            s.name,
            s.gtin,
            f"{s.length_mm}x{s.width_mm}x{s.height_mm}",
            str(s.weight_g),
            ",".join(s.flags),
        )
    console.print(table)


@warehouses.command("add")
@declares("warehouses.manage")
def add_warehouse(
    code: str,
    name: str = typer.Option(...),
    tz: str = typer.Option("UTC"),
    country: str = typer.Option("GB"),
    priority: int = typer.Option(100),
) -> None:
    """Create or update a warehouse."""
    with domain_errors():
        catalogue.upsert_warehouse(
            code=code,
            name=name,
            time_zone=tz,
            country=country,
            priority=priority,
            actor=cli_actor(),
        )
    console.print(f"warehouse {code} saved")


@warehouses.command("layout")
@declares("warehouses.manage")
def set_layout(
    code: str,
    file: Path = typer.Option(..., "--file", exists=True, dir_okay=False, help="LAYOUT.json"),
) -> None:
    """Load the warehouse's layout (the format of ``despatch picking route --layout``)."""
    from despatch.cli.picking import read_json

    with domain_errors():
        layout = picking.set_layout(code, read_json(file, "--file"), actor=cli_actor())
    console.print(
        f"{code}: {len(layout.aisle_x)} aisles x {layout.bins_per_side} bins a side, "
        f"depot at ({layout.depot_x:g}, {layout.depot_y:g})"
    )


@warehouses.command("calendar")
@declares("warehouses.manage")
def set_calendar(
    code: str,
    file: Path = typer.Option(..., "--file", exists=True, dir_okay=False, help="CALENDAR.json"),
) -> None:
    """Set working days, public holidays, closed dates, cut-offs and transit days
    (docs/rules.md#calendars)."""
    from despatch.cli.picking import read_json

    with domain_errors():
        warehouse = calendars.set_calendar(code, read_json(file, "--file"), actor=cli_actor())
    console.print(f"calendar of {code} saved: {json.dumps(warehouse.calendar)}")


@warehouses.command("location")
@declares("warehouses.manage")
def set_location(
    code: str,
    file: Path = typer.Option(..., "--file", exists=True, dir_okay=False, help="LOCATION.json"),
) -> None:
    """Set the countries a warehouse serves and its parcel costs (for nearest and cheapest
    sourcing)."""
    from despatch.cli.picking import read_json

    with domain_errors():
        warehouse = calendars.set_location(code, read_json(file, "--file"), actor=cli_actor())
    console.print(f"location of {code} saved: {json.dumps(warehouse.location)}")


@warehouses.command("promise")
@declares("catalogue.read")
def promise(
    code: str,
    at: datetime = typer.Option(
        None, help="when the order is ready, in the warehouse's time zone (default: now)"
    ),
    service: str = typer.Option("standard"),
) -> None:
    """When an order ready at ``--at`` would ship and arrive: try a calendar before relying
    on it."""
    moment = at or datetime.now(UTC)
    with domain_errors():
        p = calendars.promise_from(code, moment, service)
    console.print(f"ships {day_text(p.ship_by)}, arrives by {day_text(p.deliver_by)}")
    console.print(f"  {p.reason}; {p.transit_days} working day(s) in transit")


@warehouses.command("locations")
@declares("warehouses.manage")
def set_locations(
    code: str,
    file: Path = typer.Option(..., "--file", exists=True, dir_okay=False, help="CSV: sku,location"),
) -> None:
    """Set the bin each SKU is picked from (``A03-B17-R``), from a CSV with sku,location."""
    import csv

    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"sku", "location"} <= set(reader.fieldnames):
            fail(f"{file}: the header must name the columns sku and location", 2)
        rows = [((r["sku"] or "").strip(), (r["location"] or "").strip()) for r in reader]
    with domain_errors():
        count = picking.set_locations(code, rows, actor=cli_actor())
    console.print(f"{count} bins saved for {code}")


@warehouses.command("list")
@declares("catalogue.read")
def list_warehouses() -> None:
    table = Table("code", "name", "time zone", "country", "priority")
    for w in catalogue.warehouses():
        table.add_row(w.code, w.name, w.time_zone, w.country, str(w.priority))
    console.print(table)


@outbox_app.command("status")
@declares("outbox.manage")
def outbox_status() -> None:
    """Events by status, the lag (how long the oldest due pipeline event has waited), the
    dead count, the senders' backlog (deliveries retrying) and the oldest pending event."""
    counts = outbox.counts()
    for status in ("pending", "done", "dead"):
        console.print(f"{status:8} {counts.get(status, 0)}")
    console.print(f"lag      {outbox.lag().total_seconds():.1f} s")
    senders = outbox.senders()
    console.print(
        f"senders  {senders.pending} pending, {senders.retrying} deliveries retrying", markup=False
    )
    if senders.last_error:
        console.print(f"  latest error: {senders.last_error}", markup=False)
    oldest = outbox.oldest_pending()
    if oldest is None:
        console.print("oldest pending: none")
        return
    console.print(
        f"oldest pending: #{oldest.id} {oldest.topic} {oldest.key} "
        f"created {oldest.created_at:%Y-%m-%d %H:%M:%S}, due {oldest.available_at:%H:%M:%S}, "
        f"attempts {oldest.attempts}",
        markup=False,
    )
    if oldest.last_error:
        console.print(f"  last error: {oldest.last_error.strip().splitlines()[-1]}", markup=False)


@outbox_app.command("dead")
@declares("outbox.manage")
def dead(limit: int = typer.Option(20, min=1, max=1000)) -> None:
    """Events that failed every retry, with their last error."""
    for e in outbox.dead_events(limit):
        console.print(
            f"[red]#{e.id}[/] {e.topic} {e.key} after {e.attempts} attempts: "
            f"{(e.last_error.strip().splitlines() or [''])[-1]}"
        )


@outbox_app.command("retry")
@declares("outbox.manage")
def retry(event_id: int) -> None:
    """Send a dead event round again."""
    if not outbox.retry_dead(event_id):
        fail(f"event {event_id} is not dead (or does not exist): see despatch outbox dead")
    console.print(f"event {event_id} queued again")
