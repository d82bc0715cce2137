"""The orders list's search (q): any part of the order ID, external ID, customer name or
email, in any case, through the trigram indexes where the database has them."""

import pytest

from despatch.models import Order
from despatch.services import orders
from tests.conftest import make_draft

pytestmark = pytest.mark.django_db


def receive(**overrides):
    order, _ = orders.receive_order(make_draft(**overrides), actor="test")
    return order


def found(q):
    return {o.external_id for o in orders.list_orders(q=q)}


def test_search_finds_any_part_of_the_name_email_or_external_id():
    receive(external_id="SHOP-1001", customer_name="Ada Lovelace", customer_email="ada@x.io")
    receive(external_id="SHOP-1002", customer_name="Bo Diddley", customer_email="bo_d@y.io")
    receive(external_id="MKT_77", customer_name="Cy Twombly", customer_email="cy%t@z.io")
    assert found("lovel") == {"SHOP-1001"}  # any case
    assert found("DIDD") == {"SHOP-1002"}
    assert found("shop-100") == {"SHOP-1001", "SHOP-1002"}
    assert found("bo_d") == {"SHOP-1002"}  # an underscore is itself, not any character
    assert found("o_d") == {"SHOP-1002"}
    assert found("y%t") == {"MKT_77"}  # a % is itself too
    assert found("io") == {"SHOP-1001", "SHOP-1002", "MKT_77"}  # shorter than a trigram
    assert found("nobody") == set()


def test_search_follows_a_changed_customer_and_a_deleted_order():
    order = receive(external_id="SHOP-2001", customer_name="Old Name")
    Order.objects.filter(id=order.id).update(customer_name="New Person")
    assert found("old name") == set() and found("new pers") == {"SHOP-2001"}
    assert found(order.id[4:14]) == {"SHOP-2001"}
    Order.objects.filter(id=order.id).delete()
    assert found("new pers") == set()


def test_a_whole_email_address_finds_that_address_any_case():
    receive(external_id="E-1", customer_email="ann@example.com")
    receive(external_id="E-2", customer_email="joann@example.com")
    receive(external_id="E-3", customer_email="Ann@Example.com")
    assert found("ANN@example.COM") == {"E-1", "E-3"}  # not inside a longer address
    assert found("ann@example") == {"E-1", "E-2", "E-3"}  # part of one: anywhere


def test_rare_and_common_trigrams_find_the_same_orders(monkeypatch):
    """SQLite looks up a term's rarest trigrams (or all, when none is rare); PostgreSQL
    passes few orders found on as their IDs, many as a subquery: the same answer each way."""
    for n in range(12):
        receive(external_id=f"WEB-{n:04d}", customer_name=f"Ada Customer{n}")
    for cap in (1, 3, 20_000):
        monkeypatch.setattr("despatch.services.order_search._PROBE_CAP", cap)
        monkeypatch.setattr("despatch.services.order_search._LISTED", cap)
        assert found("customer1") == {"WEB-0001", "WEB-0010", "WEB-0011"}
        assert found("eb-001") == {"WEB-0010", "WEB-0011"}
