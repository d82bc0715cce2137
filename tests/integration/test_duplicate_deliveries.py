"""A repeated delivery is visible: the channel's inbox lists it as ``duplicate``, with its
time and the delivery it repeated (API, CLI and the channel page), and it is never applied."""

from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.services import channels, orders, tokens
from tests.integration.test_channels import fixture, post_shopify, shop_channels  # noqa: F401


def test_a_repeated_delivery_is_listed_as_duplicate_everywhere(shop_channels, client):  # noqa: F811
    payload = fixture("shopify_order_multicurrency.json")
    first = post_shopify(client, payload, webhook_id="wh-7").json()["delivery"]
    again = post_shopify(client, payload, webhook_id="wh-7")
    assert again.status_code == 200 and again.json() == {"delivery": first, "status": "duplicate"}
    worker.drain("w")
    assert orders.list_orders(channel="shop-de").count() == 1  # applied once
    repeat = channels.deliveries("shop-de", "duplicate").get()
    assert (repeat.repeats_id, repeat.delivery_id, repeat.outcome) == (first, "wh-7", "duplicate")

    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('ops')}"}
    listed = client.get("/api/channels/shop-de/deliveries?status=duplicate", **auth).json()
    assert listed["count"] == 1
    row = listed["items"][0]
    assert row["status"] == "duplicate" and row["repeats"] == first and row["received_at"]
    original = client.get("/api/channels/shop-de/deliveries?status=processed", **auth).json()
    assert [r["repeats"] for r in original["items"]] == [None]

    shown = CliRunner().invoke(app, ["channels", "deliveries", "shop-de"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and f"duplicate of #{first}" in shown.output

    client.login(username="ops", password="pw")
    page = client.get("/channels/shop-de/?status=duplicate").content.decode()
    assert f"duplicate of #{first}" in page and "?status=duplicate" in page


def test_a_second_delivery_of_an_applied_event_names_the_delivery_that_applied_it(
    shop_channels,  # noqa: F811
    client,
):
    payload = fixture("shopify_order_multicurrency.json")
    a = post_shopify(client, payload, webhook_id="wh-a", event_id="ev-1").json()["delivery"]
    b = post_shopify(client, payload, webhook_id="wh-b", event_id="ev-1").json()["delivery"]
    worker.drain("w")
    second = channels.deliveries("shop-de").get(pk=b)
    assert (second.outcome, second.repeats_id) == ("duplicate_event", a)
