"""What every page of the ops UI shows whatever the view: a warning when no worker drains the
outbox, so that orders do not sit silently in ``received``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from despatch.services import outbox


def outbox_lag(request: HttpRequest) -> dict[str, Any]:
    """``outbox_waiting_since``: when the oldest due event became due, if that is longer ago
    than DESPATCH_LAG_WARNING seconds (no worker runs, or the workers cannot keep up)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    now = timezone.now()
    if outbox.lag(now) <= timedelta(seconds=settings.LAG_WARNING_SECONDS):
        return {}
    oldest = outbox.oldest_due(now)
    return {"outbox_waiting_since": oldest.available_at if oldest else None}
