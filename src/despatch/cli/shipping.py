"""``despatch shipping``: rates, labels and tracking numbers."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from despatch.cli.access import acting, cli_actor, declares
from despatch.cli.common import actor_of, by_option, console, domain_errors, fail, read_utf8
from despatch.domain.rates import Parcel, Service, read_rate_card, shop
from despatch.domain.wording import parcels_despatched
from despatch.services import cancellations, manifests, shipping, tracking, write_backs

app = typer.Typer(help="Carriers: rate shopping, labels, tracking numbers.", no_args_is_help=True)

RATES_HELP = "rate card JSON (default: $DESPATCH_RATES or $DESPATCH_HOME/rates.json)"


def _date(value: str, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date like 2026-11-24", 2)


@app.command("rate")
@declares("catalogue.read")
def rate(
    to: str = typer.Option(..., "--to", help="destination country, ISO 3166 alpha-2"),
    postcode: str = typer.Option("", help="destination postcode"),
    weight_g: int = typer.Option(..., "--weight-g", min=1, help="parcel weight in grams"),
    dims: str = typer.Option("", help="parcel size in mm, LxWxH, e.g. 300x200x100"),
    ship_date: str = typer.Option("", help="day it leaves (default: today)"),
    deliver_by: str = typer.Option("", help="promised delivery date"),
    rates: Path | None = typer.Option(None, "--rates", help=RATES_HELP),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Quote every service for a parcel and pick the cheapest that arrives in time."""
    size = [0, 0, 0]
    if dims:
        if not re.fullmatch(r"\d+x\d+x\d+", dims):
            fail(f"--dims: {dims!r} is not LxWxH in mm, e.g. 300x200x100", 2)
        size = [int(n) for n in dims.split("x")]
    with domain_errors():
        services = shipping.load_rates(rates)
        result = shop(
            services,
            Parcel(weight_g, *size),
            to.upper(),
            postcode,
            _date(ship_date, "--ship-date") or date.today(),
            _date(deliver_by, "--deliver-by"),
        )
    if as_json:
        print(json.dumps(shipping.as_dict(result), indent=2))
        return
    table = Table("carrier/service", "price", "arrives", "zone")
    for q in result.quotes:
        mark = " ✓" if q is result.chosen else ""
        table.add_row(
            f"{q.service.carrier}/{q.service.code}{mark}",
            f"{q.price.amount} {q.price.currency}",
            q.delivery_date.isoformat(),
            q.zone,
        )
    console.print(table)
    for line in result.reasons:
        console.print(f"  {line}")
    if result.chosen is None:
        fail("no service takes this parcel in time", 1)


@app.command("rates")
@declares("warehouses.manage", shared="rates")
def set_rates(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the new rate card JSON"),
    check: bool = typer.Option(
        False, "--check", help="only check the card and show what it would install"
    ),
    by: str = by_option(),
) -> None:
    """Check a rate card and install it as the one labels are bought with ($DESPATCH_RATES or
    $DESPATCH_HOME/rates.json). A card with any wrong field is refused, naming each. With
    --check nothing is installed: the card's services are listed and the live card stays."""
    from despatch.cli.picking import read_json

    with domain_errors():
        data = read_json(file, "FILE")
        if check:
            _show_card(read_rate_card(data))
            return
        services = shipping.set_rate_card(data, actor=actor_of(by))
    console.print(f"rate card installed: {len(services)} service(s) at {shipping.rates_path()}")


def _show_card(services: list[Service]) -> None:
    table = Table("carrier", "service", "name", "currency", "days", "zones", "bands")
    for s in services:
        zones = ", ".join(z.name for z in s.zones)
        table.add_row(
            s.carrier, s.code, s.name, s.currency, str(s.transit_days), zones, str(len(s.bands))
        )
    console.print(table)
    console.print(
        f"the card is good: {len(services)} service(s); nothing installed "
        f"(the live card at {shipping.rates_path()} stays; run again without --check to install)"
    )


@app.command("label")
@declares("labels.print")
def label(
    shipment_id: str,
    rates: Path | None = typer.Option(None, "--rates", help=RATES_HELP),
    extra_weight_g: int = typer.Option(0, min=0, help="carton and packing weight"),
) -> None:
    """Buy the label for a shipment: cheapest service in time, tracking number, PDF and ZPL."""
    with domain_errors():
        done = shipping.buy_label(
            shipment_id,
            actor=cli_actor(),
            services=shipping.load_rates(rates),
            extra_weight_g=extra_weight_g,
        )
    s = done.shipment
    state = "already bought" if done.shopping is None else "bought"
    console.print(
        f"{s.id}: label {state}: {s.carrier}/{s.service} {s.tracking_number} "
        f"({s.shipping_cost} {s.shipping_currency}, {s.weight_g} g)"
    )
    for kind, path in done.files.items():
        console.print(f"  {kind}: {path}")


