"""Per-channel service maps: the channel's shipping-method text -> a known service.

Kept in the channel's settings (``service_map``), every change audited
(``service_map_changed``). An **empty map means "accept as is"**: a channel that never saved
a mapping keeps the text its platform sent as the order's service, as before service maps
existed. Once a channel has a mapping, each order's text is resolved when it is validated:
mapped (audited ``service_mapped`` on the order), or already a known service, or else the
order is held ``unknown_service`` naming the text and the closest known service. Saving a
mapping can release the orders held for that text; they are validated again and mapped.
"""

from __future__ import annotations

from typing import Any

from despatch.domain import service_levels
from despatch.domain.errors import FieldError, NotFound, ValidationFailed
from despatch.domain.orders import HoldReason, OrderStatus
from despatch.models import Channel, Order
from despatch.services import orders
from despatch.services.audit import Trail
from despatch.services.sku_maps import save_channel_map

KEY = "service_map"


def service_map(code: str) -> dict[str, str]:
    channel = Channel.objects.filter(code=code).first()
    if channel is None:
        raise NotFound("channel", code)
    return dict((channel.settings or {}).get(KEY) or {})


def map_service(
    code: str, text: str, service: str, *, actor: str, release: bool = False
) -> tuple[dict[str, str], list[str]]:
    """Remember that the channel's ``text`` means ``service``; with ``release``, the orders
    held for that text go through validation again. Returns the map and the released IDs."""
    mapping = _save(code, {text: service}, actor=actor, replace=False)
    return mapping, (release_held(code, actor=actor, texts=[text]) if release else [])


def replace_map(
    code: str, mapping: dict[str, str], *, actor: str, release: bool = False
) -> tuple[dict[str, str], list[str]]:
    """Set the channel's whole map (texts not given are forgotten)."""
    saved = _save(code, mapping, actor=actor, replace=True)
    return saved, (release_held(code, actor=actor, texts=list(saved)) if release else [])


def _save(code: str, mapping: dict[str, str], *, actor: str, replace: bool) -> dict[str, str]:
    errors = service_levels.check_map(mapping)
    if errors:
        raise ValidationFailed(errors)
    return save_channel_map(code, KEY, mapping, actor=actor, replace=replace)


def held_for(code: str, texts: list[str]) -> list[str]:
    """Orders of the channel held ``unknown_service`` for one of ``texts``."""
    wanted = {service_levels.normalise(t) for t in texts}
    held = Order.objects.filter(
        channel=code, status=OrderStatus.ON_HOLD, hold_reason=HoldReason.UNKNOWN_SERVICE
    ).values_list("id", "requested_service")
    return [i for i, text in held if service_levels.normalise(text) in wanted]


def release_held(code: str, *, actor: str, texts: list[str]) -> list[str]:
    """Release each order held for one of ``texts``: it is validated again and mapped."""
    released = held_for(code, texts)
    for order_id in released:
        orders.release_order(
            order_id, actor=actor, note="the channel's service map now has its shipping method"
        )
    return released


def check(order: Order, trail: Trail) -> FieldError | None:
    """Map the order's service text (call with the order locked, in validation); the problem
    when its channel has a map that does not know it."""
    mapping = orders.channel_settings(order.channel).get(KEY) or {}
    text = order.requested_service
    if not mapping or text in service_levels.KNOWN:
        return None  # no map: accept as is
    found = service_levels.resolve(mapping, text)
    if found is None:
        closest = service_levels.suggest(text)
        return FieldError(
            "requested_service",
            f"the channel's shipping method {text!r} is not in its service map "
            f"(closest known service: {closest})",
            HoldReason.UNKNOWN_SERVICE.value,
        )
    trail.add(
        "order",
        order.id,
        "service_mapped",
        order_id=order.id,
        reason_code="channel_service_map",
        before=text,
        after=found,
    )
    order.requested_service = found
    order.save(update_fields=["requested_service"])
    return None


def detail(problem: dict[str, Any], order: Order) -> dict[str, Any]:
    """A hold problem as stored: an unknown service also names its text and the suggestion."""
    if problem.get("code") != HoldReason.UNKNOWN_SERVICE:
        return problem
    text = order.requested_service
    return {**problem, "text": text, "suggested": service_levels.suggest(text)}
