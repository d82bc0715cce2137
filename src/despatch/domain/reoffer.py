"""Who gets freed or received stock first, and who gives stock back first when a count is short.

Waiting orders are ranked by the configured keys (``DESPATCH_REOFFER_ORDER``), in the order
given, then by age and ID so that no two orders tie:

- ``priority``: the order's priority, higher first;
- ``promise``: the promised delivery date, earliest first (an order without one last);
- ``channel``: the channel's ``priority`` setting, higher first (an unknown channel ranks 0);
- ``age``: oldest first.

A stock count below what is reserved takes units back in the reverse order: the least urgent
order gives back first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

REOFFER_CHOICES = ("priority", "promise", "channel", "age")
DEFAULT_REOFFER_ORDER = ("priority", "promise", "age")


@dataclass(frozen=True)
class WaitingOrder:
    """What the re-offer order ranks an order by."""

    order_id: str
    priority: int
    promise_date: date | None
    created_at: datetime
    channel: str


def reoffer_order(
    waiting: Iterable[WaitingOrder],
    keys: Sequence[str] = DEFAULT_REOFFER_ORDER,
    channel_priority: Mapping[str, int] | None = None,
) -> list[str]:
    """Order IDs, the first to be offered stock first."""
    priorities = channel_priority or {}

    def key(order: WaitingOrder) -> tuple[Any, ...]:
        parts: dict[str, Any] = {
            "priority": -order.priority,
            "promise": order.promise_date or date.max,
            "channel": -priorities.get(order.channel, 0),
            "age": order.created_at,
        }
        return (*(parts[k] for k in keys), order.created_at, order.order_id)

    return [o.order_id for o in sorted(waiting, key=key)]


def give_back_order(
    holding: Iterable[WaitingOrder],
    keys: Sequence[str] = DEFAULT_REOFFER_ORDER,
    channel_priority: Mapping[str, int] | None = None,
) -> list[str]:
    """Order IDs, the first to give its stock back first: the re-offer order reversed."""
    return list(reversed(reoffer_order(holding, keys, channel_priority)))
