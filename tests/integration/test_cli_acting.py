"""A command run ``--by USER`` acts as that user and is checked like the API: USER must hold
the command's permission and reach the rows it names; otherwise a plain error, exit 1, and
nothing changes. Without ``--by`` the shell is the local operator, as before."""

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import ExceptionCase, Order, Refund, WebhookSubscription
from despatch.services import tokens
from tests.integration.test_scopes import two_channels  # noqa: F401  (a fixture)

runner = CliRunner()


@pytest.fixture
def people(two_channels):  # noqa: F811
    tokens.ensure_user("pip", "pw", roles=("picker",))
    tokens.ensure_user("ann", "pw", roles=("finance",))  # every channel
    return two_channels


def refused(args, *words):
    result = runner.invoke(app, args)
    assert result.exit_code == 1, (args, result.output)
    for word in words:
        assert word in result.output, (args, result.output)
    return result


def test_a_user_without_the_permission_is_refused_by_name(people):
    shop = people["shop"]
    order = shop["order"]
    refused(
        ["payments", "record", order.id, "--status", "refunded", "--by", "pip"],
        "pip does not hold it",
        "payments.record",
    )
    assert Order.objects.get(id=order.id).payment_status == order.payment_status
    refused(
        [
            "exceptions",
            "resolve",
            shop["case"].id,
            "--action",
            "resolve",
            "--note",
            "x",
            "--by",
            "pip",
        ],
        "exceptions.work",
    )
    assert ExceptionCase.objects.get(id=shop["case"].id).status == "open"
    refused(
        ["webhooks", "add", "http://127.0.0.1:9/", "--event", "*", "--by", "sue"],
        "webhooks.manage",
    )
    assert not WebhookSubscription.objects.exists()
    refused(["refunds", "approve", shop["refund"].id, "--by", "sue"], "refunds.approve")
    assert Refund.objects.get(id=shop["refund"].id).status == "requested"


def test_a_name_that_is_no_user_is_refused(people):
    refused(
        ["exceptions", "assign", people["shop"]["case"].id, "--to", "kim", "--by", "ghost"],
        "user 'ghost' does not exist",
    )
    assert ExceptionCase.objects.get(id=people["shop"]["case"].id).owner != "user:kim"


def test_a_user_reaches_only_their_channels_rows(people):
    web = people["web"]
    refused(["refunds", "approve", web["refund"].id, "--by", "fin"], "does not exist")
    assert Refund.objects.get(id=web["refund"].id).status == "requested"
    refused(
        ["exceptions", "assign", web["case"].id, "--to", "sue", "--by", "sue"], "does not exist"
    )
    assert ExceptionCase.objects.get(id=web["case"].id).owner != "user:sue"
    result = runner.invoke(app, ["refunds", "approve", web["refund"].id, "--by", "ann"])
    assert result.exit_code == 0, result.output
    assert Refund.objects.get(id=web["refund"].id).status == "approved"


def test_the_local_operator_and_a_holder_still_act(people):
    shop = people["shop"]
    result = runner.invoke(
        app, ["exceptions", "assign", shop["case"].id, "--to", "sue", "--by", "sue"]
    )
    assert result.exit_code == 0, result.output
    tokens.ensure_user("kim", "pw", roles=("order_ops",))  # a case goes to one who may work it
    result = runner.invoke(app, ["exceptions", "assign", shop["case"].id, "--to", "kim"])
    assert result.exit_code == 0, result.output
    assert ExceptionCase.objects.get(id=shop["case"].id).owner == "user:kim"
