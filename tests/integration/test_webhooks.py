"""Outbound webhooks to a local receiver: signed, retried after a 500, recorded, replayable."""

import json
import time

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.errors import Conflict, ValidationFailed
from despatch.domain.webhooks import verify
from despatch.services import orders, webhooks
from tests.conftest import make_draft
from tests.integration.conftest import due_now, free_port


@pytest.fixture(autouse=True)
def local_receivers(monkeypatch):
    """The receiver of these tests listens on 127.0.0.1, which is refused by default."""
    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")


def test_deliveries_are_signed_retried_after_a_500_and_recorded(shop, receiver):
    sub = webhooks.subscribe(
        url=receiver.url + "/hooks", events=["order.allocated", "order.received"], actor="t"
    )
    receiver.script = [500]  # the first delivery finds the receiver down
    orders.receive_order(make_draft([("A", 2)], external_id="W1"), actor="t")
    worker.drain("t")
    assert len(receiver.requests) == 2  # received (500) and allocated (200)
    failed = [d for d in webhooks.deliveries() if d.status == "retrying"]
    assert len(failed) == 1 and failed[0].response_status == 500
    assert failed[0].response_body == "down for maintenance" and failed[0].attempts == 1
    due_now()
    worker.drain("t")
    assert len(receiver.requests) == 3
    assert {d.status for d in webhooks.deliveries()} == {"delivered"}
    by_type = {}
    for path, headers, body in receiver.requests:
        assert path == "/hooks"
        assert verify(sub.secret, headers["Despatch-Signature"], body, int(time.time()))
        assert not verify("wrong", headers["Despatch-Signature"], body, int(time.time()))
        payload = json.loads(body)
        assert headers["Despatch-Event"] == payload["type"]
        by_type.setdefault(payload["type"], []).append(payload)
    assert len(by_type["order.received"]) == 2  # the same event, delivered twice
    assert by_type["order.received"][0]["id"] == by_type["order.received"][1]["id"]
    allocated = by_type["order.allocated"][0]["data"]
    assert allocated["order"]["external_id"] == "W1" and allocated["warehouses"] == ["LON"]


def test_a_4xx_is_final_and_a_replay_sends_it_again(shop, receiver):
    webhooks.subscribe(url=receiver.url, events=["*"], actor="t")
    receiver.script = [410]
    orders.receive_order(make_draft([("A", 1)]), actor="t")
    worker.drain("t")
    refused = [d for d in webhooks.deliveries() if d.status == "failed"]
    assert len(refused) == 1 and refused[0].response_status == 410
    result = CliRunner().invoke(app, ["webhooks", "replay", refused[0].id])
    assert result.exit_code == 0, result.output
    worker.drain("t")
    refused[0].refresh_from_db()
    assert refused[0].status == "delivered" and refused[0].response_status == 200
    webhooks.replay(refused[0].id, actor="t")  # pending again: a second replay is refused
    with pytest.raises(Conflict, match="will be tried again"):
        webhooks.replay(refused[0].id, actor="t")


def test_a_dead_receiver_ends_failed_after_the_last_retry(shop, receiver):
    webhooks.subscribe(url=f"http://127.0.0.1:{free_port()}/", events=["order.held"], actor="t")
    orders.receive_order(make_draft([("NOPE", 1)]), actor="t")
    for _ in range(7):
        due_now()
        worker.drain("t")
    (delivery,) = webhooks.deliveries()
    assert delivery.status == "failed" and delivery.attempts == 6
    assert "failed" in delivery.last_error


def test_subscriptions_are_validated_and_unsubscribed_ones_hear_nothing(shop, receiver):
    with pytest.raises(ValidationFailed) as caught:
        webhooks.subscribe(url="ftp://x", events=["order.teleported"], actor="t")
    assert {e.field for e in caught.value.errors} == {"url", "events"}
    sub = webhooks.subscribe(url=receiver.url, events=["order.received"], actor="t")
    webhooks.unsubscribe(sub.id, actor="t")
    orders.receive_order(make_draft([("A", 1)]), actor="t")
    worker.drain("t")
    assert receiver.requests == []


def test_a_released_order_is_not_received_twice(shop, receiver):
    webhooks.subscribe(url=receiver.url, events=["order.received", "order.released"], actor="t")
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="t")
    orders.place_hold(order.id, actor="t", note="check")
    orders.release_order(order.id, actor="t")
    worker.drain("t")
    types = [json.loads(body)["type"] for _, _, body in receiver.requests]
    assert types == ["order.received", "order.released"]
