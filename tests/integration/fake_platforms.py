"""A local stand-in for a platform's API, for connector tests (not a test itself).

Serves on 127.0.0.1 either a scripted list of answers (in order of arrival) or answers from a
``route(method, path, body)`` function, and records every request it got."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakePlatform:
    url: str
    script: list[Answer]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def calls(self, method: str, prefix: str = "") -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(prefix)]


Route = Callable[[str, str, Any], Answer]


@contextmanager
def fake_platform(
    script: list[Answer] | None = None, route: Route | None = None
) -> Iterator[FakePlatform]:
    platform = FakePlatform("", list(script or []))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            form = "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "")
            sent = dict(parse_qsl(raw.decode())) if form else json.loads(raw) if raw else None
            with lock:
                platform.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "body": sent,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "authorization": self.headers.get("Authorization", ""),
                    }
                )
                if route is not None:
                    answer = route(self.command, self.path, sent)
                elif platform.script:
                    answer = platform.script.pop(0)
                else:
                    answer = Answer(404, {"errors": ["nothing scripted"]})
            body = b"" if answer.status == 204 else json.dumps(answer.body or {}).encode()
            self.send_response(answer.status)
            for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    platform.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def shopify_inventory_set(body: Any, refuse: dict[str, str] | None = None) -> Answer:
    """Shopify's answer to the ``inventorySetQuantities`` mutation, shaped as its documented
    example: an adjustment group, and a user error for each item named in ``refuse``
    (inventory item number -> message), pointing at its index in ``quantities``."""
    quantities = body["variables"]["input"]["quantities"]
    errors = [
        {
            "field": ["input", "quantities", str(i), "inventoryItemId"],
            "message": (refuse or {})[q["inventoryItemId"].rsplit("/", 1)[-1]],
            "code": "INVALID_INVENTORY_ITEM",
        }
        for i, q in enumerate(quantities)
        if q["inventoryItemId"].rsplit("/", 1)[-1] in (refuse or {})
    ]
    group = (
        None
        if errors
        else {
            "createdAt": "2026-11-23T10:00:00Z",
            "reason": "Inventory correction",
            "changes": [{"name": "available", "delta": q["quantity"]} for q in quantities],
        }
    )
    return Answer(
        200,
        {
            "data": {
                "inventorySetQuantities": {"inventoryAdjustmentGroup": group, "userErrors": errors}
            }
        },
    )


def shopify_quantities_sent(requests: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(inventory item number, quantity) of every quantity set through GraphQL, in order."""
    return [
        (int(q["inventoryItemId"].rsplit("/", 1)[-1]), q["quantity"])
        for r in requests
        if r["path"].endswith("/graphql.json")
        for q in r["body"]["variables"]["input"]["quantities"]
    ]


LWA_PATH = "/auth/o2/token"


def lwa_token(body: Any, *, refresh_token: str, client_id: str, client_secret: str) -> Answer:
    """Login with Amazon's token endpoint, as documented: a form-encoded refresh-token grant
    answered with an access token for an hour; a wrong grant or client is refused (400)."""
    if (body or {}).get("grant_type") != "refresh_token":
        return Answer(400, {"error": "unsupported_grant_type", "error_description": "bad grant"})
    if (body.get("client_id"), body.get("client_secret")) != (client_id, client_secret):
        return Answer(401, {"error": "invalid_client", "error_description": "Client auth failed"})
    if body.get("refresh_token") != refresh_token:
        return Answer(
            400,
            {
                "error": "invalid_grant",
                "error_description": "The request has an invalid grant parameter : refresh_token",
            },
        )
    issued = f"Atza|IQEBLjAsAh{len(lwa_issued)}"
    lwa_issued.append(issued)
    return Answer(
        200,
        {
            "access_token": issued,
            "refresh_token": refresh_token,
            "token_type": "bearer",
            "expires_in": 3600,
        },
    )


lwa_issued: list[str] = []  # every access token the fake endpoint handed out


# Write-back endpoints of each platform, with state: what was posted is listed back (as the
# platform would), so an adapter that reads before it posts finds an earlier attempt's record.
# Shapes follow each platform's documented examples (see docs/channels.md).


def failing_first(route: Route, times: int, status: int = 503) -> Route:
    """``route``, after answering ``status`` to the first ``times`` requests."""
    left = {"n": times}

    def flaky(method: str, path: str, body: Any) -> Answer:
        if left["n"] > 0:
            left["n"] -= 1
            return Answer(status, {"errors": "temporarily unavailable"})
        return route(method, path, body)

    return flaky


