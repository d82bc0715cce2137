"""Manual actions carry a reason code from the documented list; a note stays optional."""

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.models import AuditEntry, ExceptionCase
from despatch.services import orders, tokens
from tests.conftest import make_draft

runner = CliRunner()
ADJUST = ["stock", "adjust", "--sku", "A", "--warehouse", "LON", "--delta"]


@pytest.fixture
def desk(shop, client):
    tokens.ensure_user("desk", "pw", roles=("ops_manager",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('desk')}"}

    def post(path, body):
        return client.post(f"/api{path}", body, content_type="application/json", **auth)

    return post


def test_a_hold_and_a_release_carry_their_reason_codes(desk):
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="test")
    assert desk(f"/orders/{order.id}/hold", {"reason": "awaiting_customer"}).status_code == 200
    assert desk(f"/orders/{order.id}/release", {}).status_code == 200

    held = AuditEntry.objects.get(order_id=order.id, action="hold")
    assert (held.reason_code, held.detail["hold_reason"]) == ("awaiting_customer", "manual")
    released = AuditEntry.objects.get(order_id=order.id, action="release")
    assert released.reason_code == "checked_ok"  # the default for a release


def test_a_reason_code_not_on_the_list_is_refused_naming_the_field(desk):
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="test")
    refused = desk(f"/orders/{order.id}/hold", {"reason": "because"})
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "reason" and "awaiting_customer" in error["hint"]
    assert orders.get_order(order.id).status == "received"


def test_a_stock_adjustment_is_audited_with_its_reason_code(shop):
    done = runner.invoke(
        app,
        [*ADJUST, "-2", "--note", "dropped", "--reason-code", "damaged"],
    )
    assert done.exit_code == 0, done.output
    entry = AuditEntry.objects.get(action="stock_adjusted")
    assert (entry.subject_id, entry.reason_code, entry.before, entry.after) == (
        "A@LON",
        "damaged",
        {"on_hand": 10},
        {"on_hand": 8},
    )
    bad = runner.invoke(
        app,
        [*ADJUST, "1", "--note", "x", "--reason-code", "fraud"],
    )
    assert bad.exit_code == 1 and "reason_code" in bad.output


def test_resolving_an_exception_passes_its_reason_code_to_the_cancel(desk):
    order, _ = orders.receive_order(make_draft([("GHOST", 1)]), actor="test")
    worker.drain("test-worker")
    case = ExceptionCase.objects.get(order_id=order.id)
    done = desk(f"/exceptions/{case.id}/resolve", {"action": "cancel", "reason": "fraud"})
    assert done.status_code == 200, done.content
    assert AuditEntry.objects.get(order_id=order.id, action="cancel").reason_code == "fraud"
