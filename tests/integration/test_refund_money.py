"""Every refund answer says its money in the currency's decimals: the request, the approval,
the refund read back and the list all say 15.00 and 0.00 (approving answered 15.0000 and
0.0000, the request 15.00 and 0), and a refund over what is left names both currencies."""

import pytest

from tests.integration.test_permissions import bearer, call
from tests.integration.test_returns import delivered


@pytest.fixture
def order(shop, monkeypatch):
    monkeypatch.setenv("DESPATCH_REFUND_LIMITS", "5,500")
    return delivered([("A", 2)], external_id="R-MONEY")  # 2 x 9.99 GBP


def _money(refund):
    return refund["amount"], refund["restocking_fee"], refund["currency"]


def test_every_refund_answer_says_its_money_the_same_way(order, client):
    auth = bearer("boss", roles=("ops_manager",))
    status, asked = call(
        client, auth, "POST", "/api/refunds", {"order_id": order.id, "amount": "15"}
    )
    assert status == 201 and _money(asked) == ("15.00", "0.00", "GBP")
    finance = bearer("fin", roles=("finance",))  # not the one who asked
    status, approved = call(client, finance, "POST", f"/api/refunds/{asked['id']}/approve")
    assert status == 200 and _money(approved) == ("15.00", "0.00", "GBP")
    _, read = call(client, auth, "GET", f"/api/refunds/{asked['id']}")
    _, listed = call(client, auth, "GET", f"/api/refunds?order_id={order.id}")
    assert _money(read) == _money(listed[0]) == ("15.00", "0.00", "GBP")


def test_a_refund_over_what_is_left_names_the_currency_of_both_amounts(order, client):
    auth = bearer("boss", roles=("ops_manager",))
    call(client, auth, "POST", "/api/refunds", {"order_id": order.id, "amount": "15"})
    status, problem = call(
        client, auth, "POST", "/api/refunds", {"order_id": order.id, "amount": "10"}
    )
    assert status == 422
    assert "10.00 GBP is more than the 4.98 GBP left to refund" in problem["detail"]


def test_a_refund_amount_finer_than_its_currency_is_refused_not_rounded(order, client):
    auth = bearer("boss", roles=("ops_manager",))
    body = {"order_id": order.id, "amount": "15.999"}
    status, problem = call(client, auth, "POST", "/api/refunds", body)
    assert status == 422 and problem["detail"] == "amount: GBP has 2 decimal places"
    _, listed = call(client, auth, "GET", f"/api/refunds?order_id={order.id}")
    assert listed == []
