"""despatch packing choose --by cost: an order that fits no single carton is split the
cheapest way."""

import json

from typer.testing import CliRunner

from despatch.cli.app import app

CARTONS = (
    "carton_id,name,inner_length_mm,inner_width_mm,inner_height_mm,max_content_weight_g,cost\n"
    "SMALL,Small cube,310,310,310,20000,1.20\n"
    "BIG,Double,610,310,310,20000,5.00\n"
)


def test_the_split_by_cost_is_the_cheapest_and_says_what_it_costs(tmp_path):
    cube = {"qty": 1, "length_mm": 300, "width_mm": 300, "height_mm": 300, "weight_g": 1000}
    lines = [{**cube, "sku": f"CUBE{i}"} for i in range(3)]
    (tmp_path / "cartons.csv").write_text(CARTONS)
    (tmp_path / "orders.json").write_text(
        json.dumps({"orders": [{"order_id": "9", "lines": lines}]})
    )
    args = ["packing", "choose", "--cartons", str(tmp_path / "cartons.csv")]
    args += ["--orders", str(tmp_path / "orders.json"), "--json"]
    runner = CliRunner()
    by_cost = runner.invoke(app, [*args, "--by", "cost"])
    assert by_cost.exit_code == 0, by_cost.output
    (order,) = json.loads(by_cost.output)["orders"]
    assert [p["carton_id"] for p in order["parcels"]] == ["SMALL", "SMALL", "SMALL"]
    assert sorted(sku for p in order["parcels"] for sku in p["items"]) == [
        "CUBE0",
        "CUBE1",
        "CUBE2",
    ]
    by_volume = runner.invoke(app, args)
    (order,) = json.loads(by_volume.output)["orders"]
    assert sum(float(p["cost"]) for p in order["parcels"]) == 6.20  # BIG + SMALL: fewer parcels
