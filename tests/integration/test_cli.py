import json
import re

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.services import orders

runner = CliRunner()

SKUS = (
    "sku,name,gtin,length_mm,width_mm,height_mm,weight_g,flags\n"
    "A,Apple,,10,10,10,100,\nB,Box,5000000000011,200,100,50,400,fragile\n"
)
ORDERS = (
    "external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,ship_postcode,"
    "ship_country\n"
    "C-1,GBP,A,2,3.50,Jo,1 St,Leeds,LS1 4DY,GB\n"
    "C-1,GBP,B,1,10,Jo,1 St,Leeds,LS1 4DY,GB\n"
    "C-2,GBP,A,x,3.50,Jo,1 St,Leeds,LS1 4DY,GB\n"
    "C-3,GBP,GHOST,1,3.50,Jo,1 St,Leeds,LS1 4DY,GB\n"
)


def invoke(*args):
    return runner.invoke(app, list(args))


@pytest.mark.django_db
def test_import_skus_orders_and_show_one(tmp_path):
    (tmp_path / "skus.csv").write_text(SKUS)
    (tmp_path / "orders.csv").write_text(ORDERS)
    result = invoke("skus", "import", str(tmp_path / "skus.csv"))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 row error(s)" in result.output
    assert (
        invoke("warehouses", "add", "LON", "--name", "London", "--tz", "Europe/London").exit_code
        == 0
    )
    assert (
        invoke("stock", "receive", "--sku", "A", "--warehouse", "LON", "--qty", "5").exit_code == 0
    )
    assert (
        invoke("stock", "receive", "--sku", "B", "--warehouse", "LON", "--qty", "5").exit_code == 0
    )

    result = invoke("orders", "import", "--channel", "csv", str(tmp_path / "orders.csv"))
    assert result.exit_code == 1  # one row was bad
    assert "row 4, quantity: 'x' is not a whole number" in result.output
    assert "2 created, 0 already received, 1 row error(s)" in result.output

    again = invoke("orders", "import", "--channel", "csv", str(tmp_path / "orders.csv"))
    assert "0 created, 2 already received" in again.output

    assert invoke("worker", "--drain").exit_code == 0
    result = invoke("orders", "show", "--channel", "csv", "--external-id", "C-1", "--json")
    shown = json.loads(result.output)
    assert shown["status"] == "allocated" and shown["total"] == "17.00"
    held = orders.find_order("csv", "C-3")
    assert (held.status, held.hold_reason) == ("on_hold", "unknown_sku")
    assert invoke("stock", "check").exit_code == 0


@pytest.mark.django_db
def test_errors_are_precise_and_exit_non_zero():
    result = invoke("stock", "receive", "--sku", "NOPE", "--warehouse", "X", "--qty", "1")
    assert result.exit_code == 1
    assert (
        "sku: unknown SKU 'NOPE'" in result.output
        and "warehouse: unknown warehouse 'X'" in result.output
    )
    result = invoke("orders", "show", "ord_missing")
    assert result.exit_code == 1 and "order 'ord_missing' does not exist" in result.output
    assert invoke("orders", "show").exit_code == 2


