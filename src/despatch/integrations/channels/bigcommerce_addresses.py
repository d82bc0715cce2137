"""BigCommerce shipping addresses: an order may ship to several (``shipping_addresses``), and
each product names the one it goes to (``order_address_id``)."""

from __future__ import annotations

from typing import Any

from despatch.domain.addresses import Address
from despatch.integrations.channels.base import phone


def address(data: dict[str, Any]) -> Address:
    country = (data.get("country_iso2") or "").upper()
    e164, raw = phone(data.get("phone"), country)
    return Address(
        name=" ".join(p for p in (data.get("first_name"), data.get("last_name")) if p),
        line1=data.get("street_1") or "",
        line2=data.get("street_2") or "",
        city=data.get("city") or "",
        region=data.get("state") or "",
        postcode=data.get("zip") or "",
        country=country,
        company=data.get("company") or "",
        phone=e164,
        phone_raw=raw,
        email=data.get("email") or "",
    )


def ship_to(
    addresses: list[dict[str, Any]], products: list[dict[str, Any]], billing: dict[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The address the products go to, and what a person must settle when they go to more than
    one (the order is held; nothing is sent whole to the first address). Products naming no
    listed address go to the first; an order with none listed, to the billing address."""
    named = {str(p.get("order_address_id") or "") for p in products} - {"", "0"}
    used = [a for a in addresses if str(a.get("id") or "") in named]
    if len(used) < 2:
        return (used or addresses or [billing])[0], ()
    parts = []
    for place in used:
        units = ", ".join(
            f"{(p.get('sku') or p.get('name') or '').strip()} x {p.get('quantity')}"
            for p in products
            if str(p.get("order_address_id") or "") == str(place.get("id"))
        )
        where = address(place)
        town = f"{where.city} {where.postcode}".strip()
        said = ", ".join(x for x in (where.name, where.line1, town) if x)
        parts.append(f"{units} to {said} (address {place.get('id')})")
    return used[0], (
        f"the order ships to {len(used)} addresses: {'; '.join(parts)}. "
        "Ship each part to its own address",
    )
