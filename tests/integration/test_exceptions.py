"""Exception queues on the database: opened with their cause, owned, escalated, resolved."""

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.addresses import Address
from despatch.domain.errors import Conflict, ValidationFailed
from despatch.domain.orders import PaymentStatus
from despatch.models import AuditEntry, ExceptionCase, OutboxEvent
from despatch.services import (
    cancellations,
    channels,
    exceptions,
    listings,
    orders,
    resolutions,
    tokens,
)
from despatch.services.audit import Trail
from tests.conftest import make_draft
from tests.integration.conftest import level


def held(lines=(("A", 1),), **overrides):
    order, _ = orders.receive_order(make_draft(lines, **overrides), actor="t")
    worker.drain("w")
    return orders.get_order(order.id)


def case_of(order):
    return ExceptionCase.objects.get(order=order, status="open")


def test_a_hold_opens_one_case_with_its_policy(shop):
    order = held([("NOPE", 1)])
    assert (order.status, order.hold_reason) == ("on_hold", "unknown_sku")
    case = case_of(order)
    assert (case.kind, case.queue, case.owner, case.priority) == (
        "unknown_sku",
        "catalogue",
        "group:order-ops",
        2,
    )
    assert case.due_at - case.opened_at == timedelta(hours=4)
    assert "unknown SKU 'NOPE'" in case.summary and case.detail[0]["field"] == "lines[0].sku"
    assert AuditEntry.objects.filter(subject_id=case.id, action="opened").count() == 1
    assert OutboxEvent.objects.filter(topic="exception.opened", key=case.id).count() == 1
    worker.drain("w")  # nothing runs twice
    assert ExceptionCase.objects.filter(order=order).count() == 1


def test_substitute_a_sku_and_the_order_goes_on(shop):
    order = held([("A", 1), ("NOPE", 1)])
    case = case_of(order)
    with pytest.raises(ValidationFailed, match="'GHOST' is not a known, active SKU"):
        resolutions.resolve(
            case.id, "substitute", actor="user:ann", fix=resolutions.Fix(line_no=2, sku="GHOST")
        )
    done = resolutions.resolve(
        case.id, "substitute", actor="user:ann", fix=resolutions.Fix(line_no=2, sku="B")
    )
    assert (done.status, done.resolution, done.resolved_by) == (
        "resolved",
        "substitute",
        "user:ann",
    )
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "allocated" and [li.sku for li in order.lines.all()] == ["A", "B"]
    assert AuditEntry.objects.filter(order_id=order.id, action="sku_substituted").exists()


def test_fix_an_address_names_what_is_still_wrong(shop):
    bad = Address("Jo", "1 High St", "", "LS1 1AA", "GB")
    order = held(shipping_address=bad)
    case = case_of(order)
    assert (case.kind, case.queue, case.owner) == ("invalid_address", "addresses", "group:support")
    with pytest.raises(ValidationFailed, match=r"shipping_address\.country: must be an ISO"):
        resolutions.resolve(
            case.id,
            "fix_address",
            actor="user:sue",
            fix=resolutions.Fix(address={"city": "Leeds", "country": "GBR"}),
        )
    assert case_of(order).id == case.id  # still open, nothing changed
    resolutions.resolve(
        case.id, "fix_address", actor="user:sue", fix=resolutions.Fix(address={"city": "Leeds"})
    )
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "allocated" and order.shipping_address["city"] == "Leeds"
    fixed = AuditEntry.objects.get(order_id=order.id, action="address_corrected")
    assert (fixed.before, fixed.after) == ({"city": ""}, {"city": "Leeds"})


def test_an_action_the_kind_does_not_take_is_refused_and_a_case_resolves_once(shop):
    order = held([("NOPE", 1)])
    case = case_of(order)
    with pytest.raises(ValidationFailed, match="resolved by substitute, release, cancel"):
        resolutions.resolve(case.id, "resolve", actor="user:ann")
    resolutions.resolve(case.id, "cancel", actor="user:ann", fix=resolutions.Fix(note="fraud"))
    assert orders.get_order(order.id).status == "cancelled"
    with pytest.raises(Conflict, match="already resolved \\(cancel\\) by user:ann"):
        resolutions.resolve(case.id, "cancel", actor="user:bob")


def test_payment_arriving_closes_the_payment_case_by_itself(shop):
    order = held(payment_status=PaymentStatus.PENDING)
    case = case_of(order)
    assert (case.kind, case.queue) == ("awaiting_payment", "payments")
    with transaction.atomic():
        locked = orders.lock_order(order.id)
        locked.payment_status = PaymentStatus.PAID
        locked.save(update_fields=["payment_status"])
        trail = Trail("stripe")
        assert orders.release_if_paid(locked, trail)
        trail.save()
    case.refresh_from_db()
    assert (case.status, case.resolution, case.resolved_by) == ("resolved", "auto", "stripe")


