"""Shipping: rate shopping against the rate card, tracking numbers and labels.

The rate card is a JSON file (``DESPATCH_RATES``, default ``$DESPATCH_HOME/rates.json``; see
docs/shipping.md). Buying a label for a shipment shops the rate card for the cheapest service
that delivers to the order's address by its promised date, issues the carrier's next tracking
number, writes the 4 x 6 PDF and ZPL labels under ``$DESPATCH_HOME/labels/`` and records the
choice, its price and the reasoning on the shipment, in one transaction with its audit entry and
a ``shipment.labelled`` event. Buying again returns the label already bought.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain import tracking_numbers
from despatch.domain.addresses import Address
from despatch.domain.allocation_state import AllocationState
from despatch.domain.errors import Conflict, NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.rates import Parcel, Quote, Service, Shopping, read_rate_card, shop
from despatch.domain.shipments import needs_label
from despatch.integrations import contact_checks, labels
from despatch.models import Order, Shipment, Sku, TrackingSerial
from despatch.services import outbox, tracking
from despatch.services.audit import Trail
from despatch.services.fulfillment import lock_shipment


def rates_path() -> Path:
    return Path(configuration().rates or Path(settings.HOME) / "rates.json")


def load_rates(path: Path | None = None) -> list[Service]:
    path = path or rates_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound("rate card", str(path)) from None
    except ValueError as exc:
        raise ValidationFailed.single("rates", f"{path}: not JSON ({exc})") from None
    return read_rate_card(data)


def set_rate_card(data: Any, *, actor: str) -> list[Service]:
    """Check a rate card and install it: a card with any wrong field is refused naming it,
    so label buying never meets a bad one. Written whole (a new file renamed over the old)."""
    services = read_rate_card(data)
    path = rates_path()
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = None
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    fresh.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(fresh, path)
    with transaction.atomic():
        trail = Trail(actor)
        trail.change("rate_card", path.name, before and {"card": before}, {"card": data})
        trail.save()
    return services


def labels_dir() -> Path:
    return Path(settings.HOME) / "labels"


def next_serial(name: str) -> int:
    """Take the next serial of a carrier account; concurrent callers never share one."""
    TrackingSerial.objects.get_or_create(name=name)
    with transaction.atomic():
        serial = TrackingSerial.objects.select_for_update().get(name=name)
        value = serial.next_value
        TrackingSerial.objects.filter(name=name).update(next_value=F("next_value") + 1)
    return value


def issue_tracking_number(service: Service) -> str:
    """The carrier's next number in its scheme (``tracking`` in the rate card), checked as an
    incoming number would be: an S10 country that is no country is named."""
    scheme = service.tracking.get("scheme", "")
    where = f"carriers[{service.carrier}].tracking"
    if scheme not in ("s10", "ups"):
        raise ValidationFailed.single(f"{where}.scheme", f"{scheme!r} is not s10 or ups")
    serial = next_serial(f"{service.carrier}:{scheme}")
    if scheme == "s10":
        number = tracking_numbers.s10(
            service.tracking.get("service", "RR"), serial, service.tracking.get("country", "GB")
        )
    else:
        number = tracking_numbers.ups(
            service.tracking.get("shipper", "000000"), service.tracking.get("service", "01"), serial
        )
    checked = tracking.check_number(number)
    if not checked.valid:
        raise ValidationFailed.single(where, f"{number}: {checked.reason}", "invalid_tracking")
    return number


def _phone_rule(services: list[Service], to: Address) -> tuple[list[Service], list[str]]:
    """Carriers that need the customer's phone (``needs_phone`` in the rate card) are left out
    when the order has none that can be read; each such service says so."""
    if contact_checks.read_phone(to.phone or to.phone_raw, to.country):
        return services, []
    kept = [s for s in services if not s.needs_phone]
    said = [
        f"{s.carrier}/{s.code}: needs the customer's phone, and the order has none that can be read"
        for s in services
        if s.needs_phone
    ]
    return kept, said


def parcel_of(shipment: Shipment, extra_weight_g: int = 0) -> Parcel:
    lines = list(shipment.lines.values_list("sku_id", "quantity"))
    weights = dict(
        Sku.objects.filter(code__in=[s for s, _ in lines]).values_list("code", "weight_g")
    )
    return Parcel(sum(weights.get(s, 0) * q for s, q in lines) + extra_weight_g)


@dataclass(frozen=True)
class Labelled:
    shipment: Shipment
    shopping: Shopping | None  # None: the label had been bought before
    files: dict[str, Path]


LABEL_MEDIA = {"pdf": "application/pdf", "zpl": "text/plain; charset=utf-8"}


def label_file(shipment_id: str, kind: str) -> tuple[Path, str]:
    """The label file of one format and its media type, for download."""
    path = label_files(shipment_id).get(kind)
    if path is None:
        raise NotFound("label", f"{shipment_id}.{kind}")
    return path, LABEL_MEDIA[kind]


def label_files(shipment_id: str) -> dict[str, Path]:
    base = labels_dir() / shipment_id
    return {
        kind: base.with_suffix(f".{kind}")
        for kind in ("pdf", "zpl")
        if base.with_suffix(f".{kind}").exists()
    }


def buy_label(
    shipment_id: str,
    *,
    actor: str,
    services: list[Service] | None = None,
    ship_date: date | None = None,
    extra_weight_g: int = 0,
) -> Labelled:
    """Shop the rate card for the shipment's parcel and buy the chosen service's label (the
    label already bought, when there is one). The shipment's state is checked before the
    rate card is read: a cancelled one is refused as cancelled, whatever the card."""
    with transaction.atomic():
        order, shipment = lock_shipment(shipment_id)
        if not needs_label(shipment.id, shipment.status, shipment.tracking_number):
            return Labelled(shipment, None, label_files(shipment.id))
        services = services if services is not None else load_rates()
        to = Address.from_dict(order.shipping_address)
        services, no_phone = _candidates(services, order, to)
        parcel = parcel_of(shipment, extra_weight_g)
        shipping_day = ship_date or timezone.localdate()
        shopping = shop(services, parcel, to.country, to.postcode, shipping_day, order.promise_date)
        if shopping.chosen is None:
            raise Conflict(
                f"no service takes this parcel to {to.country} {to.postcode}",
                reasons=[*no_phone, *shopping.reasons],
            )
        chosen = shopping.chosen
        number = issue_tracking_number(chosen.service)
        trail = Trail(actor)
        shipment.carrier, shipment.service = chosen.service.carrier, chosen.service.code
        shipment.tracking_number = number
        shipment.weight_g = parcel.weight_g
        shipment.shipping_cost = chosen.price.amount
        shipment.shipping_currency = chosen.price.currency
        shipment.rate_reasoning = [*no_phone, *shopping.reasons]
        shipment.labelled_at = shipment.updated_at = trail.at
        shipment.save()
        _record_label(trail, shipment, chosen, shopping)
        files = _write_labels(shipment, order.external_id, to, chosen.service.name)
    return Labelled(shipment, shopping, files)


def _candidates(
    services: list[Service], order: Order, to: Address
) -> tuple[list[Service], list[str]]:
    """The services to shop among: only the carrier a rule chose, if one did, and only those
    that can reach the customer (see ``_phone_rule``), with why any were left out."""
    carrier = AllocationState.read(order.allocation).carrier
    if carrier:
        services = [s for s in services if s.carrier == carrier]
    return _phone_rule(services, to)


def _record_label(trail: Trail, shipment: Shipment, chosen: Quote, shopping: Shopping) -> None:
    """The choice in the audit trail and a ``shipment.labelled`` event, in the caller's
    transaction."""
    trail.add(
        "shipment",
        shipment.id,
        "labelled",
        order_id=shipment.order_id,
        reason_code="earliest_late" if shopping.late else "cheapest_in_time",
        carrier=shipment.carrier,
        service=shipment.service,
        tracking_number=shipment.tracking_number,
        price=f"{chosen.price.amount} {chosen.price.currency}",
        reasons=list(shopping.reasons),
    )
    trail.save()
    outbox.save(
        [
            outbox.emit(
                Topic.SHIPMENT_LABELLED,
                shipment.id,
                trail.at,
                order_id=shipment.order_id,
                tracking_number=shipment.tracking_number,
                carrier=shipment.carrier,
            )
        ]
    )


def _write_labels(
    shipment: Shipment, reference: str, to: Address, service_name: str
) -> dict[str, Path]:
    warehouse = shipment.warehouse
    sender = (
        Address.from_dict(warehouse.address)
        if warehouse.address
        else Address(warehouse.name, "", "", "", warehouse.country)
    )
    label = labels.Label(
        tracking_number=shipment.tracking_number,
        carrier=shipment.carrier,
        service=service_name,
        sender=sender,
        to=to,
        reference=reference,
        weight_g=shipment.weight_g,
    )
    folder = labels_dir()
    folder.mkdir(parents=True, exist_ok=True)
    files = {"pdf": folder / f"{shipment.id}.pdf", "zpl": folder / f"{shipment.id}.zpl"}
    files["pdf"].write_bytes(labels.pdf(label))
    files["zpl"].write_text(labels.zpl(label), encoding="utf-8")
    return files


def as_dict(shopping: Shopping) -> dict[str, Any]:
    chosen = shopping.chosen
    return {
        "chosen": None
        if chosen is None
        else {
            "carrier": chosen.service.carrier,
            "service": chosen.service.code,
            "price": str(chosen.price.amount),
            "currency": chosen.price.currency,
            "delivery_date": chosen.delivery_date.isoformat(),
            "zone": chosen.zone,
            "chargeable_g": chosen.chargeable_g,
            "breakdown": list(chosen.breakdown),
        },
        "quotes": [
            {
                "carrier": q.service.carrier,
                "service": q.service.code,
                "price": str(q.price.amount),
                "currency": q.price.currency,
                "delivery_date": q.delivery_date.isoformat(),
            }
            for q in shopping.quotes
        ],
        "reasons": list(shopping.reasons),
    }
