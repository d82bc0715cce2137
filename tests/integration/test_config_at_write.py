"""Configuration stored in the database is checked when it is written: a bad warehouse,
calendar or location is refused naming the field, and the pipeline never meets it."""

import copy
import json
from pathlib import Path

from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.services import orders
from tests.conftest import make_draft


def test_a_warehouse_in_no_country_is_refused_and_orders_keep_flowing(api_call):
    status, body = api_call(
        "put", "/api/warehouses/ZZW", {"name": "Nowhere", "country": "ZZ", "priority": 0}
    )
    assert status == 422 and [e["field"] for e in body["errors"]] == ["country"]
    status, body = api_call("put", "/api/warehouses/LON", {"name": "London", "country": "ZZ"})
    assert status == 422 and body["errors"][0]["field"] == "country"
    status, body = api_call("put", "/api/warehouses/BAD", {"name": "x", "time_zone": "Mars/Base"})
    assert status == 422 and body["errors"][0]["field"] == "time_zone"
    status, listed = api_call("get", "/api/warehouses")
    assert [(w["code"], w["country"]) for w in listed] == [("LON", "GB"), ("NJ", "GB")]
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="t")
    worker.drain("t")
    assert orders.get_order(order.id).status == "allocated"


def test_a_channel_code_that_no_column_could_hold_is_refused_by_name(api_call):
    for code in ("x" * 33, "caf\u00e9\x10\r"):  # found by schemathesis: a 500 on PostgreSQL
        status, body = api_call("put", f"/api/channels/{code}", {"name": "Shop", "type": "api"})
        assert status == 422 and body["errors"][0]["field"] == "code"
    status, _ = api_call("put", "/api/channels/shop-2", {"name": "Shop", "type": "api"})
    assert status == 200


def test_the_cli_refuses_the_same_warehouse(shop):
    result = CliRunner().invoke(
        app, ["warehouses", "add", "ZZW", "--name", "No", "--country", "ZZ"]
    )
    assert result.exit_code != 0 and "country" in result.output
    result = CliRunner().invoke(app, ["warehouses", "add", "LON", "--name", "L", "--country", "x1"])
    assert result.exit_code != 0 and "country" in result.output


def test_a_bad_calendar_is_refused_through_the_api_and_the_cli(api_call, tmp_path):
    bad = {"working_days": ["funday"], "cutoffs": {"standard": "25:99"}}
    status, body = api_call("put", "/api/warehouses/LON/calendar", bad)
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {
        "calendar.working_days[0]",
        "calendar.cutoffs.standard",
    }
    (tmp_path / "cal.json").write_text(json.dumps({"holidays": {"country": "ZZ"}}))
    result = CliRunner().invoke(
        app, ["warehouses", "calendar", "LON", "--file", str(tmp_path / "cal.json")]
    )
    assert result.exit_code != 0 and "calendar.holidays.country" in result.output
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="t")
    worker.drain("t")
    assert orders.get_order(order.id).status == "allocated"


RATES = Path(__file__).parents[2] / "docs" / "examples" / "rates.json"


def test_a_bad_rate_card_is_refused_and_the_good_one_stays(api_call, tmp_path, monkeypatch):
    monkeypatch.setenv("DESPATCH_RATES", str(tmp_path / "rates.json"))
    good = json.loads(RATES.read_text())
    status, body = api_call("put", "/api/rates", good)
    assert status == 200 and body["services"], body
    bad = copy.deepcopy(good)
    bad["carriers"][0]["services"][0]["currency"] = "XXX1"
    bad["carriers"][0]["services"][0]["bands"][0] = "cheap"
    bad["carriers"][1]["tracking"] = ["not", "an", "object"]
    status, body = api_call("put", "/api/rates", bad)
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {
        "carriers[0].services[0].currency",
        "carriers[0].services[0].bands[0]",
        "carriers[1].tracking",
    }
    assert json.loads((tmp_path / "rates.json").read_text()) == good  # never replaced
    status, body = api_call("put", "/api/rates", {"carriers": [{"code": "x"}]})
    assert status == 422 and body["errors"][0]["field"] == "carriers"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    result = CliRunner().invoke(app, ["shipping", "rates", str(tmp_path / "bad.json")])
    assert result.exit_code != 0 and "carriers[0].services[0].currency" in result.output
    assert json.loads((tmp_path / "rates.json").read_text()) == good
    result = CliRunner().invoke(app, ["shipping", "rates", str(RATES)])
    assert result.exit_code == 0, result.output
