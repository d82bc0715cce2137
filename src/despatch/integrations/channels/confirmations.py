"""Telling a platform that a shipment has left: what every adapter's ``confirm_shipment``
takes and answers, and the carrier names each platform knows.

A notice names the shipment's lines by the platform's own line IDs, with the units in this
parcel. An adapter answers with the platform's ID of what it created (a fulfillment, a
shipment), or finds the one a previous attempt made, so a retry never posts twice.
A refusal (4xx) raises :class:`Unavailable` with its ``status``; an outage without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from despatch.domain.errors import Unavailable


@dataclass(frozen=True)
class ShippedLine:
    line_id: str  # the platform's ID of the order line ("" when the order never had one)
    sku: str
    quantity: int


@dataclass(frozen=True)
class ShipmentNotice:
    external_id: str  # the platform's order ID
    shipment_id: str  # Despatch's, written where the platform keeps a note
    package_number: int  # 1, 2, ... among the order's shipments (Amazon packageReferenceId)
    carrier: str
    service: str
    tracking_number: str
    shipped_at: datetime
    lines: tuple[ShippedLine, ...]
    order_complete: bool  # every unit of the order has now left
    refs: Mapping[str, str] = field(default_factory=dict)  # the order's platform references
    told: tuple[str, ...] = ()  # platform IDs already recorded for the order's other shipments

    @property
    def marker(self) -> str:
        """The text a note or comment carries so a retry can find it."""
        return f"Despatch shipment {self.shipment_id}"

    def units(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for line in self.lines:
            counted[line.line_id] = counted.get(line.line_id, 0) + line.quantity
        return counted


@dataclass(frozen=True)
class Confirmation:
    outcome: str  # posted, already_posted, noted, completed
    reference: str = ""  # the platform's ID of the fulfilment or shipment it made


def require_line_ids(notice: ShipmentNotice, platform: str) -> None:
    missing = sorted({line.sku for line in notice.lines if not line.line_id})
    if missing:
        raise Unavailable(
            f"{platform} needs its own line IDs, and the order has none for {', '.join(missing)}",
            status=422,
        )


def same_units(notice: ShipmentNotice, sent: Iterable[tuple[object, object]]) -> bool:
    """Whether a platform's record names exactly this parcel's lines and units."""
    counted: dict[str, int] = {}
    for line_id, quantity in sent:
        counted[str(line_id)] = counted.get(str(line_id), 0) + int(str(quantity or 0))
    return counted == notice.units()


def already_there(
    notice: ShipmentNotice, records: Iterable[tuple[str, str, Iterable[tuple[object, object]]]]
) -> str:
    """The platform ID of a record (ID, tracking number, lines) an earlier attempt made for
    this parcel: the same tracking number, or without one the same lines and units on a
    record no other shipment of the order claims. "" when there is none."""
    for reference, tracking, lines in records:
        if reference in notice.told:
            continue
        if notice.tracking_number and tracking == notice.tracking_number:
            return reference
        if not notice.tracking_number and not tracking and same_units(notice, lines):
            return reference
    return ""


# Carrier names per platform, from Despatch's carrier codes; others are sent as given.
AMAZON_CARRIERS = {
    "royalmail": "Royal Mail",
    "dpd": "DPD",
    "dhl": "DHL",
    "dhlexpress": "DHL",
    "ups": "UPS",
    "fedex": "FedEx",
    "usps": "USPS",
    "parcelforce": "Parcelforce",
    "evri": "Hermes",
}
EBAY_CARRIERS = {
    "royalmail": "RoyalMail",
    "dpd": "DPD",
    "dhl": "DHL",
    "dhlexpress": "DHL",
    "ups": "UPS",
    "fedex": "FedEx",
    "usps": "USPS",
    "parcelforce": "ParcelForce",
    "evri": "Hermes",
}
BIGCOMMERCE_PROVIDERS = {"royalmail": "royalmail", "ups": "ups", "usps": "usps", "fedex": "fedex"}
AFTERSHIP_SLUGS = {
    "royalmail": "royal-mail",
    "dpd": "dpd-uk",
    "dhl": "dhl",
    "dhlexpress": "dhl",
    "ups": "ups",
    "fedex": "fedex",
    "usps": "usps",
    "parcelforce": "parcel-force",
    "evri": "hermes",
}


def carrier_key(carrier: str) -> str:
    return "".join(ch for ch in carrier.lower() if ch.isalnum())
