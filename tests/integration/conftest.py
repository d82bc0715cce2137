import pytest

from despatch import worker
from despatch.services import catalogue, inventory


@pytest.fixture
def shop(db):
    """Two warehouses (LON first) and SKUs A, B, C, D with known stock."""
    catalogue.upsert_warehouse(code="LON", name="London", time_zone="Europe/London", priority=1)
    catalogue.upsert_warehouse(
        code="NJ", name="New Jersey", time_zone="America/New_York", priority=2
    )
    catalogue.upsert_skus(catalogue.SkuRow(code, f"Item {code}") for code in "ABCD")
    for sku, warehouse, qty in [("A", "LON", 10), ("B", "LON", 2), ("B", "NJ", 5), ("C", "NJ", 3)]:
        inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=qty, actor="test")
    worker.drain("test-worker")
    return None


def level(sku, warehouse):
    row = inventory.levels(sku=sku, warehouse=warehouse).first()
    return (row.on_hand, row.reserved) if row else (0, 0)


class Mailbox:
    """What a real SMTP server on 127.0.0.1 received (aiosmtpd)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def subjects(self):
        return [str(m["Subject"]) for m in self.messages]

    def text_of(self, message):
        return message.get_body(preferencelist=("plain",)).get_content()


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch):
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("DESPATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DESPATCH_SMTP_PORT", str(port))
    monkeypatch.setenv("DESPATCH_MAIL_FROM", "Shop <orders@shop.example>")
    yield mailbox
    controller.stop()


class Receiver:
    """A local HTTP server that records POSTs and answers from a script of status codes."""

    def __init__(self):
        self.requests = []  # (path, headers, body)
        self.script = []  # status codes to answer in turn; then 200

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append((self.path, dict(self.headers), body))
            status = state.script.pop(0) if state.script else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status < 300 else b"down for maintenance")

        def log_message(self, *args):
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


def due_now():
    """Make every retry due at once (instead of waiting out the backoff)."""
    from django.utils import timezone

    from despatch.models import OutboxEvent

    OutboxEvent.objects.filter(status="pending").update(available_at=timezone.now())


@pytest.fixture
def api_call(shop, client):
    """``api_call(method, "/api/...", body)`` as an order-ops user; returns (status, json)."""
    import json

    from despatch.services import tokens

    tokens.ensure_user("ops", "pw", roles=("order_ops", "ops_manager"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('ops')}"}

    def call(method, path, body=None):
        kwargs = {"content_type": "application/json", **auth}
        if body is not None:
            kwargs["data"] = json.dumps(body)
        response = getattr(client, method)(path, **kwargs)
        return response.status_code, response.json()

    return call
