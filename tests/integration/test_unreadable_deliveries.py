"""A platform's order that cannot be read is kept and held for a person: its delivery is
failed naming the field, an ``unreadable_delivery`` case opens in the channels queue with the
field and its problem, and nothing is retried into a dead event, whatever the value (a
string for a number, a number past its column, a time that leaves the calendar in UTC)."""

import json

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.integrations.channels.base import sign_base64
from despatch.models import ChannelDelivery, ExceptionCase, OutboxEvent
from despatch.services import orders, tokens
from tests.integration.test_channels import (  # noqa: F401
    SECRET,
    fixture,
    post_shopify,
    shop_channels,
)


def payload_with(**line_changes):
    payload = fixture("shopify_order_multicurrency.json")
    payload["line_items"][0].update(line_changes)
    return payload


@pytest.mark.parametrize(
    "where, value, field",
    [
        ("quantity", "abc", "line_items[0].quantity"),
        ("quantity", "2", "line_items[0].quantity"),
        ("quantity", 10**30, "line_items[0].quantity"),
        ("price", "twelve", "line_items[0].price"),
        ("updated_at", "0001-01-01T00:00:00+14:00", "updated_at"),
    ],
)
def test_a_signed_order_that_cannot_be_read_is_kept_and_held_in_the_channels_queue(
    shop_channels,  # noqa: F811
    client,
    where,
    value,
    field,
):
    if where == "updated_at":
        payload = fixture("shopify_order_multicurrency.json", updated_at=value)
    else:
        payload = payload_with(**{where: value})
    answer = post_shopify(client, payload)
    assert answer.status_code == 202
    worker.drain("w")
    delivery = ChannelDelivery.objects.get()
    assert delivery.status == "failed" and delivery.error.startswith(f"{field}: ")
    assert bytes(delivery.raw_body) == answer.wsgi_request.body  # kept whole
    (case,) = ExceptionCase.objects.filter(kind="unreadable_delivery", status="open")
    assert case.queue == "channels" and case.subject == f"delivery:{delivery.pk}"
    assert case.order_id is None and f"delivery {delivery.pk}" in case.summary
    assert [d["field"] for d in case.detail] == [field]
    assert not OutboxEvent.objects.exclude(status="done").exists()  # no retry, no dead event
    assert orders.list_orders().count() == 0


def test_a_body_that_is_not_json_is_held_naming_the_body(shop_channels, client):  # noqa: F811
    body = b'{"id": 5, "line_items": ['
    client.post(
        "/api/channels/shop-de/webhooks",
        body,
        content_type="application/json",
        HTTP_X_SHOPIFY_TOPIC="orders/create",
        HTTP_X_SHOPIFY_WEBHOOK_ID="wh-broken",
        HTTP_X_SHOPIFY_HMAC_SHA256=sign_base64(SECRET, body),
    )
    worker.drain("w")
    (case,) = ExceptionCase.objects.filter(kind="unreadable_delivery")
    assert case.detail[0]["field"] == "body" and "not JSON" in case.detail[0]["message"]


def test_the_held_delivery_is_listed_by_the_api_and_the_queue_page(
    shop_channels,  # noqa: F811
    client,
):
    post_shopify(client, payload_with(quantity="abc"))
    worker.drain("w")
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('ops')}"}
    listed = client.get("/api/exceptions?queue=channels", **auth)
    assert listed.status_code == 200
    (case,) = listed.json()
    assert case["kind"] == "unreadable_delivery" and case["order_id"] is None
    client.login(username="ops", password="pw")
    page = client.get("/exceptions/")
    assert page.status_code == 200 and case["id"] in page.content.decode()


def test_a_file_that_cannot_be_read_is_told_to_its_importer_and_opens_no_case(
    shop_channels,  # noqa: F811
    tmp_path,
):
    path = tmp_path / "order.json"
    path.write_text(json.dumps(payload_with(quantity="abc")))
    said = CliRunner().invoke(app, ["orders", "import", "--channel", "shop-de", str(path)])
    assert said.exit_code == 1 and "line_items[0].quantity" in said.output
    assert not ExceptionCase.objects.filter(kind="unreadable_delivery").exists()