@pytest.mark.django_db
def test_demo_runs_the_pipeline_and_reports_no_oversell(settings, tmp_path):
    settings.HOME = tmp_path  # the demo writes its cartons and rate card there
    result = invoke("demo", "--orders", "80", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "oversells: 0 · ledger breaks: 0" in result.output
    assert "│ On hold " in result.output and "on_hold" not in result.output  # statuses in words
    assert "received → allocated: p50" in result.output
    assert orders.list_orders().count() == 80 + 3  # and three orders a person must look at
    assert orders.list_orders(status="on_hold").count() >= 3
    assert "  picker / orchid-trolley-18  (role picker)" in result.output
    assert "log in at the app once `despatch serve` runs" in result.output  # nothing served here
    assert "http://127.0.0.1:8000/" not in result.output
    assert re.search(r"wave wav_\w+ released: \d+ pick lists at /pick/", result.output)
    assert {p.name for p in tmp_path.iterdir()} >= {"cartons.csv", "rates.json"}
    assert orders.list_orders(status="received").count() == 0


def test_picking_route_prints_each_list_and_refuses_bad_locations(tmp_path):
    import json as _json
    from pathlib import Path as _Path

    from typer.testing import CliRunner as _Runner

    from despatch.cli.app import app as _app

    examples = _Path(__file__).parents[2] / "docs" / "examples"
    runner = _Runner()
    args = ["picking", "route", "--layout", str(examples / "layout.json")]
    shown = runner.invoke(_app, [*args, "--picks", str(examples / "picks.json"), "--json"])
    assert shown.exit_code == 0, shown.output
    first, second = _json.loads(shown.output)["pick_lists"]
    assert first["pick_list_id"] == "PL-1" and first["method"] == "optimal"
    assert first["length_m"] == min(first["lengths_m"].values()) == 90.0
    assert second["sequence"] == ["A04-B10-L"] and second["length_m"] == 42.0
    text = runner.invoke(
        _app, [*args, "--picks", str(examples / "picks.json"), "--method", "s-shape"]
    )
    assert "PL-1: 120.0 m by s-shape" in text.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"pick_lists": [{"pick_list_id": "x", "locations": ["A9-B1-L"]}]}')
    refused = runner.invoke(_app, [*args, "--picks", str(bad)])
    assert refused.exit_code == 1 and "pick_lists[0].locations[0]" in refused.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert runner.invoke(_app, [*args, "--picks", str(broken)]).exit_code == 2


def test_packing_choose_reports_cartons_parcels_and_misfits(tmp_path):
    import json as _json
    from pathlib import Path as _Path

    from typer.testing import CliRunner as _Runner

    from despatch.cli.app import app as _app

    examples = _Path(__file__).parents[2] / "docs" / "examples"
    runner = _Runner()
    args = ["packing", "choose", "--cartons", str(examples / "cartons.csv")]
    shown = runner.invoke(_app, [*args, "--orders", str(examples / "orders.json"), "--json"])
    assert shown.exit_code == 0, shown.output
    orders = {o["order_id"]: o for o in _json.loads(shown.output)["orders"]}
    assert orders["1001"]["carton_id"] == "M" and orders["1001"]["fits_one_carton"]
    assert orders["1002"]["unfit"] == [{"sku": "WINE", "reason": "fits no carton standing upright"}]
    assert orders["1003"]["carton_id"] == "T"
    assert [p["carton_id"] for p in orders["1004"]["parcels"]] == ["L", "L"]
    assert all(p["content_weight_g"] <= 20000 for p in orders["1004"]["parcels"])
    by_cost = runner.invoke(
        _app, [*args, "--orders", str(examples / "orders.json"), "--by", "cost"]
    )
    assert by_cost.exit_code == 0 and "parcel 1 of 2" in by_cost.output
    bad_cartons = tmp_path / "c.csv"
    bad_cartons.write_text(
        "carton_id,name,inner_length_mm,inner_width_mm,inner_height_mm,max_content_weight_g,cost\nX,x,10,abc,5,100,1\n"
    )
    refused = runner.invoke(
        _app,
        [
            "packing",
            "choose",
            "--cartons",
            str(bad_cartons),
            "--orders",
            str(examples / "orders.json"),
        ],
    )
    assert refused.exit_code == 1 and "row 2.inner_width_mm" in refused.output
    bad_orders = tmp_path / "o.json"
    bad_orders.write_text('{"orders": [{"order_id": "9", "lines": [{"sku": "A", "qty": 0}]}]}')
    refused = runner.invoke(_app, [*args, "--orders", str(bad_orders)])
    assert refused.exit_code == 1 and "orders[0].lines[0].qty" in refused.output
