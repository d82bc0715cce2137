"""Every command that declares a permission takes ``--by USER``: USER must be an active user
who holds it (and whose scope reaches the warehouse it names), and the audit trail then names
USER instead of the shell."""

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import StockMovement
from despatch.services import tokens
from tests.integration.conftest import level
from tests.unit.test_declared_permissions import cli_commands

DECLARED = sorted(
    name for name, callback in cli_commands(app) if getattr(callback, "permission", None)
)


def test_the_commands_are_found():
    assert "stock receive" in DECLARED and "orders cancel" in DECLARED and len(DECLARED) > 60


@pytest.mark.parametrize("name", DECLARED)
def test_every_declared_command_takes_by(name):
    said = CliRunner().invoke(app, [*name.split(), "--help"], env={"COLUMNS": "200"})
    assert said.exit_code == 0, said.output
    assert "--by" in said.output, said.output


RECEIVE = ["stock", "receive", "--sku", "A", "--warehouse", "NJ", "--qty", "4"]


def test_by_is_checked_and_named_in_the_ledger(shop):
    tokens.ensure_user("pip", "pw", roles=("picker",))
    tokens.ensure_user("olga", "pw", roles=("ops_manager",))
    tokens.set_limits("olga", scopes=("warehouse:LON",))
    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    before = level("A", "NJ")
    for who, why in (
        ("pip", "permission 'stock.write'"),
        ("olga", "warehouse 'NJ' is outside this scope"),
        ("nobody", "nobody"),
    ):
        said = CliRunner().invoke(app, [*RECEIVE, "--by", who])
        assert said.exit_code == 1 and why in said.output, (who, said.output)
    assert level("A", "NJ") == before
    said = CliRunner().invoke(app, [*RECEIVE, "--by", "boss"])
    assert said.exit_code == 0, said.output
    assert level("A", "NJ")[0] == before[0] + 4
    assert StockMovement.objects.filter(actor="user:boss").count() == 1
    shell = StockMovement.objects.filter(actor="cli").count()
    said = CliRunner().invoke(app, RECEIVE)  # the local operator, as before
    assert said.exit_code == 0 and StockMovement.objects.filter(actor="cli").count() == shell + 1
