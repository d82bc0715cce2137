"""``despatch picking``: route pick lists through a warehouse layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from despatch.cli.common import console, domain_errors, fail
from despatch.services import picking

app = typer.Typer(help="Pick lists and their routes.", no_args_is_help=True)


def read_json(path: Path, option: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"{option} {path}: {exc.strerror}", 2)
    except ValueError as exc:
        fail(f"{option} {path}: not JSON ({exc})", 2)


@app.command("route")
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
