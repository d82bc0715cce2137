"""Amazon Selling Partner API, Orders v0: ``getOrder`` with its ``getOrderItems`` page(s).

A payload is ``{"order": <getOrder response>, "items": [<getOrderItems response>, ...]}``
(each response as the API returns it, with its ``payload``); pages follow ``NextToken``.
``FulfillmentChannel`` AFN orders are Amazon's to ship: recorded, never fulfilled here.
``Pending`` orders (payment not yet authorised) wait on hold until an update says otherwise.
``ItemPrice`` and ``ShippingPrice`` are line totals (price x quantity). Where the marketplace
quotes prices with VAT (UK, EU and the rest), they already contain ``ItemTax`` and
``ShippingTax``; only where it quotes prices without tax (US, CA: :data:`TAX_ON_TOP`) is the
tax added on top. The tax is ``ItemTax`` + ``ShippingTax`` less the tax on the discounts
(``PromotionDiscountTax``, ``ShippingDiscountTax``), plus the gift wrap's ``GiftWrapTax``. The
order reconciles as items + shipping - shipping discount - promotion discount + COD fee - COD fee
discount + gift wrap (``GiftWrapPrice``, in the item's ``BuyerInfo``) (+ that tax on US/CA
marketplaces) = ``OrderTotal``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from despatch.domain.addresses import Address
from despatch.domain.errors import DomainError, Unavailable, ValidationFailed
from despatch.domain.money import Money, total
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.integrations.channels import http, lwa
from despatch.integrations.channels.base import (
    ChannelOrder,
    Connection,
    StockUpdate,
    keyed_money,
    line_for_total,
    no_delivery_ids,
    no_webhooks,
    phone,
    quantity,
    require,
    timestamp,
)
from despatch.integrations.channels.confirmations import (
    AMAZON_CARRIERS,
    Confirmation,
    ShipmentNotice,
    carrier_key,
    require_line_ids,
)

KIND = "amazon"
WEBHOOKS = False
PAGE_SIZE = 100
FIRST_PULL = timedelta(days=30)  # getOrders needs a start; the first pull looks this far back

PAYMENT = {
    "Pending": PaymentStatus.PENDING,
    "PendingAvailability": PaymentStatus.PENDING,
    "Unshipped": PaymentStatus.PAID,
    "PartiallyShipped": PaymentStatus.PAID,
    "Shipped": PaymentStatus.PAID,
    "InvoiceUnconfirmed": PaymentStatus.PAID,
    "Canceled": PaymentStatus.VOIDED,
    "Unfulfillable": PaymentStatus.PAID,
}

# Every item shipped: ``InvoiceUnconfirmed`` is shipped, its invoice not yet confirmed to Amazon.
SHIPPED = frozenset({"Shipped", "InvoiceUnconfirmed"})

# Marketplaces that quote prices without tax (Amazon.com, Amazon.ca): tax comes on top.
TAX_ON_TOP = frozenset({"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"})
TAX_ON_TOP_CURRENCIES = frozenset({"USD", "CAD"})  # when the order names no marketplace

# discounts and the tax on them: amounts taken off, given positive (some exports: negative)
TAKEN_OFF = frozenset(
    {
        "PromotionDiscount",
        "PromotionDiscountTax",
        "ShippingDiscount",
        "ShippingDiscountTax",
        "CODFeeDiscount",
    }
)
GIFT_WRAP = frozenset({"GiftWrapPrice", "GiftWrapTax"})  # in OrderTotal, in no other amount

verify = no_webhooks
delivery = no_delivery_ids


def _money(value: Any, currency: str, where: str) -> Money:
    """SP-API Money: {"CurrencyCode": "USD", "Amount": "12.50"}."""
    return keyed_money(value, currency, where, amount="Amount", code="CurrencyCode")


def _address(data: dict[str, Any]) -> Address:
    country = (data.get("CountryCode") or "").upper()
    e164, raw = phone(data.get("Phone"), country)
    # the street is sometimes in AddressLine2 with AddressLine1 empty (EU addresses): the
    # first line given is the first line
    lines = [str(v).strip() for v in (data.get(f"AddressLine{n}") for n in (1, 2, 3)) if v]
    lines = [line for line in lines if line] or [""]
    return Address(
        name=data.get("Name") or "",
        line1=lines[0],
        line2=" ".join(lines[1:]),
        city=data.get("City") or "",
        region=data.get("StateOrRegion") or "",
        postcode=data.get("PostalCode") or "",
        country=country,
        phone=e164,
        phone_raw=raw,
    )


def _field(item: dict[str, Any], name: str) -> Any:
    """An item's amount; gift wrap is in the item's ``BuyerInfo`` (restricted data) in the
    SP-API, at the item's top level in older exports."""
    if name in GIFT_WRAP and name not in item:
        return (item.get("BuyerInfo") or {}).get(name)
    return item.get(name)


