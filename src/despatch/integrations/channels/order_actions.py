"""Cancellations and refunds sent back to the platform, each through its own API.

- Shopify: cancel ``POST orders/{id}/cancel.json``; cancelled lines ``POST
  orders/{id}/refunds.json`` with ``refund_line_items`` (``restock_type: cancel``) and no
  transactions; refund ``POST orders/{id}/refunds/calculate.json`` then ``refunds.json`` with
  the lines and a ``refund`` transaction on the calculated parent.
- WooCommerce: cancel ``PUT orders/{id}`` ``status: cancelled``; refund ``POST
  orders/{id}/refunds`` with ``amount``, ``line_items`` and ``api_refund: true``.
- BigCommerce: cancel ``PUT /v2/orders/{id}`` ``status_id: 5``; refund ``POST
  /v3/orders/{id}/payment_actions/refund_quotes`` then ``.../refunds`` with the quote's first
  refund method.
- eBay: cancel ``POST /post-order/v2/cancellation`` (``legacyOrderId``, ``cancelReason``);
  refund ``POST /sell/fulfillment/v1/order/{id}/issue_refund`` per line item.
- Amazon: the SP-API has no call that cancels or refunds a seller-fulfilled order outside
  feeds: a task for a person (:data:`BY_HAND`, :data:`REFUND_BY_HAND`).

WooCommerce, BigCommerce and eBay cancel whole orders only. Each function returns the
platform's reference for what it did; a refusal (4xx) raises :class:`Refused` (permanent),
no answer or a 5xx raises :class:`Unavailable` (retried).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from despatch.domain.errors import Unavailable
from despatch.domain.money import Money
from despatch.integrations.channels import bigcommerce, http, shopify, woocommerce
from despatch.integrations.channels.base import Connection


class Refused(Unavailable):
    """The platform refused the call (a 4xx): trying again will not help."""

    code = "platform_refused"
    title = "The platform refused"


@dataclass(frozen=True)
class CancelRequest:
    external_id: str
    reason: str  # our cancel reason code
    lines: tuple[tuple[str, int], ...] = ()  # (platform line ID, units); empty: the whole order


@dataclass(frozen=True)
class RefundRequest:
    external_id: str
    refund_id: str  # ours: the idempotency key
    amount: Money
    lines: tuple[tuple[str, int, Money], ...]  # (platform line ID, units, their amount)
    reason: str = ""


BY_HAND = {
    "amazon": "cancel on Seller Central (no SP-API call cancels a seller-fulfilled order)",
}
CANCELS_LINES = frozenset({"shopify"})  # the others cancel whole orders only
REFUND_BY_HAND = {
    "amazon": "refund on Seller Central (the SP-API has no refund call)",
}


def _call(method: str, url: str, auth: dict[str, str], body: Any = None) -> Any:
    try:
        return http.call(method, url, auth, body).body or {}
    except Unavailable as exc:
        status = exc.data.get("status")
        if isinstance(status, int) and 400 <= status < 500 and status != 429:
            raise Refused(exc.detail, **exc.data) from exc
        raise


def _amount(value: Money) -> str:
    """In the currency's own minor units (Money keeps them): 1.235 KWD, 1500 JPY, 12.50 USD."""
    return f"{value.amount:f}"


# --- Shopify ----------------------------------------------------------------------------

SHOPIFY_REASONS = {"customer_request": "customer", "out_of_stock": "inventory", "fraud": "fraud"}


def _shopify(conn: Connection, order_id: str, path: str) -> str:
    return conn.url(f"/admin/api/{shopify.API_VERSION}/orders/{quote(order_id)}/{path}")


def shopify_cancel(conn: Connection, cancel: CancelRequest) -> str:
    auth = shopify.auth(conn.token)
    if cancel.lines:
        items = [
            {"line_item_id": int(line), "quantity": n, "restock_type": "cancel"}
            for line, n in cancel.lines
        ]
        cut = {"refund": {"notify": False, "refund_line_items": items}}
        answer = _call("POST", _shopify(conn, cancel.external_id, "refunds.json"), auth, cut)
        return f"refund:{(answer.get('refund') or {}).get('id', '')}"
    reason = SHOPIFY_REASONS.get(cancel.reason, "other")
    body = {"reason": reason, "email": True, "restock": True}
    answer = _call("POST", _shopify(conn, cancel.external_id, "cancel.json"), auth, body)
    return f"cancelled_at:{(answer.get('order') or {}).get('cancelled_at', '')}"


def shopify_refund(conn: Connection, refund: RefundRequest) -> str:
    auth = shopify.auth(conn.token)
    items = [
        {"line_item_id": int(line), "quantity": n, "restock_type": "no_restock"}
        for line, n, _ in refund.lines
    ]
    quoted = _call(
        "POST",
        _shopify(conn, refund.external_id, "refunds/calculate.json"),
        auth,
        {"refund": {"refund_line_items": items}},
    )
    suggested = ((quoted.get("refund") or {}).get("transactions") or [{}])[0]
    body = {
        "refund": {
            "currency": refund.amount.currency,
            "notify": True,
            "note": refund.reason or f"Despatch refund {refund.refund_id}",
            "refund_line_items": items,
            "transactions": [
                {
                    "parent_id": suggested.get("parent_id"),
                    "amount": _amount(refund.amount),
                    "kind": "refund",
                    "gateway": suggested.get("gateway", ""),
                }
            ],
        }
    }
    answer = _call("POST", _shopify(conn, refund.external_id, "refunds.json"), auth, body)
    return f"refund:{(answer.get('refund') or {}).get('id', '')}"


