"""Outbound webhooks never reach our own network unless the operator allows it: checked when
a URL is subscribed and again, against the resolved address, when each delivery is sent."""

import pytest

from despatch import worker
from despatch.integrations import hooks
from despatch.services import orders, webhooks
from tests.conftest import make_draft


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://172.16.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ],
)
def test_a_url_resolving_to_an_internal_address_is_refused_naming_url(api_call, url):
    status, body = api_call("post", "/api/webhooks", {"url": url, "events": ["*"]})
    assert status == 422, body
    assert body["errors"][0]["field"] == "url"
    assert body["errors"][0]["code"] == "private_address"
    assert webhooks.subscriptions() == []


def test_the_operator_may_allow_internal_receivers(api_call, monkeypatch, receiver):
    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")
    status, body = api_call("post", "/api/webhooks", {"url": receiver.url, "events": ["*"]})
    assert status == 201, body


def test_the_address_is_checked_again_when_sending(shop, monkeypatch, receiver):
    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")
    webhooks.subscribe(url=receiver.url, events=["order.received"], actor="t")
    monkeypatch.delenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE")  # e.g. its DNS now answers 127.0.0.1
    orders.receive_order(make_draft([("A", 1)]), actor="t")
    worker.drain("t")
    (delivery,) = webhooks.deliveries()
    assert delivery.status == "failed" and "not public" in delivery.last_error
    assert receiver.requests == []


def test_a_redirect_is_not_followed(shop, monkeypatch, receiver):
    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")
    webhooks.subscribe(url=receiver.url + "/a", events=["order.received"], actor="t")
    receiver.script = [302]
    orders.receive_order(make_draft([("A", 1)]), actor="t")
    worker.drain("t")
    (delivery,) = webhooks.deliveries()
    assert delivery.status == "failed" and delivery.response_status == 302
    assert "redirects are not followed" in delivery.last_error
    assert [path for path, _, _ in receiver.requests] == ["/a"]


def test_the_post_goes_to_the_address_that_was_checked(receiver, monkeypatch):
    looked_up = []
    real = hooks.socket.getaddrinfo

    def counting(*args, **kwargs):
        looked_up.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(hooks.socket, "getaddrinfo", counting)
    answer = hooks.post(receiver.url.replace("127.0.0.1", "localhost") + "/x", b"{}", "s")
    assert answer.status == 200 and looked_up.count("localhost") == 1  # never looked up again
    path, headers, _ = receiver.requests[0]
    assert path == "/x" and headers["Host"].startswith("localhost:")
