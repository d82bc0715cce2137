"""The CLI as a new user meets it: nothing cut off past a pipe, one error per problem, words
instead of codes."""

import re
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from despatch import config
from despatch.cli.app import app
from despatch.domain.addresses import Address
from despatch.services import tokens
from tests.integration.test_exceptions import case_of, held
from tests.integration.test_refund_approval import waiting  # noqa: F401  (a fixture)

runner = CliRunner()


def invoke(*args, **env):
    return runner.invoke(app, list(args), env=env or None)


def test_refund_ids_are_whole_when_the_output_is_not_a_terminal(waiting):  # noqa: F811
    shown = invoke("refunds", "list")
    assert shown.exit_code == 0, shown.output
    assert waiting.id in shown.output and "…" not in shown.output


def test_a_header_missing_columns_is_one_error_naming_them_all(tmp_path, db):
    path = tmp_path / "orders.csv"
    path.write_text("external_id,currency,sku\nC-1,GBP,A\n")
    said = invoke("orders", "import", "--channel", "csv", str(path))
    assert said.exit_code != 0
    errors = [line for line in said.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, said.output
    assert "'quantity'" in errors[0] and "'ship_country'" in errors[0]
    assert said.output.count("expected at least") == 1


def test_a_sku_row_with_two_bad_fields_reports_both(tmp_path, db):
    path = tmp_path / "skus.csv"
    path.write_text(
        "sku,name,gtin,length_mm,width_mm,height_mm,weight_g\nS1,Mug,12345,ten,80,90,350\n"
    )
    said = invoke("skus", "import", str(path))
    assert "row 2, gtin:" in said.output and "row 2, length_mm:" in said.output, said.output


def test_an_unknown_role_is_refused_before_the_password_is_asked_for(db):
    said = runner.invoke(app, ["users", "create", "bob", "--role", "wizard"], input="")
    assert said.exit_code == 2
    assert "wizard" in said.output and "Password" not in said.output


def test_a_wrong_action_names_the_exception_kind_in_words(shop):
    bad = Address("Jo", "1 High St", "", "LS1 1AA", "GB")
    case = case_of(held(shipping_address=bad))
    tokens.ensure_user("ann", "pw-ann-1234", roles=("support",))
    said = invoke("exceptions", "resolve", case.id, "--action", "teleport", "--by", "ann")
    assert said.exit_code == 1
    assert "an invalid address exception is resolved by" in said.output, said.output


def test_help_texts_wrap_to_the_terminal_not_to_the_docstring():
    said = invoke("refunds", "--help", COLUMNS="200")
    assert "approvers. An exchange creates" in said.output, said.output
    said = invoke("--help", COLUMNS="250")
    assert "returns, refunds and stock accuracy" in said.output, said.output


def _demo_without_serving(monkeypatch, settings, tmp_path):
    """The demo on port 8765, its server and worker thread left out (nothing listens)."""
    from despatch.cli import demo, server

    settings.HOME = tmp_path
    monkeypatch.setattr(server, "bind", lambda host, port: None)
    monkeypatch.setattr(server, "run", lambda *a, **k: None)
    monkeypatch.setattr(demo, "_start_worker_thread", lambda: None)
    said = invoke("demo", "--orders", "40", "--port", "8765")
    assert said.exit_code == 0, said.output
    return invoke("config", "show").output


@pytest.mark.django_db
def test_the_demo_links_emails_to_the_port_it_serves(monkeypatch, settings, tmp_path):
    monkeypatch.delenv("DESPATCH_PUBLIC_URL", raising=False)
    shown = _demo_without_serving(monkeypatch, settings, tmp_path)
    assert config.current().public_url == "http://127.0.0.1:8765"
    assert "http://127.0.0.1:8765" in shown and "http://127.0.0.1:8000" not in shown


@pytest.mark.django_db
def test_the_demo_keeps_a_public_url_the_user_set(monkeypatch, settings, tmp_path):
    monkeypatch.setenv("DESPATCH_PUBLIC_URL", "https://shop.example.com")
    _demo_without_serving(monkeypatch, settings, tmp_path)
    assert config.current().public_url == "https://shop.example.com"


def test_cli_times_say_their_zone(shop):
    order = held()
    tokens.ensure_user("ann", "pw-ann-1234", roles=("support",))
    tokens.create_token("ann", "t", expires_in=timedelta(days=90), actor="cli")
    listed = invoke("orders", "list")
    row = next(line for line in listed.output.splitlines() if order.id in line)
    assert " UTC" in row, listed.output
    shown = invoke("orders", "show", order.id)
    assert re.search(r"\d\d:\d\d:\d\d UTC", shown.output), shown.output
    assert " UTC" in invoke("tokens", "list").output


def test_the_help_names_the_default_database_as_the_readme_does():
    said = invoke("--help", COLUMNS="200")
    assert said.exit_code == 0, said.output
    assert "despatch.sqlite3 in DESPATCH_HOME" in said.output  # not always ./despatch.sqlite3
    assert "sqlite:///./" not in said.output