def test_an_oversold_order_is_backordered_without_a_hold_or_a_case(shop):
    channels.configure_channel(
        code="shop", name="Shop", type="shopify", settings={"partial_shipments": "never"}
    )
    listings.set_listings("shop", [("B", "1")])
    order, _ = orders.receive_order(make_draft([("B", 9)], channel="shop"), actor="t")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert (order.status, order.hold_reason) == ("backordered", "")
    assert level("B", "LON")[1] + level("B", "NJ")[1] == 7  # what there was, reserved
    assert not ExceptionCase.objects.filter(order=order).exists()


def test_manual_hold_and_release_from_the_order_close_the_case(shop):
    order = held([("C", 9)])
    assert order.status == "backordered"  # a backordered order may still be held
    orders.place_hold(order.id, actor="user:ann", note="customer phoned")
    case = case_of(order)
    assert (case.kind, case.summary) == ("manual", "customer phoned")
    orders.release_order(order.id, actor="user:ann")
    case.refresh_from_db()
    assert (case.status, case.resolution) == ("resolved", "release")
    orders.place_hold(order.id, actor="user:ann", note="again")  # a second hold, a second case
    assert ExceptionCase.objects.filter(order=order).count() == 2


def test_the_queue_puts_breached_first_then_priority_then_due(shop):
    now = timezone.now()
    a = case_of(held([("NOPE", 1)]))  # P2, 4 h
    b = case_of(held(payment_status=PaymentStatus.PENDING))  # P3, 24 h
    c = case_of(held(shipping_address=Address("Jo", "", "Leeds", "", "GB")))  # P2, 4 h
    ExceptionCase.objects.filter(pk=b.pk).update(due_at=now - timedelta(minutes=5))
    assert [x.id for x in exceptions.list_cases(now=now)] == [b.id, a.id, c.id]
    assert exceptions.queue_counts(now=now) == [
        {"queue": "addresses", "open": 1, "breached": 0},
        {"queue": "catalogue", "open": 1, "breached": 0},
        {"queue": "payments", "open": 1, "breached": 1},
    ]
    assert [x.id for x in exceptions.list_cases(queue="payments")] == [b.id]
    tokens.ensure_user("alice", "pw", roles=("order_ops",))
    exceptions.assign(a.id, "alice", actor="user:lead")
    assert [x.id for x in exceptions.list_cases(owner="user:alice")] == [a.id]
    with pytest.raises(ValidationFailed, match="is not user:NAME or group:NAME"):
        exceptions.assign(a.id, "robot:x", actor="user:lead")


def test_breached_cases_escalate_once_to_the_policy_owner(shop):
    case = case_of(held([("NOPE", 1)]))
    assert exceptions.escalate_due(case.due_at - timedelta(seconds=1)) == 0
    assert exceptions.escalate_due(case.due_at + timedelta(seconds=1)) == 1
    assert exceptions.escalate_due(case.due_at + timedelta(hours=1)) == 0  # once
    case.refresh_from_db()
    assert case.owner == "group:ops-managers" and case.escalated_at is not None
    entry = AuditEntry.objects.get(subject_id=case.id, action="escalated")
    assert (entry.before, entry.after, entry.reason_code) == (
        "group:order-ops",
        "group:ops-managers",
        "sla_breached",
    )
    event = OutboxEvent.objects.get(topic="exception.escalated")
    assert event.payload["previous_owner"] == "group:order-ops"


def test_a_site_policy_file_changes_owners_and_slas(shop, tmp_path, monkeypatch):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"unknown_sku": {"owner": "group:buyers", "sla_minutes": 30}}))
    monkeypatch.setenv("DESPATCH_EXCEPTION_POLICY", str(policy))
    case = case_of(held([("NOPE", 1)]))
    assert case.owner == "group:buyers" and case.due_at - case.opened_at == timedelta(minutes=30)
    policy.write_text(json.dumps({"unknown_sku": {"sla_minutes": 0, "colour": "red"}}))
    with pytest.raises(ValidationFailed) as failure:
        exceptions.current_policies()
    assert {e.field for e in failure.value.errors} == {
        "unknown_sku.sla_minutes",
        "unknown_sku.colour",
    }


