"""Only finance or an ops manager approves a refund, through the API, the UI and the CLI,
and only up to their own limit."""

from decimal import Decimal

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.services import refunds, tokens
from tests.integration.test_permissions import bearer, call
from tests.integration.test_returns import delivered


@pytest.fixture
def waiting(shop, monkeypatch):
    """A 19.98 GBP refund that needs one approval."""
    monkeypatch.setenv("DESPATCH_REFUND_LIMITS", "5,500")
    order = delivered([("A", 2)], external_id="R900")
    refund = refunds.request_refund(order.id, lines={1: 2}, actor="user:support")
    assert refund.status == "requested" and refund.approvals_needed == 1
    return refund


ROLES_BUT_FINANCE = ["order_ops", "support", "packer", "picker", "shipping", "integrator"]


@pytest.mark.parametrize("role", ROLES_BUT_FINANCE)
def test_no_one_but_finance_approves_through_the_api(waiting, client, role):
    auth = bearer(f"u-{role}", roles=(role,))
    for action in ("approve", "reject"):
        status, problem = call(client, auth, "POST", f"/api/refunds/{waiting.id}/{action}")
        assert status == 403 and problem["permission"] == "refunds.approve"
    assert refunds.get_refund(waiting.id).status == "requested"


def test_finance_approves_through_the_api_up_to_their_limit(waiting, client):
    auth = bearer("fin", roles=("finance",))
    tokens.set_limits("fin", refund_limit=Decimal("10"))
    status, problem = call(client, auth, "POST", f"/api/refunds/{waiting.id}/approve")
    assert status == 403 and "limit of 10.00" in problem["detail"]
    assert refunds.get_refund(waiting.id).status == "requested"
    tokens.set_limits("fin", refund_limit=Decimal("20"))
    status, body = call(client, auth, "POST", f"/api/refunds/{waiting.id}/approve")
    assert status == 200 and body["status"] == "approved"


@pytest.mark.parametrize("role", ["order_ops", "support", "packer"])
def test_no_one_but_finance_approves_through_the_ui(waiting, client, role):
    tokens.ensure_user(f"u-{role}", "pw", roles=(role,))
    client.login(username=f"u-{role}", password="pw")
    response = client.post(f"/refunds/{waiting.id}/approve/")
    assert response.status_code == 403 and "refunds.approve" in response.content.decode()
    assert refunds.get_refund(waiting.id).status == "requested"


def test_finance_approves_through_the_ui(waiting, client):
    tokens.ensure_user("fin", "pw", roles=("finance",))
    client.login(username="fin", password="pw")
    client.post(f"/refunds/{waiting.id}/approve/")
    assert refunds.get_refund(waiting.id).status == "approved"


def test_the_cli_approves_only_as_a_finance_user_within_their_limit(waiting):
    runner = CliRunner()
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    tokens.ensure_user("fin", "pw", roles=("finance",))
    tokens.set_limits("fin", refund_limit=Decimal("10"))
    for args in (
        ["refunds", "approve", waiting.id],
        ["refunds", "approve", waiting.id, "--by", "ops"],
        ["refunds", "reject", waiting.id, "--by", "ops"],
        ["refunds", "approve", waiting.id, "--by", "nobody-here"],
        ["refunds", "approve", waiting.id, "--by", "fin"],  # above fin's limit
    ):
        result = runner.invoke(app, args)
        assert result.exit_code != 0, args
    assert refunds.get_refund(waiting.id).status == "requested"
    tokens.set_limits("fin", refund_limit=Decimal("50"))
    result = runner.invoke(app, ["refunds", "approve", waiting.id, "--by", "fin"])
    assert result.exit_code == 0, result.output
    refund = refunds.get_refund(waiting.id)
    assert refund.status == "approved" and refund.approved_by == ["user:fin"]
