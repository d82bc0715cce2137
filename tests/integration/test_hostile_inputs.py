"""Hostile input at every edge gets a clear refusal naming the field, never a 500 or a
traceback, and changes nothing: found by attacking a running server and the command line on
SQLite and PostgreSQL (where column widths and text encodings are enforced)."""

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import StaffAccess
from despatch.services import inventory, orders, tokens

ORDER = {
    "external_id": "H-1",
    "currency": "GBP",
    "lines": [{"sku": "A", "quantity": 1, "unit_price": "1.00"}],
    "shipping_address": {
        "name": "Jo",
        "line1": "1 High St",
        "city": "Leeds",
        "postcode": "LS1 4DY",
        "country": "GB",
    },
}


class Said:
    """What a command said, its lines unwrapped (Rich folds long ones), and its exit code."""

    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code, self.output = exit_code, output


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return Said(result.exit_code, " ".join(result.output.split()))


def test_half_a_surrogate_pair_in_an_api_body_is_a_400_naming_it(api_call):
    body = {**ORDER, "shipping_address": {**ORDER["shipping_address"], "city": "Le\ud800eds"}}
    status, problem = api_call("post", "/api/orders", body)
    assert status == 400, problem
    assert problem["code"] == "lone_surrogate"
    assert problem["errors"][0]["field"] == "body"
    assert orders.list_orders().count() == 0


def test_a_whole_surrogate_pair_is_an_emoji_and_is_taken(api_call):
    body = {**ORDER, "customer_name": "Jo \U0001f600"}  # json.dumps writes \ud83d\ude00
    status, created = api_call("post", "/api/orders", body)
    assert status == 201, created
    assert orders.get_order(created["id"]).customer_name == "Jo \U0001f600"


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59Z", "9999-12-31T20:00:00-12:00"])
def test_a_promise_past_the_calendar_is_a_422_naming_at(api_call, at):
    status, problem = api_call("get", f"/api/warehouses/LON/promise?at={at.replace('+', '%2B')}")
    assert status == 422, problem
    assert problem["errors"][0]["field"] == "at"


def test_a_promise_past_the_calendar_from_the_cli_names_at(shop):
    result = invoke("warehouses", "promise", "LON", "--at", "9999-12-31T23:59:59")
    assert result.exit_code == 1
    assert "at: 9999-12-31T23:59:59" in result.output and "out of range" in result.output


@pytest.mark.parametrize("path", ["/api/rules", "/api/rules/test"])
def test_a_rule_set_nested_past_the_parser_is_a_422(api_call, path):
    status, problem = api_call("post", path, {"source": "[" * 20000 + "]" * 20000})
    assert status == 422, problem
    assert "nested too deeply" in problem["errors"][0]["message"]


def test_the_cli_refuses_a_rule_file_nested_too_deeply_or_not_utf8(shop, tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 20000 + "]" * 20000)
    said = invoke("rules", "load", deep)
    assert said.exit_code == 1 and "nested too deeply" in said.output
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe rules")
    said = invoke("rules", "check", binary)
    assert said.exit_code == 2 and "not UTF-8 text (byte 0xff at 0)" in said.output


def test_a_rate_card_nested_too_deeply_is_refused_in_one_line(shop, tmp_path):
    deep = tmp_path / "rates.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    said = invoke("shipping", "rates", deep)
    assert said.exit_code == 2 and "not JSON (nested too deeply)" in said.output


def test_a_tracking_file_that_is_not_utf8_is_refused_naming_it(shop, tmp_path):
    path = tmp_path / "track.csv"
    path.write_bytes(b"tracking_number,status,occurred_at\n\xff,delivered,2026-01-01T00:00:00Z\n")
    said = invoke("shipping", "tracking-import", path, "--carrier", "dpd")
    assert said.exit_code == 2 and "not UTF-8 text (byte 0xff at 35)" in said.output