def test_bulk_resolution_reports_each_case(shop):
    first, second = case_of(held([("NOPE", 1)])), case_of(held([("NOPE", 2)]))
    resolutions.resolve(first.id, "cancel", actor="user:ann")
    outcomes = resolutions.resolve_many(
        [first.id, second.id, "exc_missing", second.id], "cancel", actor="user:bob"
    )
    assert [(o.exception_id, o.ok) for o in outcomes] == [
        (first.id, False),
        (second.id, True),
        ("exc_missing", False),
    ]
    assert "already resolved" in outcomes[0].detail and "does not exist" in outcomes[2].detail


@pytest.fixture
def api(shop, client):
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('ops')}"}

    def call(method, path, body=None):
        kwargs = {"content_type": "application/json", **auth}
        if body is not None:
            kwargs["data"] = json.dumps(body)
        response = getattr(client, method)(f"/api/exceptions{path}", **kwargs)
        return response.status_code, response.json()

    return call


def test_the_queue_over_the_api(api):
    order = held([("NOPE", 1)])
    other = held([("NOPE", 1)])
    status, rows = api("get", "?queue=catalogue")
    assert status == 200 and {r["order_id"] for r in rows} == {order.id, other.id}
    assert rows[0]["breached"] is False and rows[0]["owner"] == "group:order-ops"
    case_id = case_of(order).id
    status, body = api("post", f"/{case_id}/assign", {"owner": "user:ops"})
    assert status == 200 and body["owner"] == "user:ops"
    status, body = api("post", f"/{case_id}/resolve", {"action": "teleport"})
    assert status == 422 and body["errors"][0]["field"] == "action"
    status, body = api(
        "post", f"/{case_id}/resolve", {"action": "substitute", "line_no": 1, "sku": "A"}
    )
    assert status == 200 and (body["status"], body["resolved_by"]) == ("resolved", "user:ops")
    status, body = api("post", f"/{case_id}/resolve", {"action": "cancel"})
    assert status == 409 and "already resolved" in body["detail"]
    status, body = api("get", "/exc_nope")
    assert status == 404
    status, body = api(
        "post", "/bulk", {"ids": [case_of(other).id, case_id], "action": "cancel", "note": "x"}
    )
    assert status == 200 and (body["resolved"], body["failed"]) == (1, 1)
    status, body = api("get", "/queues")
    assert status == 200 and body == []
    status, body = api("get", "?status=all&order_id=" + order.id)
    assert [r["resolution"] for r in body] == ["substitute"]