def shopify_store(fulfillment_orders: list[dict[str, Any]], posted: list[dict[str, Any]]) -> Route:
    """``GET orders/{id}/fulfillment_orders.json`` and ``fulfillments.json``, ``POST
    fulfillments.json`` (refusing more units than a fulfillment order line has left)."""

    def route(method: str, path: str, body: Any) -> Answer:
        if method == "GET" and path.endswith("/fulfillment_orders.json"):
            return Answer(200, {"fulfillment_orders": fulfillment_orders})
        if method == "GET" and path.endswith("/fulfillments.json"):
            return Answer(200, {"fulfillments": posted})
        if method == "POST" and path.endswith("/fulfillments.json"):
            items = {li["id"]: li for fo in fulfillment_orders for li in fo["line_items"]}
            lines = []
            for group in body["fulfillment"]["line_items_by_fulfillment_order"]:
                for wanted in group["fulfillment_order_line_items"]:
                    item = items[wanted["id"]]
                    if wanted["quantity"] > item["fulfillable_quantity"]:
                        return Answer(
                            422, {"errors": ["Invalid fulfillment order line item quantity"]}
                        )
                    item["fulfillable_quantity"] -= wanted["quantity"]
                    lines.append({"id": item["line_item_id"], "quantity": wanted["quantity"]})
            made = {
                "id": 1069020400 + len(posted),
                "status": "success",
                "tracking_number": body["fulfillment"]["tracking_info"].get("number"),
                "tracking_company": body["fulfillment"]["tracking_info"].get("company"),
                "line_items": lines,
            }
            posted.append(made)
            return Answer(201, {"fulfillment": made})
        return Answer(404, {"errors": "Not Found"})

    return route


def woocommerce_store(notes: list[dict[str, Any]], orders: dict[str, Any]) -> Route:
    """``GET|POST orders/{id}/notes`` and ``PUT orders/{id}``."""

    def route(method: str, path: str, body: Any) -> Answer:
        if path.endswith("/notes"):
            if method == "POST":
                notes.append({"id": 281 + len(notes), **body})
                return Answer(201, notes[-1])
            return Answer(200, notes)
        if method == "PUT":
            orders[path.rsplit("/", 1)[-1]] = body
            return Answer(200, {"id": int(path.rsplit("/", 1)[-1]), **body})
        return Answer(404, {"code": "woocommerce_rest_shop_order_invalid_id"})

    return route


def amazon_store(packages: dict[str, dict[str, Any]]) -> Route:
    """``POST /orders/v0/orders/{id}/shipmentConfirmation``: 204; the same package reference
    again edits the package (kept by reference)."""

    def route(method: str, path: str, body: Any) -> Answer:
        if method == "POST" and path.endswith("/shipmentConfirmation"):
            packages[body["packageDetail"]["packageReferenceId"]] = body
            return Answer(204)
        return Answer(404, {"errors": [{"code": "NotFound"}]})

    return route


def ebay_store(fulfillments: list[dict[str, Any]], base: list[str]) -> Route:
    """``GET|POST /sell/fulfillment/v1/order/{id}/shipping_fulfillment``; a POST answers 201
    with the new fulfillment's URI in ``Location`` (``base[0]`` is the server's URL)."""

    def route(method: str, path: str, body: Any) -> Answer:
        if not path.split("?")[0].endswith("/shipping_fulfillment"):
            return Answer(404, {"errors": [{"errorId": 32100}]})
        if method == "GET":
            return Answer(200, {"fulfillments": fulfillments, "total": len(fulfillments)})
        made = {
            "fulfillmentId": body.get("trackingNumber") or f"F{len(fulfillments) + 1}",
            "lineItems": body["lineItems"],
            "shipmentTrackingNumber": body.get("trackingNumber"),
            "shippedDate": body.get("shippedDate"),
            "shippingCarrierCode": body.get("shippingCarrierCode"),
        }
        fulfillments.append(made)
        location = f"{base[0]}{path}/{made['fulfillmentId']}"
        return Answer(201, None, {"Location": location})

    return route


def bigcommerce_store(shipments: list[dict[str, Any]], address_id: int = 131) -> Route:
    """``GET|POST /v2/orders/{id}/shipments`` (204 when there is none) and
    ``GET /v2/orders/{id}/shipping_addresses``."""

    def route(method: str, path: str, body: Any) -> Answer:
        if path.endswith("/shipping_addresses"):
            return Answer(200, [{"id": address_id, "order_id": 228}])
        if not path.endswith("/shipments"):
            return Answer(404, [{"status": 404, "message": "not found"}])
        if method == "GET":
            return Answer(200, shipments) if shipments else Answer(204)
        shipments.append({"id": 11 + len(shipments), "date_created": "Wed, 13 Mar 2019", **body})
        return Answer(201, shipments[-1])

    return route
