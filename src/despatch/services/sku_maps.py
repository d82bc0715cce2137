"""Per-channel SKU mappings: the channel's SKU -> ours, remembered once a person resolved it.

Kept in the channel's settings (``sku_map``), every change audited (``Trail.change``). An
order line whose SKU we do not know is mapped when the order is validated, audited on the
order, so the next order with that SKU is not held ``unknown_sku``.
"""

from __future__ import annotations

from django.db import transaction

from despatch.domain.errors import FieldError, NotFound, ValidationFailed
from despatch.models import Channel, Order, OrderLine, Sku
from despatch.services.audit import Trail

KEY = "sku_map"
LONGEST = 128


def sku_map(code: str) -> dict[str, str]:
    channel = Channel.objects.filter(code=code).first()
    if channel is None:
        raise NotFound("channel", code)
    return dict((channel.settings or {}).get(KEY) or {})


def map_sku(code: str, channel_sku: str, our_sku: str, *, actor: str) -> dict[str, str]:
    """Remember that the channel's ``channel_sku`` is our ``our_sku``; returns the map."""
    return _save(code, {channel_sku: our_sku}, actor=actor, replace=False)


def replace_map(code: str, mapping: dict[str, str], *, actor: str) -> dict[str, str]:
    """Set the channel's whole map (mappings not given are forgotten)."""
    return _save(code, mapping, actor=actor, replace=True)


def _check(mapping: dict[str, str]) -> None:
    errors = []
    for theirs in mapping:
        if not theirs.strip() or len(theirs) > LONGEST:
            errors.append(FieldError(f"sku_map.{theirs}", "a channel SKU of 1-128 characters"))
    known = set(
        Sku.objects.filter(code__in=list(mapping.values()), active=True).values_list(
            "code", flat=True
        )
    )
    for theirs, ours in mapping.items():
        if ours not in known:
            errors.append(
                FieldError(
                    f"sku_map.{theirs}", f"{ours!r} is not a known, active SKU", "unknown_sku"
                )
            )
    if errors:
        raise ValidationFailed(errors)


def _save(code: str, mapping: dict[str, str], *, actor: str, replace: bool) -> dict[str, str]:
    _check(mapping)
    return save_channel_map(code, KEY, mapping, actor=actor, replace=replace)


def save_channel_map(
    code: str, key: str, mapping: dict[str, str], *, actor: str, replace: bool
) -> dict[str, str]:
    """Merge (or replace) one of a channel's text → value maps in its settings, audited as
    ``<key>_changed``; the SKU map and the service map are both kept this way."""
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(code=code).first()
        if channel is None:
            raise NotFound("channel", code)
        settings = dict(channel.settings or {})
        before = dict(settings.get(key) or {})
        after = dict(mapping) if replace else {**before, **mapping}
        settings[key] = after
        channel.settings = settings
        channel.save(update_fields=["settings"])
        trail = Trail(actor)
        trail.change("channel", code, {key: before}, {key: after}, action=f"{key}_changed")
        trail.save()
    return after


def map_unknown(order: Order, lines: list[OrderLine], known: set[str], trail: Trail) -> bool:
    """Give each line whose SKU is unknown the SKU its channel maps it to; True if any was."""
    unknown = {line.sku for line in lines if line.sku not in known}
    if not unknown:
        return False
    mapping = {k: v for k, v in sku_map_or_empty(order.channel).items() if k in unknown}
    mapped = False
    for line in lines:
        ours = mapping.get(line.sku)
        if ours is None:
            continue
        trail.add(
            "order_line",
            line.id,
            "sku_mapped",
            order_id=order.id,
            reason_code="channel_sku_map",
            before=line.sku,
            after=ours,
            line_no=line.line_no,
        )
        line.sku = ours
        line.save(update_fields=["sku"])
        mapped = True
    return mapped


def sku_map_or_empty(code: str) -> dict[str, str]:
    settings = Channel.objects.filter(code=code).values_list("settings", flat=True).first()
    return dict((settings or {}).get(KEY) or {})