@pytest.mark.parametrize(
    "args, field",
    [
        (("receive", "--qty", 10**20), "quantity"),
        (("receive", "--qty", 1_000_001), "quantity"),
        (("receive", "--qty", 1, "--reference", "r" * 129), "reference"),
        (("adjust", "--delta", 2**63 - 1, "--note", "x"), "delta"),
        (("adjust", "--delta", -(2**63), "--note", "x"), "delta"),
        (("adjust", "--delta", 1, "--note", "n" * 501), "note"),
    ],
)
def test_a_stock_change_too_large_for_its_column_is_refused_naming_the_field(shop, args, field):
    before = inventory.levels(sku="A", warehouse="LON").first().on_hand
    verb, *rest = args
    said = invoke("stock", verb, "--sku", "A", "--warehouse", "LON", *rest)
    assert said.exit_code == 1, said.output
    assert f"error: {field}:" in said.output
    assert inventory.levels(sku="A", warehouse="LON").first().on_hand == before


def test_the_same_stock_limits_hold_in_the_service(shop):
    with pytest.raises(Exception, match="at most 1,000,000 units"):
        inventory.receive_stock(sku="A", warehouse="LON", quantity=1_000_001, actor="t")


@pytest.mark.parametrize("amount", ["1e999", "99999999999999999999", "10000000000"])
def test_a_refund_limit_past_its_column_is_refused(shop, amount):
    tokens.ensure_user("fin", "pw", roles=("finance",))
    said = invoke("users", "limit", "fin", "--refund-limit", amount)
    assert said.exit_code == 1 and "refund_limit: from 0 to under 10,000,000,000" in said.output
    kept = StaffAccess.objects.filter(user__username="fin").values_list("refund_limit", flat=True)
    assert list(kept) in ([], [None])


@pytest.mark.parametrize(
    "args",
    [
        ("orders", "list", "--limit", "-5"),
        ("orders", "list", "--limit", "99999999999999999999"),
        ("stock", "levels", "--limit", "-1"),
        ("skus", "list", "--limit", "0"),
        ("outbox", "dead", "--limit", "-1"),
        ("exceptions", "list", "--limit", "-1"),
        ("channels", "deliveries", "web", "--limit", "-1"),
        ("worker", "--drain", "--batch", "0"),
    ],
)
def test_a_count_out_of_range_is_a_usage_error_not_a_traceback(shop, args):
    said = invoke(*args)
    assert said.exit_code == 2, said.output
    assert "Invalid value" in said.output


def test_a_sku_import_with_a_batch_of_zero_or_less_is_refused(shop, tmp_path):
    path = tmp_path / "skus.csv"
    path.write_text("sku,name,gtin,length_mm,width_mm,height_mm,weight_g\nZ,Zed,,1,1,1,1\n")
    for batch in ("0", "-1"):
        said = invoke("skus", "import", path, "--batch", batch)
        assert said.exit_code == 2 and "--batch" in said.output


CSV = (
    "external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,ship_postcode,"
    "ship_country,shipping_price\n"
)


@pytest.mark.parametrize(
    "price, shipping, field, words",
    [
        ("-1", "0", "unit_price", "'-1' is below 0"),
        ("1.123456789012345678901234567890", "0", "unit_price", "GBP has 2 decimal places"),
        ("1", "-0.01", "shipping_price", "'-0.01' is below 0"),
        ("1", "0.00001", "shipping_price", "GBP has 2 decimal places"),
        ("1.999", "0", "unit_price", "GBP has 2 decimal places"),
    ],
)
def test_a_csv_price_below_zero_or_finer_than_its_column_is_refused_by_row(
    shop, tmp_path, price, shipping, field, words
):
    path = tmp_path / "orders.csv"
    path.write_text(
        CSV
        + "OK-1,GBP,A,1,2.5000,Jo,1 St,Leeds,LS1 4DY,GB,0\n"
        + f"BAD-1,GBP,A,1,{price},Jo,1 St,Leeds,LS1 4DY,GB,{shipping}\n"
    )
    said = invoke("orders", "import", path)
    assert said.exit_code == 1
    assert f"row 3, {field}: " in said.output and words in said.output
    assert [o.external_id for o in orders.list_orders()] == ["OK-1"]


def test_the_cli_entry_point_turns_any_failure_into_one_line(monkeypatch, capsys):
    import despatch.cli as cli
    from despatch.cli import app as app_module

    def broken():
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(app_module, "app", broken)
    monkeypatch.setattr(cli.config, "load", lambda: None)
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 70
    said = capsys.readouterr().err
    assert said == "error: RuntimeError: boom (an unexpected failure)\n"
    assert "Traceback" not in said
