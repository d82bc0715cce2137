"""What every page of the ops UI shows whatever the view: the navigation (only the pages the
user may open), and a warning when no worker drains the outbox, so that orders do not sit
silently in ``received``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.timesince import timesince

from despatch.domain.permissions import Access
from despatch.services import outbox, tokens

# (label, URL name) of the navigation, in order; each shows if the user may open its page
NAVIGATION = (
    ("Dashboard", "home"),
    ("Orders", "inbox"),
    ("Exceptions", "exceptions"),
    ("Stock", "stock"),
    ("Channels", "channels"),
    ("Rules", "rules"),
    ("Waves", "waves"),
    ("Pick", "pick-lists"),
    ("Pack", "pack-start"),
    ("Manifests", "manifests"),
    ("Returns", "returns-desk"),
    ("Messages", "messages"),
    ("Webhooks", "webhooks"),
    ("Set-up", "setup"),
)


class Can:
    """``{% if can.orders_write %}``: whether the user holds ``orders.write``."""

    def __init__(self, access: Access):
        self.access = access

    def __getitem__(self, name: str) -> bool:
        return self.access.can(name.replace("_", ".", 1))


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav``: (label, URL) of each page the signed-in user's roles open, then the API docs;
    ``can``: the user's permissions, for links to pages elsewhere."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = getattr(request, "access", None) or tokens.access_of(user)
    links = []
    for label, name in NAVIGATION:
        url = reverse(name)
        permission = getattr(resolve(url).func, "permission", None)
        if permission is None or access.can(permission):
            if name == "home" and not access.can("reports.read"):
                label = "Home"  # the role's own first page: pick lists, packing or orders
            links.append((label, url))
    # ``limited``: the user reaches only some warehouses or channels, so the forms of the
    # settings every one shares (rate card, cartons) are not offered
    nav = [*links, ("API", "/api/docs")]
    return {"nav": nav, "can": Can(access), "limited": access.limited()}


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
    if oldest is None:
        return {"outbox_waiting_since": None}
    return {"outbox_waiting_since": oldest.available_at, "outbox_waited": waited(oldest, now)}


def waited(event: Any, now: datetime) -> str:
    """How long the oldest event has waited, in seconds under a minute (``timesince`` would
    say "0 minutes" when DESPATCH_LAG_WARNING is under 60)."""
    seconds = int((now - event.available_at).total_seconds())
    if seconds < 60:
        return f"{seconds}\xa0second{'' if seconds == 1 else 's'}"
    return timesince(event.available_at, now)
