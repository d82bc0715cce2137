"""Returns: eligibility, receiving by RMA, grading, dispositions through the ledger; refunds
behind the approval matrix and processed through the outbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from despatch import worker
from despatch.domain.errors import Conflict, NotFound, ValidationFailed
from despatch.models import ExceptionCase, StockMovement
from despatch.services import fulfillment, inventory, orders, refunds, returns
from tests.conftest import make_draft
from tests.integration.conftest import due_now, level


def delivered(lines, **overrides):
    order, _ = orders.receive_order(make_draft(lines, **overrides), actor="t")
    worker.drain("t")
    order = orders.get_order(order.id)
    for shipment in order.shipments.all():
        fulfillment.start_picking(shipment.id, actor="t")
        fulfillment.pack(shipment.id, actor="t")
        fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="")
        fulfillment.deliver(shipment.id, actor="t")
    worker.drain("t")
    return orders.get_order(order.id)


def test_a_damaged_return_is_quarantined_while_a_big_refund_waits_for_approval(
    shop, smtp_server, monkeypatch
):
    monkeypatch.setenv("DESPATCH_REFUND_LIMITS", "5,15")
    order = delivered([("A", 2)], external_id="R100")  # 2 x 9.99 GBP
    assert level("A", "LON") == (8, 0)
    rma = returns.request_return(
        order.id, {1: (2, "damaged")}, actor="customer:jo@example.com", source="customer"
    )
    assert rma.status == "requested" and rma.warehouse_id == "LON"
    assert returns.label_pdf(rma.id).startswith(b"%PDF")
    returns.receive(rma.id, {"A": ["A", "D"]}, actor="user:desk")
    line = returns.get_return(rma.id).lines.get()
    assert line.grades == {"A": 1, "D": 1}
    assert line.dispositions == {"restock": 1, "quarantine": 1}
    row = inventory.levels(sku="A", warehouse="LON").first()
    assert (row.on_hand, row.quarantined) == (10, 1)  # the damaged one is not sellable
    assert inventory.snapshot(["A"], ["LON"])[("A", "LON")] == 9
    assert StockMovement.objects.filter(reference=rma.id, reason="return").get().quantity == 2
    assert inventory.ledger_breaks() == []
    refund = refunds.request_refund(order.id, lines={1: 2}, actor="user:support", rma_id=rma.id)
    assert refund.amount == Decimal("19.98") and refund.status == "requested"
    assert refund.approvals_needed == 2
    with pytest.raises(Conflict, match="cannot approve"):
        refunds.approve(refund.id, actor="user:support")
    refunds.approve(refund.id, actor="user:lead")
    with pytest.raises(Conflict, match="second approver"):
        refunds.approve(refund.id, actor="user:lead")
    assert refunds.get_refund(refund.id).status == "requested"
    worker.drain("t")
    assert orders.get_order(order.id).payment_status == "paid"  # not yet
    refunds.approve(refund.id, actor="user:manager")
    worker.drain("t")
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert orders.get_order(order.id).payment_status == "refunded"
    assert not ExceptionCase.objects.filter(kind="refund_approval", status="open").exists()
    subjects = smtp_server.subjects()
    assert "We received your return " + rma.id in subjects
    assert "Your refund of 19.98 GBP for order R100" in subjects
    row = inventory.levels(sku="A", warehouse="LON").first()
    assert (row.on_hand, row.quarantined) == (10, 1)  # money never moved the goods
    returns.release_held(rma.id, "A", units=1, to="scrap", actor="user:qc", note="cracked")
    row = inventory.levels(sku="A", warehouse="LON").first()
    assert (row.on_hand, row.quarantined) == (9, 0)
    assert inventory.ledger_breaks() == []


def test_small_refunds_are_automatic_and_over_refunding_is_refused(shop):
    order = delivered([("A", 1)])
    small = refunds.request_refund(order.id, amount=Decimal("5"), actor="user:support")
    assert small.status == "approved" and small.approvals_needed == 0
    worker.drain("t")
    small.refresh_from_db()
    assert small.status == "succeeded"
    with pytest.raises(ValidationFailed, match=r"more than the 4\.99 GBP left"):
        refunds.request_refund(order.id, amount=Decimal("5"), actor="user:support")


def test_the_refund_service_is_retried_after_a_500(shop, receiver, monkeypatch):
    monkeypatch.setenv("DESPATCH_REFUND_WEBHOOK_URL", receiver.url + "/refunds")
    order = delivered([("A", 1)])
    receiver.script = [503]
    refund = refunds.request_refund(order.id, amount=Decimal("2"), actor="user:support")
    worker.drain("t")
    refund.refresh_from_db()
    assert refund.status == "processing" and "503" in refund.last_error
    due_now()
    worker.drain("t")
    refund.refresh_from_db()
    assert refund.status == "succeeded" and len(receiver.requests) == 2


def test_returns_are_checked_for_eligibility(shop, monkeypatch):
    from despatch.models import Sku

    not_yet, _ = orders.receive_order(make_draft([("A", 1)]), actor="t")
    with pytest.raises(ValidationFailed, match="nothing on this order has been despatched"):
        returns.request_return(not_yet.id, {1: (1, "changed_mind")}, actor="t")
    Sku.objects.filter(code="B").update(flags=["non_returnable"])
    order = delivered([("A", 1), ("B", 1)])
    with pytest.raises(ValidationFailed) as caught:
        returns.request_return(order.id, {1: (2, "changed_mind"), 2: (1, "bored")}, actor="t")
    fields = {e.field: e.message for e in caught.value.errors}
    assert fields["lines[1]"] == "can return 1 to 1 of A, not 2"
    assert fields["lines[2]"] == "B cannot be returned"
    assert fields["lines[2].reason"] == "'bored' is not a return reason"
    late = timezone.localdate() + timedelta(days=31)
    with pytest.raises(ValidationFailed, match="30-day return window closed"):
        returns.request_return(order.id, {1: (1, "changed_mind")}, actor="t", today=late)
    rma = returns.request_return(order.id, {1: (1, "changed_mind")}, actor="t")
    with pytest.raises(ValidationFailed, match="can return 1 to 0"):
        returns.request_return(order.id, {1: (1, "changed_mind")}, actor="t")
    with pytest.raises(ValidationFailed, match="not a grade"):
        returns.receive(rma.id, {"A": ["Z"]}, actor="t")
    returns.receive(rma.id, {"A": ["B"]}, actor="t")
    with pytest.raises(Conflict, match="received already"):
        returns.receive(rma.id, {"A": ["B"]}, actor="t")
    assert level("A", "LON") == (10, 1)  # restocked; the first order holds one


def test_customers_find_their_order_by_number_and_email_or_postcode(shop):
    order = delivered([("A", 1)], external_id="#1042")
    assert returns.find_for_customer("1042", "JO@example.com").id == order.id
    assert returns.find_for_customer("#1042", "ls1 1aa").id == order.id
    with pytest.raises(NotFound):
        returns.find_for_customer("1042", "someone@else.com")


def test_quarantine_past_its_check_time_opens_a_case_and_reasons_are_reported(shop):
    order = delivered([("A", 1)])
    rma = returns.request_return(order.id, {1: (1, "defective")}, actor="t")
    returns.receive(rma.id, {"A": ["C"]}, actor="t")  # used: refurbish, held
    assert returns.flag_qc_due(timezone.now()) == 0
    assert returns.flag_qc_due(timezone.now() + timedelta(days=4)) == 1
    assert ExceptionCase.objects.get(kind="qc_due").queue == "returns"
    returns.release_held(rma.id, "A", units=1, to="restock", actor="user:qc")
    assert ExceptionCase.objects.get(kind="qc_due").status == "resolved"
    assert inventory.snapshot(["A"], ["LON"])[("A", "LON")] == 10
    assert returns.reason_report() == [
        {"sku": "A", "channel": "web", "reason": "defective", "units": 1, "sold": 1}
    ]
