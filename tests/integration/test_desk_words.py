"""The exceptions, messages, webhooks and returns pages say kinds, statuses and reasons in
words; the codes stay in the forms and the API."""

from django.utils import timezone

from despatch import worker
from despatch.models import ExceptionCase, Message, Refund, WebhookDelivery, WebhookSubscription
from despatch.services import orders, returns, tokens
from tests.conftest import make_draft
from tests.integration.test_returns import delivered


def manager(client):
    tokens.ensure_user("boss", "pw", roles=("ops_manager",), superuser=True)
    client.login(username="boss", password="pw")


def test_the_exceptions_page_says_the_kind_in_words(shop, client):
    order = orders.receive_order(make_draft([("NOPE", 1)]), actor="t")[0]
    worker.drain("t")
    assert ExceptionCase.objects.filter(order_id=order.id, kind="unknown_sku").exists()
    manager(client)
    page = client.get("/exceptions/").content.decode()
    assert '<span class="pill">Unknown SKU</span>' in page
    assert ">unknown_sku<" not in page and 'data-kind="unknown_sku"' in page
    exported = client.get("/exceptions/export.csv").content.decode()
    assert "line 1 SKU: unknown SKU" in exported and "lines[0]" not in exported


def test_the_message_and_webhook_logs_say_statuses_in_words(db, client):
    now = timezone.now()
    Message.objects.create(
        id="msg_1",
        key="k1",
        audience="customer",
        medium="email",
        template="despatched",
        topic="shipment.despatched",
        event_id=1,
        recipient="jo@example.com",
        body_text="hi",
        status="retrying",
        created_at=now,
    )
    hook = WebhookSubscription.objects.create(
        id="whs_1", url="https://shop.example/hook", secret="s" * 32, created_at=now
    )
    WebhookDelivery.objects.create(
        id="whd_1",
        subscription=hook,
        event_id=1,
        event_type="order.received",
        status="pending",
        created_at=now,
    )
    manager(client)
    messages = client.get("/messages/").content.decode()
    assert '<td class="status-retrying">Trying again</td>' in messages
    hooks = client.get("/webhooks/").content.decode()
    assert '<td class="status-pending">Waiting to send</td>' in hooks


def test_the_message_and_webhook_filters_offer_statuses_in_words_and_send_codes(db, client):
    manager(client)
    messages = client.get("/messages/", {"status": "retrying"}).content.decode()
    choices = messages.split('<select name="status">', 1)[1].split("</select>", 1)[0]
    assert '<option value="retrying" selected>Trying again</option>' in choices
    assert '<option value="queued">Waiting to send</option>' in choices
    assert ">queued<" not in choices and ">retrying<" not in choices
    hooks = client.get("/webhooks/", {"status": "cancelled"}).content.decode()
    choices = hooks.split('<select name="status"', 1)[1].split("</select>", 1)[0]
    assert '<option value="cancelled" selected>Cancelled (unsubscribed)</option>' in choices
    assert '<option value="pending">Waiting to send</option>' in choices
    assert ">pending<" not in choices and ">delivered<" not in choices


def test_the_message_and_webhook_logs_show_the_time_zone(db, client):
    now = timezone.now()
    Message.objects.create(
        id="msg_2",
        key="k2",
        audience="customer",
        medium="email",
        template="despatched",
        topic="shipment.despatched",
        event_id=2,
        recipient="jo@example.com",
        body_text="hi",
        status="sent",
        created_at=now,
    )
    manager(client)
    messages = client.get("/messages/").content.decode()
    assert f"<td>{now:%Y-%m-%d %H:%M:%S} UTC</td>" in messages


def test_the_returns_pages_say_statuses_and_reasons_in_words(shop, client):
    order = delivered([("A", 1)], external_id="W100")
    rma = returns.request_return(order.id, {1: (1, "wrong_item")}, actor="t", source="support")
    manager(client)
    desk = client.get("/returns-desk/", {"rma": rma.id}).content.decode()
    assert "· On its way back</h2>" in desk and "<td>Wrong item sent</td>" in desk
    assert "wrong_item" not in desk and "<td>requested</td>" not in desk


def test_the_customer_chooses_a_return_reason_in_words_and_sends_its_code(shop, client):
    order = delivered([("A", 1)], external_id="W101")
    found = client.post(
        "/returns/", {"step": "find", "order": "W101", "proof": order.customer_email}
    ).content.decode()
    choices = found.split('aria-label="reason for A"', 1)[1].split("</select>", 1)[0]
    assert '<option value="wrong_item">Wrong item sent</option>' in choices
    assert ">wrong_item<" not in choices
    client.post("/returns/", {"step": "request", "qty-1": "1", "reason-1": "wrong_item"})
    assert order.returns.get().lines.get().reason == "wrong_item"


def test_the_returns_desk_offers_refund_or_store_credit_in_words_and_sends_the_code(shop, client):
    order = delivered([("A", 1)], external_id="W102")
    rma = returns.request_return(order.id, {1: (1, "changed_mind")}, actor="t", source="support")
    returns.receive(rma.id, {"A": ["A"]}, actor="user:desk")
    manager(client)
    desk = client.get("/returns-desk/", {"rma": rma.id}).content.decode()
    choices = desk.split('<select name="kind"', 1)[1].split("</select>", 1)[0]
    assert '<option value="refund">Refund</option>' in choices
    assert '<option value="store_credit">Store credit</option>' in choices
    assert ">store_credit<" not in desk
    client.post(f"/returns-desk/{rma.id}/refund/", {"kind": "store_credit"})
    assert Refund.objects.get(order_id=order.id).kind == "store_credit"
