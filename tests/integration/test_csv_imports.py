"""CSV imports from the command line: Excel's encodings and delimiters, bad rows reported by
row and field, good rows kept, never a traceback."""

from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.services import catalogue, orders

HEADER = (
    "external_id;currency;sku;quantity;unit_price;ship_name;ship_line1;ship_city;"
    "ship_postcode;ship_country;customer_name\n"
)


def test_a_windows_1252_semicolon_file_imports_with_its_bad_rows_reported(shop, tmp_path):
    text = (
        HEADER
        + "X-1;GBP;A;1;2,50;Zoë;1 Rue;Lyon;69001;FR;Zoë Éclair\n"  # a comma decimal
        + "X-2;GBP;A;1;2.50;Jo;1 St;Leeds;LS1 4DY;GB;Jo\n"
        + "X-3;GBP;A;true;2.50;Jo;1 St;Leeds;LS1 4DY;GB;Jo\n"
        + "X-4;GBP;A;1;2.50;Jo;1 St;Leeds;LS1 4DY;GB;"
        + "J" * 201
        + "\n"
    )
    path = tmp_path / "orders.csv"
    path.write_bytes(text.encode("cp1252"))
    result = CliRunner().invoke(app, ["orders", "import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1
    assert "row 4, quantity" in result.output and "row 5, customer_name" in result.output
    kept = {o.external_id: o for o in orders.list_orders()}
    assert "X-2" in kept and "X-3" not in kept and "X-4" not in kept
    assert "Traceback" not in result.output


def test_the_sku_import_takes_an_encoding_and_a_delimiter(shop, tmp_path):
    text = "sku|name|gtin|length_mm|width_mm|height_mm|weight_g\nZ1|Straße|| 1|1|1|1\n"
    path = tmp_path / "skus.csv"
    path.write_bytes(text.encode("latin-1"))
    result = CliRunner().invoke(
        app, ["skus", "import", str(path), "--encoding", "latin-1", "--delimiter", "|"]
    )
    assert result.exit_code == 0, result.output
    assert catalogue.get_sku("Z1").name == "Straße"


def test_a_bad_currency_is_reported_once(shop, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        HEADER + "X-1;GBP;A;1;2.50;Jo;1 St;Leeds;LS1 4DY;GB;Jo\n"
        "X-2;IEP;A;1;2.50;Jo;1 St;Leeds;LS1 4DY;GB;Jo\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["orders", "import", str(path)])
    assert result.exit_code == 1
    said = "row 3, currency: 'IEP' is not an ISO 4217 currency code"
    assert " ".join(result.output.split()).count(said) == 1
    assert "1 row error(s)" in result.output


def test_an_unknown_channel_is_refused_by_name(shop, tmp_path):
    from despatch.models import Order

    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "X-1;GBP;A;1;2.50;Jo;1 St;Leeds;LS1 4DY;GB;Jo\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["orders", "import", str(path), "--channel", "shopp"])
    assert result.exit_code == 1, result.output
    assert "--channel 'shopp': no such channel" in result.output
    assert not Order.objects.exists()
    result = CliRunner().invoke(app, ["orders", "import", str(path), "--channel", "api"])
    assert result.exit_code == 0, result.output
    assert list(Order.objects.values_list("channel", flat=True)) == ["api"]
