"""Carrier rate cards and rate shopping.

A rate card (the ``rates.json`` format, see docs/shipping.md) lists carriers and their
services. Each service has zones (countries, and postcode prefixes that pick a more specific
zone or are excluded), weight bands per zone, a dimensional-weight divisor, surcharges (a fixed
amount or a percentage, for every parcel or one zone) and transit days. The price of a parcel is
the band of its chargeable weight (the greater of the real weight and length x width x height /
divisor) plus surcharges. Rate shopping keeps the cheapest service that delivers by the promised
date, and records why every other service was not taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.money import Money, is_currency


@dataclass(frozen=True)
class Zone:
    name: str
    countries: frozenset[str]
    postcode_prefixes: tuple[str, ...] = ()  # empty: the whole country
    excluded_prefixes: tuple[str, ...] = ()

    def matches(self, country: str, postcode: str) -> int:
        """0 when not matching, else how specific the match is (longer prefix = higher)."""
        code = postcode.replace(" ", "").upper()
        if country not in self.countries or any(code.startswith(p) for p in self.excluded_prefixes):
            return 0
        if not self.postcode_prefixes:
            return 1
        lengths = [len(p) for p in self.postcode_prefixes if code.startswith(p)]
        return 1 + max(lengths) if lengths else 0


@dataclass(frozen=True)
class Band:
    zone: str
    max_weight_g: int
    price: Decimal


@dataclass(frozen=True)
class Surcharge:
    name: str
    amount: Decimal = Decimal(0)
    percent: Decimal = Decimal(0)
    zone: str = ""  # empty: every parcel


@dataclass(frozen=True)
class Service:
    carrier: str
    code: str
    name: str
    currency: str
    transit_days: int
    dim_divisor: int
    zones: tuple[Zone, ...]
    bands: tuple[Band, ...]
    surcharges: tuple[Surcharge, ...]
    tracking: dict[str, str]
    needs_phone: bool = False  # the carrier takes no parcel without the customer's phone


@dataclass(frozen=True)
class Parcel:
    weight_g: int
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0


@dataclass(frozen=True)
class Quote:
    service: Service
    zone: str
    chargeable_g: int
    price: Money
    delivery_date: date
    breakdown: tuple[str, ...]


@dataclass(frozen=True)
class Shopping:
    chosen: Quote | None
    quotes: tuple[Quote, ...]
    reasons: tuple[str, ...]  # one line per service: taken, too late, no zone, too heavy
    late: bool = False  # no service arrives by the date asked: the earliest was chosen


def _decimal(value: Any, where: str, errors: list[FieldError]) -> Decimal:
    try:
        number = Decimal(str(value))
        if not number.is_finite() or number < 0:
            raise InvalidOperation
        return number
    except (InvalidOperation, ValueError):
        errors.append(FieldError(where, f"{value!r} is not an amount >= 0"))
        return Decimal(0)


def _whole(value: Any, where: str, errors: list[FieldError], minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        errors.append(FieldError(where, f"expected a whole number >= {minimum}, got {value!r}"))
        return minimum
    return value


def _objects(value: Any, where: str, errors: list[FieldError]) -> list[tuple[int, dict[str, Any]]]:
    """The objects of a list with their positions; anything else is named in ``errors``."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(FieldError(where, "expected a list"))
        return []
    found = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            found.append((i, item))
        else:
            errors.append(FieldError(f"{where}[{i}]", "expected an object"))
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _tracking(value: Any, where: str, errors: list[FieldError]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(FieldError(where, "expected an object"))
        return {}
    return {str(k): str(v) for k, v in value.items()}


def read_rate_card(data: Any) -> list[Service]:
    """Read rates.json; every wrong field is named by its path."""
    carriers = data.get("carriers") if isinstance(data, dict) else None
    if not isinstance(carriers, list) or not carriers:
        raise ValidationFailed.single("carriers", "expected a list of carriers", "required")
    errors: list[FieldError] = []
    services: list[Service] = []
    for c, carrier in enumerate(carriers):
        services += _read_carrier(carrier, f"carriers[{c}]", errors)
    if not services and not errors:
        errors.append(FieldError("carriers", "no carrier has a service", "required"))
    if errors:
        raise ValidationFailed(errors)
    return services


def _read_carrier(carrier: Any, where: str, errors: list[FieldError]) -> list[Service]:
    """The services of one carrier (``where`` is its path, ``carriers[0]``)."""
    if not isinstance(carrier, dict) or not carrier.get("code"):
        errors.append(FieldError(f"{where}.code", "is required", "required"))
        return []
    return [
        _read_service(carrier, s, raw, where, errors)
        for s, raw in _objects(carrier.get("services"), f"{where}.services", errors)
    ]


def _read_service(
    carrier: dict[str, Any], s: int, raw: dict[str, Any], cw: str, errors: list[FieldError]
) -> Service:
    """Service ``s`` of ``carrier`` (whose path is ``cw``)."""
    sw = f"{cw}.services[{s}]"
    currency = str(raw.get("currency") or "")
    if not is_currency(currency):
        errors.append(FieldError(f"{sw}.currency", f"{currency!r} is not ISO 4217"))
    zones = _read_zones(raw.get("zones"), sw, errors)
    bands = _read_bands(raw.get("bands"), {z.name for z in zones}, sw, errors)
    surcharges = _read_surcharges(raw.get("surcharges"), sw, errors)
    return Service(
        carrier=str(carrier["code"]),
        code=str(raw.get("code") or f"{carrier['code']}-{s + 1}"),
        name=str(raw.get("name") or raw.get("code") or ""),
        currency=currency,
        transit_days=_whole(raw.get("transit_days"), f"{sw}.transit_days", errors),
        dim_divisor=_whole(raw.get("dim_divisor", 5000), f"{sw}.dim_divisor", errors, 1),
        zones=zones,
        bands=bands,
        surcharges=surcharges,
        tracking=_tracking(carrier.get("tracking"), f"{cw}.tracking", errors),
        needs_phone=carrier.get("needs_phone") is True,
    )


def _prefixes(value: Any) -> tuple[str, ...]:
    return tuple(str(p).replace(" ", "").upper() for p in _list(value))


def _read_zones(value: Any, sw: str, errors: list[FieldError]) -> tuple[Zone, ...]:
    """A service's zones; each needs a name (and there must be one)."""
    zones = tuple(
        Zone(
            str(z.get("zone") or ""),
            frozenset(str(x).upper() for x in _list(z.get("countries"))),
            _prefixes(z.get("postcode_prefixes")),
            _prefixes(z.get("exclude_prefixes")),
        )
        for _, z in _objects(value, f"{sw}.zones", errors)
    )
    if not zones or "" in {z.name for z in zones}:
        errors.append(FieldError(f"{sw}.zones", "each zone needs a name and countries"))
    return zones


def _read_bands(value: Any, zones: set[str], sw: str, errors: list[FieldError]) -> tuple[Band, ...]:
    """A service's weight bands, each in one of its ``zones``, sorted by zone and weight."""
    bands = []
    for b, band in _objects(value, f"{sw}.bands", errors):
        bw = f"{sw}.bands[{b}]"
        if str(band.get("zone")) not in zones:
            errors.append(FieldError(f"{bw}.zone", f"{band.get('zone')!r} is not a zone"))
        bands.append(
            Band(
                str(band.get("zone")),
                _whole(band.get("max_weight_g"), f"{bw}.max_weight_g", errors, 1),
                _decimal(band.get("price"), f"{bw}.price", errors),
            )
        )
    if not bands:
        errors.append(FieldError(f"{sw}.bands", "a service needs weight bands"))
    return tuple(sorted(bands, key=lambda x: (x.zone, x.max_weight_g)))


def _read_surcharges(value: Any, sw: str, errors: list[FieldError]) -> tuple[Surcharge, ...]:
    return tuple(
        Surcharge(
            str(x.get("name") or f"surcharge {k + 1}"),
            _decimal(x.get("amount", 0), f"{sw}.surcharges[{k}].amount", errors),
            _decimal(x.get("percent", 0), f"{sw}.surcharges[{k}].percent", errors),
            str(x.get("zone") or ""),
        )
        for k, x in _objects(value, f"{sw}.surcharges", errors)
    )


def add_working_days(start: date, days: int) -> date:
    """Monday to Friday count; public holidays are the calendar's business (not here)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def quote(service: Service, parcel: Parcel, country: str, postcode: str, ship: date) -> Quote | str:
    """The price and delivery date, or why the service cannot take the parcel."""
    scored = [(z.matches(country.upper(), postcode), z) for z in service.zones]
    best = max(scored, key=lambda s: s[0], default=(0, None))
    if best[0] == 0 or best[1] is None:
        return f"does not deliver to {country} {postcode}".strip()
    zone = best[1]
    volume = parcel.length_mm * parcel.width_mm * parcel.height_mm
    dim_weight = -(-volume // service.dim_divisor)  # cm3 per kg, as published: mm3 / it = g
    chargeable = max(parcel.weight_g, dim_weight)
    band = next(
        (b for b in service.bands if b.zone == zone.name and b.max_weight_g >= chargeable), None
    )
    if band is None:
        return f"{chargeable} g chargeable is over its heaviest band for {zone.name}"
    price = band.price
    lines = [
        f"zone {zone.name}, {chargeable} g chargeable: band up to {band.max_weight_g} g {price}"
    ]
    for s in service.surcharges:
        if s.zone and s.zone != zone.name:
            continue
        extra = s.amount + (band.price * s.percent / 100)
        price += extra
        lines.append(f"+ {s.name} {extra.quantize(Decimal('0.01'))}")
    delivered = add_working_days(ship, service.transit_days)
    return Quote(
        service, zone.name, chargeable, Money(price, service.currency), delivered, tuple(lines)
    )


def shop(
    services: list[Service],
    parcel: Parcel,
    country: str,
    postcode: str,
    ship: date,
    deliver_by: date | None = None,
) -> Shopping:
    """The cheapest service that delivers by ``deliver_by`` (any date when None); when none
    can, the earliest to arrive, flagged ``late``."""
    quotes: list[Quote] = []
    reasons: list[str] = []
    for service in services:
        name = f"{service.carrier}/{service.code}"
        result = quote(service, parcel, country, postcode, ship)
        if isinstance(result, str):
            reasons.append(f"{name}: {result}")
            continue
        quotes.append(result)
        if deliver_by and result.delivery_date > deliver_by:
            reasons.append(f"{name}: arrives {result.delivery_date}, after {deliver_by}")
    in_time = [q for q in quotes if deliver_by is None or q.delivery_date <= deliver_by]
    chosen = min(
        in_time,
        key=lambda q: (q.price.amount, q.delivery_date, q.service.carrier, q.service.code),
        default=None,
    )
    for q in in_time:
        name = f"{q.service.carrier}/{q.service.code}"
        what = "chosen: cheapest in time" if q is chosen else "in time, dearer"
        reasons.append(f"{name}: {q.price.amount} {q.price.currency}, {q.delivery_date}: {what}")
    if chosen is None and quotes:  # late whatever we do: the parcel still has to go
        chosen = min(quotes, key=lambda q: (q.delivery_date, q.price.amount, q.service.code))
        reasons.append(
            f"late: nothing arrives by {deliver_by}; chosen {chosen.service.carrier}/"
            f"{chosen.service.code}, the earliest ({chosen.delivery_date})"
        )
        return Shopping(chosen, tuple(quotes), tuple(reasons), late=True)
    return Shopping(chosen, tuple(quotes), tuple(reasons))
