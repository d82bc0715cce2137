"""Carrier tracking events in one vocabulary.

Carriers name their events in many ways; Despatch maps them to eight statuses. ``delivered``
moves the shipment (and the order) on; ``attempted_delivery``, ``delayed``, ``exception`` and
``returned_to_sender`` are warnings a person should see.
"""

from __future__ import annotations

import re
from enum import StrEnum

from despatch.domain.errors import ValidationFailed


class TrackingStatus(StrEnum):
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ATTEMPTED_DELIVERY = "attempted_delivery"
    DELAYED = "delayed"
    EXCEPTION = "exception"
    DELIVERED = "delivered"
    RETURNED_TO_SENDER = "returned_to_sender"


WARNINGS = frozenset(
    {
        TrackingStatus.ATTEMPTED_DELIVERY,
        TrackingStatus.DELAYED,
        TrackingStatus.EXCEPTION,
        TrackingStatus.RETURNED_TO_SENDER,
    }
)

# Words carriers use, folded to lower case with spaces and punctuation as underscores.
SYNONYMS = {
    "pre_transit": TrackingStatus.LABEL_CREATED,
    "info_received": TrackingStatus.LABEL_CREATED,
    "manifested": TrackingStatus.LABEL_CREATED,
    "collected": TrackingStatus.IN_TRANSIT,
    "picked_up": TrackingStatus.IN_TRANSIT,
    "accepted": TrackingStatus.IN_TRANSIT,
    "transit": TrackingStatus.IN_TRANSIT,
    "arrived_at_facility": TrackingStatus.IN_TRANSIT,
    "departed_facility": TrackingStatus.IN_TRANSIT,
    "with_courier": TrackingStatus.OUT_FOR_DELIVERY,
    "out_for_delivery_today": TrackingStatus.OUT_FOR_DELIVERY,
    "failed_attempt": TrackingStatus.ATTEMPTED_DELIVERY,
    "delivery_attempted": TrackingStatus.ATTEMPTED_DELIVERY,
    "carded": TrackingStatus.ATTEMPTED_DELIVERY,
    "delay": TrackingStatus.DELAYED,
    "late": TrackingStatus.DELAYED,
    "failure": TrackingStatus.EXCEPTION,
    "damaged": TrackingStatus.EXCEPTION,
    "lost": TrackingStatus.EXCEPTION,
    "address_issue": TrackingStatus.EXCEPTION,
    "available_for_pickup": TrackingStatus.OUT_FOR_DELIVERY,
    "signed_for": TrackingStatus.DELIVERED,
    "delivered_to_neighbour": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURNED_TO_SENDER,
    "returned": TrackingStatus.RETURNED_TO_SENDER,
}


def normalise(code: str, where: str = "status") -> TrackingStatus:
    """A carrier's event name as one of the eight statuses; an unknown one is named."""
    key = re.sub(r"[^a-z0-9]+", "_", (code or "").lower()).strip("_")
    try:
        return TrackingStatus(key)
    except ValueError:
        pass
    if key in SYNONYMS:
        return SYNONYMS[key]
    known = ", ".join(s.value for s in TrackingStatus)
    raise ValidationFailed.single(where, f"{code!r} is not a tracking status ({known})", "status")