# --- WooCommerce ------------------------------------------------------------------------


def _woo(conn: Connection, order_id: str, tail: str = "") -> str:
    return conn.url(f"/wp-json/wc/v3/orders/{quote(order_id)}{tail}")


def woocommerce_cancel(conn: Connection, cancel: CancelRequest) -> str:
    if cancel.lines:
        raise Refused("WooCommerce has no partial cancellation: edit the order's lines there")
    answer = _call(
        "PUT", _woo(conn, cancel.external_id), woocommerce.auth(conn.token), {"status": "cancelled"}
    )
    return f"status:{answer.get('status', '')}"


def woocommerce_refund(conn: Connection, refund: RefundRequest) -> str:
    body = {
        "amount": _amount(refund.amount),
        "reason": refund.reason or f"Despatch refund {refund.refund_id}",
        "api_refund": True,
        "line_items": [
            {"id": int(line), "quantity": n, "refund_total": _amount(value)}
            for line, n, value in refund.lines
        ],
    }
    answer = _call(
        "POST", _woo(conn, refund.external_id, "/refunds"), woocommerce.auth(conn.token), body
    )
    return f"refund:{answer.get('id', '')}"


# --- BigCommerce ------------------------------------------------------------------------


def bigcommerce_cancel(conn: Connection, cancel: CancelRequest) -> str:
    if cancel.lines:
        raise Refused("BigCommerce has no partial cancellation: edit the order's lines there")
    url = conn.url(f"/v2/orders/{quote(cancel.external_id)}")
    answer = _call("PUT", url, bigcommerce.auth(conn.token), {"status_id": bigcommerce.CANCELLED})
    return f"status_id:{answer.get('status_id', '')}"


def bigcommerce_refund(conn: Connection, refund: RefundRequest) -> str:
    base = conn.url(f"/v3/orders/{quote(refund.external_id)}/payment_actions")
    auth = bigcommerce.auth(conn.token)
    items = [
        {"item_type": "PRODUCT", "item_id": int(line), "quantity": n} for line, n, _ in refund.lines
    ]
    if not items:
        items = [
            {
                "item_type": "ORDER",
                "item_id": int(refund.external_id),
                "amount": float(refund.amount.amount),
            }
        ]
    quoted = (_call("POST", f"{base}/refund_quotes", auth, {"items": items}).get("data")) or {}
    methods = quoted.get("refund_methods") or [[]]
    method = (methods[0] or [{}])[0]
    if not method.get("provider_id"):
        raise Refused("BigCommerce offered no refund method for this order")
    amount = min(Decimal(str(method.get("amount", refund.amount.amount))), refund.amount.amount)
    payments = [
        {
            "provider_id": method["provider_id"],
            "amount": float(amount),
            "offline": bool(method.get("offline")),
        }
    ]
    answer = _call("POST", f"{base}/refunds", auth, {"items": items, "payments": payments})
    return f"refund:{(answer.get('data') or {}).get('id', '')}"


# --- eBay -------------------------------------------------------------------------------

EBAY_REASONS = {
    "customer_request": "BUYER_ASKED_CANCEL",
    "address_problem": "ADDRESS_ISSUES",
}


def ebay_cancel(conn: Connection, cancel: CancelRequest) -> str:
    if cancel.lines:
        raise Refused("eBay cancels whole orders only: cancel the lines on eBay")
    body = {
        "legacyOrderId": cancel.external_id,
        "cancelReason": EBAY_REASONS.get(cancel.reason, "OUT_OF_STOCK_OR_CANNOT_FULFILL"),
    }
    answer = _call("POST", conn.url("/post-order/v2/cancellation"), http.bearer(conn.token), body)
    return f"cancellation:{answer.get('cancelId', '')}"


def ebay_refund(conn: Connection, refund: RefundRequest) -> str:
    url = conn.url(f"/sell/fulfillment/v1/order/{quote(refund.external_id)}/issue_refund")
    money = {"currency": refund.amount.currency}
    body: dict[str, Any] = {"reasonForRefund": "BUYER_RETURN", "comment": refund.reason[:100]}
    if refund.lines:
        body["refundItems"] = [
            {"lineItemId": line, "refundAmount": {**money, "value": _amount(value)}}
            for line, _, value in refund.lines
        ]
    else:
        body["orderLevelRefundAmount"] = {**money, "value": _amount(refund.amount)}
    answer = _call("POST", url, http.bearer(conn.token), body)
    return f"refund:{answer.get('refundId', '')}:{answer.get('refundStatus', '')}"


CANCEL: dict[str, Callable[[Connection, CancelRequest], str]] = {
    "shopify": shopify_cancel,
    "woocommerce": woocommerce_cancel,
    "bigcommerce": bigcommerce_cancel,
    "ebay": ebay_cancel,
}
REFUND: dict[str, Callable[[Connection, RefundRequest], str]] = {
    "shopify": shopify_refund,
    "woocommerce": woocommerce_refund,
    "bigcommerce": bigcommerce_refund,
    "ebay": ebay_refund,
}