@app.command("check-tracking")
@declares("shipping.work")
def check_tracking(
    numbers: list[str] = typer.Argument(..., help="tracking numbers (spaces and hyphens allowed)"),
    carrier: str = typer.Option(
        "", "--carrier", help="dhl, fedex, usps or ups: only that carrier's schemes"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Say which scheme each tracking number follows (DHL Express, FedEx Express or Ground,
    USPS IMpb, UPS 1Z, UPU S10) and whether its check digit (and an S10 number's country) is
    right. Exits 1 when any number is wrong, naming why."""
    results = [tracking.check_number(number, carrier) for number in numbers]
    if as_json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        for result in results:
            verdict = "valid" if result.valid else f"invalid: {result.reason}"
            console.print(
                f"{result.number}: {result.scheme}, {verdict}", highlight=False, soft_wrap=True
            )
    if not all(r.valid for r in results):
        raise typer.Exit(1)


@app.command("manifest")
@declares("shipping.work")
def manifest(
    carrier: str = typer.Option(..., "--carrier", help="carrier code from the rate card"),
    warehouse: str = typer.Option(..., "--warehouse", help="warehouse code"),
    by: str = by_option(),
) -> None:
    """Close the day for a carrier: its packed, labelled parcels are despatched and listed on a
    manifest (CSV and PDF) for the driver to sign. --by USER: USER's scope must reach the
    warehouse."""
    with domain_errors():
        if by:
            acting(by, "shipping.work").require_warehouse(warehouse, "shipping.work")
        closed = manifests.close(carrier, warehouse, actor=actor_of(by))
    console.print(
        f"{parcels_despatched(len(closed.shipments), carrier)} (manifest {closed.manifest.id})"
    )
    for kind, path in closed.files.items():
        console.print(f"  {kind}: {path}")


@app.command("tracking-import")
@declares("shipping.work")
def tracking_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file"),
    carrier: str = typer.Option(..., "--carrier", help="carrier code"),
) -> None:
    """Record carrier events from a CSV with tracking_number,status,occurred_at[,location];
    each row is reported: its status, duplicate, or the error."""
    with domain_errors():
        rows = tracking.import_csv(carrier, read_utf8(file, "FILE"))
    failed = 0
    for r in rows:
        console.print(f"row {r.row}: {r.outcome}")
        failed += r.outcome.startswith("error")
    console.print(f"{len(rows) - failed} recorded or already known, {failed} refused")
    if failed:
        raise typer.Exit(1)


@app.command("intercept")
@declares("shipping.work")
def intercept(
    shipment_id: str,
    reason: str = typer.Option("customer_request", help="a cancel reason code"),
    note: str = typer.Option("", help="what the customer said"),
) -> None:
    """Ask the carrier to stop a despatched parcel: opens an intercept case for shipping."""
    with domain_errors():
        shipment = cancellations.request_intercept(
            shipment_id, actor=cli_actor(), reason=reason, note=note
        )
    console.print(f"intercept requested for {shipment.id} ({shipment.tracking_number})")


@app.command("tell-channel")
@declares("shipping.work")
def tell_channel(shipment_id: str) -> None:
    """Tell the order's channel again that a despatched shipment left, with its lines and
    tracking number (after fixing what the platform refused; the worker does it at despatch)."""
    with domain_errors():
        outcome = write_backs.tell_again(shipment_id, actor=cli_actor())
    if outcome == "refused":
        fail(f"{shipment_id}: the channel refused it again; see despatch exceptions list", 1)
    console.print(f"{shipment_id}: {outcome.replace('_', ' ')}")


@app.command("warn-late")
@declares("shipping.work")
def warn_late() -> None:
    """Find despatched parcels past their promised date (the worker does it every timer tick)."""
    late = tracking.warn_late()
    console.print(f"{len(late)} shipment(s) newly late" + (": " + ", ".join(late) if late else ""))


@app.command("put-away")
@declares("picking.work")
def put_away(
    warehouse: str = typer.Option("", help="only this warehouse"),
    done: str = typer.Option("", help="mark this task done"),
    location: str = typer.Option("", help="with --done: the bin scanned"),
) -> None:
    """Units to return to their bins (from cancelled picks), or mark one done."""
    with domain_errors():
        if done:
            task = cancellations.complete_put_away(done, actor=cli_actor(), location=location)
            console.print(f"{task.id} done: {task.quantity} x {task.sku_id} in {task.location}")
            return
        tasks = cancellations.put_away_tasks(warehouse=warehouse)
    table = Table("id", "warehouse", "sku", "bin", "units", "reason", "order")
    for t in tasks:
        table.add_row(
            t.id, t.warehouse_id, t.sku_id, t.location, str(t.quantity), t.reason, t.order_id
        )
    console.print(table)
