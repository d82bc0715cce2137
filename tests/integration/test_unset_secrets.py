"""A webhook refused because no secret is set says so, not that the signature is wrong."""

import json

from despatch.integrations.channels.base import sign_base64
from despatch.services import channels, tokens


def test_a_channel_without_a_webhook_secret_says_none_is_configured(db, client):
    channels.configure_channel(code="shop-x", name="Shop X", type="shopify")
    body = json.dumps({"id": 1}).encode()
    answer = client.post(
        "/api/channels/shop-x/webhooks",
        body,
        content_type="application/json",
        HTTP_X_SHOPIFY_HMAC_SHA256=sign_base64("guess", body),
        HTTP_X_SHOPIFY_TOPIC="orders/create",
    )
    assert answer.status_code == 401
    detail = answer.json()["detail"]
    assert "no webhook secret is configured for channel shop-x" in detail
    assert "does not match" not in detail


def test_tracking_without_a_secret_says_none_is_configured(db, client):
    answer = client.post(
        "/api/tracking/webhooks/dhl",
        b"{}",
        content_type="application/json",
        HTTP_X_DESPATCH_SIGNATURE="00",
    )
    assert answer.status_code == 401
    detail = answer.json()["detail"]
    assert "no tracking secret is configured for dhl" in detail
    assert "DESPATCH_TRACKING_SECRET" in detail


def test_the_channels_page_says_ebay_and_amazon_orders_are_pulled(db, client):
    channels.configure_channel(code="shop-x", name="Shop X", type="shopify", webhook_secret="s")
    channels.configure_channel(code="ebay-x", name="eBay X", type="ebay")
    channels.configure_channel(code="amz-x", name="Amazon X", type="amazon")
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    html = client.get("/channels/").content.decode()
    assert "/api/channels/shop-x/webhooks" in html
    assert "/api/channels/ebay-x/webhooks" not in html
    assert "/api/channels/amz-x/webhooks" not in html
    assert html.count("orders are pulled") == 2
