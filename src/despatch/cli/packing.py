"""``despatch packing``: box choice for orders."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from despatch.cli.access import cli_actor, declares, local
from despatch.cli.common import console, domain_errors, fail
from despatch.cli.picking import read_json
from despatch.services import fulfillment, packing

app = typer.Typer(help="Packing: cartons for orders.", no_args_is_help=True)


@app.command("choose")
@local("computes cartons from files; stores nothing")
def choose(
    cartons: Path = typer.Option(..., "--cartons", help="CARTONS.csv: the carton list"),
    orders: Path = typer.Option(..., "--orders", help='ORDERS.json: {"orders": [...]}'),
    by: str = typer.Option("volume", help="volume (smallest carton) or cost (cheapest)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Choose the carton for each order: every item fits (upright items stay upright) within
    the carton's weight limit; an order that fits no single carton is split into parcels, and
    an item that fits no carton is named."""
    try:
        carton_text = cartons.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"--cartons {cartons}: {exc.strerror}", 2)
    with domain_errors():
        results = packing.choose_boxes(carton_text, read_json(orders, "--orders"), by)
    if as_json:
        print(json.dumps({"by": by, "orders": [packing.as_json(r) for r in results]}, indent=2))
        return
    table = Table("order", "carton", "items", "weight g", "fill", "note")
    for r in results:
        choice = r.choice
        for n, p in enumerate(choice.parcels, start=1):
            note = "" if choice.single else f"parcel {n} of {len(choice.parcels)}"
            table.add_row(
                r.order_id,
                f"{p.carton.carton_id} ({p.carton.name})",
                ", ".join(pl.item.sku for pl in p.placements),
                str(p.weight_g),
                f"{100 * p.fill:.0f}%",
                note,
            )
        for item, why in choice.unfit:
            table.add_row(r.order_id, "-", item.sku, str(item.weight_g), "", f"[red]{why}[/red]")
    console.print(table)


@app.command("pack")
@declares("packing.work")
def pack(
    shipment_id: str,
    weight_g: int = typer.Option(..., "--weight-g", min=0, help="what the scale reads"),
    carton: str = typer.Option("", help="carton used (default: the recommended one)"),
    cartons: Path | None = typer.Option(
        None,
        "--cartons",
        help="CARTONS.csv (default: $DESPATCH_CARTONS or $DESPATCH_HOME/cartons.csv)",
    ),
) -> None:
    """Pack a picked shipment at the bench, through the weight gate."""
    with domain_errors():
        fulfillment.ready_to_pack(shipment_id)  # a parcel not picked is refused before weighing
        carton_list = packing.load_cartons(cartons)
        if not carton:
            choice = packing.recommend(shipment_id, carton_list)
            if not choice.single:
                fail(f"{shipment_id} fits no single carton: name the carton with --carton", 1)
            carton = choice.parcels[0].carton.carton_id
        shipment = packing.pack_at_bench(
            shipment_id,
            weighed_g=weight_g,
            carton_id=carton,
            actor=cli_actor(),
            cartons=carton_list,
        )
    console.print(f"{shipment.id}: packed in {carton}, {weight_g} g")