def _items(pages: list[dict[str, Any]], order_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for n, page in enumerate(pages):
        body = page.get("payload") or {}
        if body.get("AmazonOrderId", order_id) != order_id:
            raise ValidationFailed.single(
                f"items[{n}].payload.AmazonOrderId",
                f"belongs to {body.get('AmazonOrderId')}, not {order_id}",
            )
        items += body.get("OrderItems") or []
    if not items:
        raise ValidationFailed.single(
            "items", "the order's getOrderItems page(s) are missing", "required"
        )
    return items


def _lines(items: list[dict[str, Any]], currency: str) -> list[LineDraft]:
    lines: list[LineDraft] = []
    for i, item in enumerate(items):
        where = f"items.OrderItems[{i}]"
        count = quantity(item.get("QuantityOrdered"), f"{where}.QuantityOrdered", minimum=0)
        if count == 0:  # a cancelled line: nothing to ship
            continue
        price = _money(item.get("ItemPrice"), currency, f"{where}.ItemPrice")
        sku = (item.get("SellerSKU") or "").strip()
        lines.append(
            line_for_total(sku, count, price, item.get("Title") or "", item.get("OrderItemId"))
        )
    return lines


def _shipped(items: list[dict[str, Any]]) -> tuple[tuple[str, int], ...]:
    """``QuantityShipped`` of each item (a ``PartiallyShipped`` order's shipped units)."""
    found = (
        (
            (item.get("SellerSKU") or "").strip(),
            quantity(
                item.get("QuantityShipped") or 0,
                f"items.OrderItems[{n}].QuantityShipped",
                minimum=0,
            ),
        )
        for n, item in enumerate(items)
    )
    return tuple((sku, units) for sku, units in found if units > 0)


def parse(payload: dict[str, Any], channel: str) -> ChannelOrder:
    order = (require(payload, "order").get("payload")) or {}
    order_id = str(require(order, "AmazonOrderId", "order.payload."))
    order_total = order.get("OrderTotal") or {}
    currency = str(order_total.get("CurrencyCode") or "").upper()
    items = _items(payload.get("items") or [], order_id)
    currency = currency or str((items[0].get("ItemPrice") or {}).get("CurrencyCode") or "").upper()
    if not currency:
        raise ValidationFailed.single(
            "order.payload.OrderTotal.CurrencyCode", "is required", "required"
        )

    def sum_of(field: str) -> Money:
        amounts = [_money(_field(i, field), currency, f"items.{field}") for i in items]
        if field in TAKEN_OFF:  # an amount taken off, whichever sign it is given with
            amounts = [Money(abs(a.amount), currency) for a in amounts]
        return total(amounts, currency)

    lines = _lines(items, currency)
    marketplace = str(order.get("MarketplaceId") or "")
    tax_on_top = marketplace in TAX_ON_TOP if marketplace else currency in TAX_ON_TOP_CURRENCIES
    status = str(order.get("OrderStatus") or "Unshipped")
    payment = PAYMENT.get(status, PaymentStatus.PENDING)
    buyer = order.get("BuyerInfo") or {}
    address = _address(order.get("ShippingAddress") or {})
    draft = OrderDraft(
        channel=channel,
        external_id=order_id,
        currency=currency,
        lines=tuple(lines),
        shipping_address=address,
        customer_email=buyer.get("BuyerEmail") or "",
        customer_name=buyer.get("BuyerName") or address.name,
        payment_status=payment,
        requested_service=order.get("ShipServiceLevel") or "standard",
        shipping_price=sum_of("ShippingPrice") - sum_of("ShippingDiscount"),
        discount_total=sum_of("PromotionDiscount"),
        fee_total=sum_of("CODFee") - sum_of("CODFeeDiscount") + sum_of("GiftWrapPrice"),
        # the tax on the discounts comes off the tax: what the buyer's tax came to
        tax_total=sum_of("ItemTax")
        + sum_of("ShippingTax")
        + sum_of("GiftWrapTax")
        - sum_of("PromotionDiscountTax")
        - sum_of("ShippingDiscountTax"),
        taxes_included=not tax_on_top,
        extra={"marketplace": marketplace},
        paid_at=timestamp(order.get("PurchaseDate"), "order.payload.PurchaseDate"),
        channel_ship_by=timestamp(order.get("LatestShipDate"), "order.payload.LatestShipDate"),
    )
    return ChannelOrder(
        draft=draft,
        cancelled=status == "Canceled",
        payment_status=payment,
        platform_total=_money(order_total, currency, "order.payload.OrderTotal")
        if order_total
        else None,
        updated_at=timestamp(order.get("LastUpdateDate"), "order.payload.LastUpdateDate"),
        fulfilled_by_channel=order.get("FulfillmentChannel") == "AFN" or status in SHIPPED,
        shipped_elsewhere=_shipped(items),
    )


def auth(token: str) -> dict[str, str]:
    return {"x-amz-access-token": token}


def headers(conn: Connection) -> dict[str, str]:
    """The access token of ``conn``: from its LWA refresh token when it has a client ID."""
    return auth(lwa.access_token(conn))


def _marketplaces(conn: Connection) -> str:
    ids = conn.settings.get("marketplace_ids") or []
    if not ids:
        raise ValidationFailed.single(
            "settings.marketplace_ids", "name the marketplace IDs to pull from", "required"
        )
    return ",".join(ids)


def _item_pages(conn: Connection, order_id: str) -> Iterator[dict[str, Any]]:
    """Every ``getOrderItems`` page of one order, following ``NextToken``."""
    path = f"/orders/v0/orders/{quote(order_id)}/orderItems"
    url: str | None = conn.url(path)
    while url:
        page = http.get_json(url, headers(conn)) or {}
        yield page
        token = (page.get("payload") or {}).get("NextToken")
        url = conn.url(f"{path}?{urlencode({'NextToken': token})}") if token else None


def confirm_shipment(conn: Connection, notice: ShipmentNotice) -> Confirmation:
    """Orders API ``confirmShipment``: ``POST /orders/v0/orders/{orderId}/shipmentConfirmation``
    with the order's ``marketplaceId`` and a ``packageDetail`` (``packageReferenceId``: the
    shipment's number in the order, 1, 2, ...; ``carrierCode``, ``trackingNumber``,
    ``shipDate``, ``orderItems`` [{``orderItemId``, ``quantity``}]). Amazon takes a second
    confirmation with the same package reference as an edit of the first, so a retry never
    adds a package. Amazon needs a tracking number."""
    require_line_ids(notice, "Amazon")
    if not notice.tracking_number:
        raise Unavailable("Amazon needs a tracking number to confirm a shipment", status=422)
    marketplace = notice.refs.get("marketplace") or next(
        iter(conn.settings.get("marketplace_ids") or []), ""
    )
    code = AMAZON_CARRIERS.get(carrier_key(notice.carrier), "Other")
    detail: dict[str, Any] = {
        "packageReferenceId": str(notice.package_number),
        "carrierCode": code,
        "trackingNumber": notice.tracking_number,
        "shipDate": notice.shipped_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "orderItems": [{"orderItemId": i, "quantity": n} for i, n in notice.units().items()],
    }
    if code == "Other":
        detail["carrierName"] = notice.carrier or "Other"
    if notice.service:
        detail["shippingMethod"] = notice.service
    http.call(
        "POST",
        conn.url(f"/orders/v0/orders/{quote(notice.external_id)}/shipmentConfirmation"),
        headers(conn),
        {"packageDetail": detail, "marketplaceId": marketplace},
    )
    return Confirmation("posted", detail["packageReferenceId"])


def pull(conn: Connection, since: datetime | None) -> Iterator[dict[str, Any]]:
    """``getOrders`` updated since ``since``, page by page, each with its order items."""
    marketplaces = _marketplaces(conn)
    start = (since or datetime.now(UTC) - FIRST_PULL).astimezone(UTC)
    query = {
        "MarketplaceIds": marketplaces,
        "LastUpdatedAfter": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "MaxResultsPerPage": PAGE_SIZE,
    }
    url: str | None = conn.url(f"/orders/v0/orders?{urlencode(query)}")
    while url:
        page = (http.get_json(url, headers(conn)) or {}).get("payload") or {}
        for order in page.get("Orders") or []:
            order_id = str(order.get("AmazonOrderId") or "")
            yield {"order": {"payload": order}, "items": list(_item_pages(conn, order_id))}
        token = page.get("NextToken")
        next_query = {"MarketplaceIds": marketplaces, "NextToken": token}
        url = conn.url(f"/orders/v0/orders?{urlencode(next_query)}") if token else None


def push_stock(conn: Connection, updates: list[StockUpdate]) -> dict[str, str]:
    """Listings Items API ``patchListingsItem``: replace ``fulfillment_availability`` for the
    seller's SKU (merchant-fulfilled quantity) in the channel's marketplaces."""
    seller = conn.settings.get("seller_id")
    failures: dict[str, str] = {}
    if not seller:
        return {u.sku: "needs settings.seller_id" for u in updates}
    marketplaces = _marketplaces(conn)
    for update in updates:
        body = {
            "productType": "PRODUCT",
            "patches": [
                {
                    "op": "replace",
                    "path": "/attributes/fulfillment_availability",
                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": update.quantity}],
                }
            ],
        }
        path = f"/listings/2021-08-01/items/{quote(seller)}/{quote(update.sku, safe='')}"
        try:
            answer = http.call(
                "PATCH",
                conn.url(f"{path}?{urlencode({'marketplaceIds': marketplaces})}"),
                headers(conn),
                body,
            )
        except DomainError as exc:
            failures[update.sku] = str(exc)
            continue
        if (answer.body or {}).get("status") == "INVALID":
            issues = (answer.body or {}).get("issues") or [{}]
            failures[update.sku] = str(issues[0].get("message") or "INVALID")
    return failures
