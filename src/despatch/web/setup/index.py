"""Set-up: the index of the configuration pages, and the bar that links them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, resolve, reverse

from despatch.web.access import access, requires
from despatch.web.setup.forms import page

# (label, URL name, what it configures), in the order the index shows them
SECTIONS = (
    ("Users", "setup-users", "people who sign in: roles, passwords, refund limits"),
    ("Roles", "setup-roles", "what each role may do"),
    ("API tokens", "setup-tokens", "tokens for integrations: scope, expiry, revoke"),
    ("Channels", "setup-channels", "where orders come from: credentials, health, a test"),
    ("Warehouses", "setup-warehouses", "time zones, calendars, layouts and bins"),
    ("SKUs and stock", "setup-skus", "the catalogue; receive, adjust and count stock"),
    ("Cartons", "setup-cartons", "the boxes the packing bench chooses from"),
    ("Carriers", "setup-carriers", "carriers, services and the rate card"),
    ("Notifications", "setup-notifications", "customer message templates, with a preview"),
    ("Webhooks", "webhooks", "outbound webhook subscriptions"),
)


def sections(request: HttpRequest) -> list[tuple[str, str, str]]:
    """The sections the user may open (a section not built yet is left out)."""
    shown = []
    for label, name, words in SECTIONS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        permission = getattr(resolve(url).func, "permission", None)
        if permission is None or access(request).can(permission):
            shown.append((label, url, words))
    return shown


@requires("warehouses.manage")
def setup_index(request: HttpRequest) -> HttpResponse:
    return page(request, "despatch/setup/index.html", {"sections": sections(request)})