def test_the_queue_from_the_cli(shop):
    order = held([("NOPE", 1)])
    case = case_of(order)
    runner = CliRunner()
    listed = runner.invoke(app, ["exceptions", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["id"] for r in json.loads(listed.output)] == [case.id]
    table = runner.invoke(app, ["exceptions", "list"])
    assert table.exit_code == 0 and "catalogue: 1 open, 0 past SLA" in table.output
    tokens.ensure_user("lee", "pw", roles=("support",))  # --by names a user who may
    tokens.ensure_user("kim", "pw", roles=("support",))  # a case goes to one who may work it
    assigned = runner.invoke(app, ["exceptions", "assign", case.id, "--to", "kim", "--by", "lee"])
    assert assigned.exit_code == 0 and "owned by user:kim" in assigned.output
    bad = runner.invoke(app, ["exceptions", "list", "--kind", "weird"])
    assert bad.exit_code == 1 and "unknown kind 'weird'" in bad.output
    refused = runner.invoke(
        app, ["exceptions", "resolve", case.id, "exc_none", "--action", "substitute", "--line", "1"]
    )
    assert refused.exit_code == 1 and "give the line number and the SKU" in refused.output
    done = runner.invoke(
        app,
        ["exceptions", "resolve", case.id, "--action", "substitute", "--line", "1", "--sku", "A"],
    )
    assert done.exit_code == 0 and f"{case.id}: resolved (substitute)" in done.output
    entry = AuditEntry.objects.get(subject_id=case.id, action="resolved")
    assert entry.actor.startswith("user:")


def test_the_cli_lists_print_ids_whole_at_80_columns(shop):
    order = held([("NOPE", 1)], channel="amazon-us-long", external_id="114-3941689-8772232")
    case = case_of(order)
    runner = CliRunner()
    for command, ids in (
        (["orders", "list"], [order.id, "amazon-us-long 114-3941689-8772232"]),
        (["exceptions", "list"], [case.id, order.id]),
    ):
        shown = runner.invoke(app, command, env={"COLUMNS": "80"})
        assert shown.exit_code == 0, shown.output
        lines = shown.output.splitlines()
        assert max(len(line) for line in lines) <= 80 and "…" not in shown.output
        for identifier in ids:  # each on one line, whole, to be copied
            assert any(identifier in line for line in lines), (identifier, shown.output)
    assert "unknown_sku" in shown.output and "catalogue: 1 open" in shown.output


def test_the_queue_page_takes_and_resolves(shop, client):
    order = held([("NOPE", 1)])
    case = case_of(order)
    tokens.ensure_user("sue", "pw", roles=("support",))
    client.login(username="sue", password="pw")
    page = client.get("/exceptions/").content.decode()
    assert case.id in page and "unknown SKU" in page and "Substitute a SKU" in page
    # the order is named as its channel names it, and links to its page
    link = f'<a href="/orders/{order.id}/">{order.external_id}</a>'
    assert link in page and f'data-order="{order.external_id}"' in page
    assert f">{order.channel}</small>" in page and f">{order.id}<" not in page
    taken = client.post("/exceptions/", {"ids": [case.id], "action": "take"}, HTTP_HX_REQUEST="1")
    assert "1 taken by you" in taken.content.decode()
    assert exceptions.get_case(case.id).owner == "user:sue"
    tokens.ensure_user("nobody", "pw")
    client.login(username="nobody", password="pw")
    refused = client.post("/exceptions/", {"ids": [case.id], "action": "cancel"})
    assert refused.status_code == 403 and "exceptions.read" in refused.content.decode()
    assert orders.get_order(order.id).status == "on_hold"


def test_the_queue_page_refuses_a_queue_that_does_not_exist(shop, client):
    order = held([("NOPE", 1)])
    tokens.ensure_user("sue", "pw", roles=("support",))
    client.login(username="sue", password="pw")
    bogus = client.get("/exceptions/", {"queue": "bogus"})
    assert bogus.status_code == 400
    assert "there is no queue &#x27;bogus&#x27;: use one of" in bogus.content.decode()
    catalogue = client.get("/exceptions/", {"queue": case_of(order).queue})
    assert catalogue.status_code == 200 and case_of(order).id in catalogue.content.decode()


def test_a_risky_order_waits_for_fraud_review_and_a_release_clears_it(shop):
    from decimal import Decimal

    from despatch.domain.money import Money
    from despatch.domain.orders import LineDraft

    pricey = (LineDraft("A", 1, Money(Decimal("2400.00"), "GBP")),)
    nophone = Address("Jo", "1 High St", "Leeds", "LS1 1AA", "GB")
    draft = make_draft(
        requested_service="express", customer_email="new@example.com", shipping_address=nophone
    )
    order, _ = orders.receive_order(replace(draft, lines=pricey), actor="t")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert (order.status, order.hold_reason, order.fraud_score) == ("on_hold", "fraud_review", 75)
    case = case_of(order)
    assert (case.kind, case.queue, case.priority) == ("fraud_review", "fraud", 1)
    assert "first order, express shipping" in case.summary
    assert AuditEntry.objects.get(order_id=order.id, action="fraud_scored").after == 75
    resolutions.resolve(case.id, "release", actor="user:fran", fix=resolutions.Fix(note="ok"))
    worker.drain("w")
    assert orders.get_order(order.id).status == "allocated"  # not screened again
    assert ExceptionCase.objects.filter(order=order).count() == 1


def test_repeat_cancellers_are_scored_but_not_held_below_the_threshold(shop):
    for _ in range(2):
        earlier = held(customer_email="often@example.com")
        cancellations.cancel_order(earlier.id, actor="t")
    order = held(customer_email="Often@Example.com")
    assert order.status == "allocated" and order.fraud_score == 30
    assert order.fraud_reasons == ["+30 2 earlier orders of this customer cancelled"]


def test_a_postcode_the_country_does_not_know_is_held_with_a_hint_and_fixed(shop):
    order = held(shipping_address=Address("Jo", "1 High St", "Leeds", "LS1", "GB"))
    assert order.hold_reason == "invalid_address"
    (problem,) = order.hold_detail
    assert problem["field"] == "shipping_address.postcode" and problem["hint"].startswith("e.g.")
    case = case_of(order)
    with pytest.raises(ValidationFailed, match="is not a valid GB postcode"):
        resolutions.resolve(
            case.id, "fix_address", actor="u", fix=resolutions.Fix(address={"postcode": "LS1 Z"})
        )
    resolutions.resolve(
        case.id, "fix_address", actor="u", fix=resolutions.Fix(address={"postcode": "LS1 4DY"})
    )
    worker.drain("w")
    assert orders.get_order(order.id).status == "allocated"
