"""Set-up: channels (add, change, credentials, health line, connection test).

Secrets are never shown: a stored one reads "set" with its fingerprint, and is replaced by
typing a new value (an empty box keeps it). The connection test calls the platform with the
stored credentials, outside any transaction, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from despatch.domain.audit import fingerprint, redact
from despatch.domain.errors import NotFound
from despatch.services import catalogue, channel_setup, channels
from despatch.web.access import requires
from despatch.web.setup.forms import Outcome, actor, attempt, page, text

Channel = Any  # a channel row, as services/catalogue.py returns it

FIELDS = ("code", "name", "type", "warehouses", "api_url", "token", "webhook_secret", "settings")
INTERNAL = ("last_pull",)  # settings Despatch keeps for itself: not edited here


def _settings(raw: str, old: dict[str, Any], outcome: Outcome) -> dict[str, Any] | None:
    """The settings box as a JSON object; keys taken out are removed (None)."""
    if not raw:
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            outcome.add("settings", f"not JSON: {exc}")
            return None
    if not isinstance(data, dict):
        outcome.add("settings", 'must be a JSON object, e.g. {"trusted_payment_status": true}')
        return None
    gone = {k: None for k in old if k not in data and k not in INTERNAL}
    for key, value in list(data.items()):  # a secret is shown as its fingerprint, never itself
        if isinstance(value, str) and value.startswith("***"):
            if key in old and redact(old[key], key) == value:
                del data[key]  # left as shown: keep the stored secret
            else:
                outcome.add("settings", f"{key}: type the secret itself (it is never shown)")
    return None if outcome.failed else {**gone, **data}


def _shown_settings(raw: str) -> str:
    """The settings box as POSTed, with any secret in it shown as its fingerprint."""
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return raw
    return json.dumps(redact(data), indent=2) if isinstance(data, dict) else raw


def _save(request: HttpRequest, old: Channel | None, outcome: Outcome) -> Channel | None:
    code = old.code if old else text(request, "code")
    settings = _settings(text(request, "settings"), old.settings if old else {}, outcome)
    if settings is None:
        return None
    return attempt(
        lambda: channels.configure_channel(
            code=code,
            name=text(request, "name") or code,
            type=text(request, "type"),
            warehouses=[w for w in text(request, "warehouses").replace(",", " ").split() if w],
            api_url=text(request, "api_url") if old is None or text(request, "api_url") else None,
            token=text(request, "token") or None,
            webhook_secret=text(request, "webhook_secret") or None,
            settings=settings or None,
            actor=actor(request),
        ),
        outcome,
        FIELDS,
    )


def _form(channel: Channel | None, request: HttpRequest | None = None) -> dict[str, str]:
    """What the form shows: the POSTed values after a refusal, else the stored ones."""
    if request is not None and request.method == "POST":
        form = {k: text(request, k) for k in FIELDS if k not in ("token", "webhook_secret")}
        return form | {"settings": _shown_settings(form["settings"])}
    if channel is None:
        return {"type": "shopify"}
    shown = {k: v for k, v in channel.settings.items() if k not in INTERNAL}
    return {
        "code": channel.code,
        "name": channel.name,
        "type": channel.type,
        "warehouses": " ".join(channel.warehouses),
        "api_url": channel.api_url,
        "settings": json.dumps(redact(shown), indent=2) if shown else "",
    }


def _secrets(channel: Channel) -> dict[str, str]:
    return {
        name: (f"set ({fingerprint(name, value).removeprefix('*** ')})" if value else "not set")
        for name, value in (("token", channel.token), ("webhook_secret", channel.webhook_secret))
    }


@requires("channels.manage")
def channel_list(request: HttpRequest) -> HttpResponse:
    """Every channel with its health line; POST adds one."""
    outcome = Outcome()
    if request.method == "POST":
        made = _save(request, None, outcome)
        if made is not None:
            messages.success(request, f"channel {made.code} added")
            return redirect("setup-channel", code=made.code)
    rows = list(catalogue.channels())
    health = channel_setup.health([c.code for c in rows])
    context = {
        "rows": [(c, health[c.code], _secrets(c)) for c in rows],
        "types": channels.TYPES,
        "warehouses": [w.code for w in catalogue.warehouses()],
        "form": _form(None, request),
    }
    return page(request, "despatch/setup/channels.html", context, outcome)


def _channel(code: str) -> Channel:
    try:
        return catalogue.get_channel(code)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _detail(
    request: HttpRequest,
    channel: Channel,
    outcome: Outcome,
    probe: Any = None,
    posted: bool = False,
) -> HttpResponse:
    context = {
        "channel": channel,
        "health": channel_setup.health([channel.code])[channel.code],
        "secrets": _secrets(channel),
        "types": channels.TYPES,
        "form": _form(channel, request if posted else None),
        "probe": probe,
    }
    return page(request, "despatch/setup/channel.html", context, outcome)


@requires("channels.manage")
def channel_edit(request: HttpRequest, code: str) -> HttpResponse:
    """One channel: its health line, its settings and credentials, the connection test."""
    channel, outcome = _channel(code), Outcome()
    if request.method == "POST" and _save(request, channel, outcome) is not None:
        messages.success(request, f"channel {code} saved")
        return redirect("setup-channel", code=code)
    return _detail(request, channel, outcome, posted=request.method == "POST")


@requires("channels.manage")
@require_POST
def channel_test(request: HttpRequest, code: str) -> HttpResponse:
    """Call the platform once with the stored credentials; nothing is stored."""
    channel, outcome = _channel(code), Outcome()
    probe = attempt(lambda: channel_setup.try_connection(code), outcome, ("api_url", "token"))
    if probe is None and not outcome.errors:  # nothing answered: a result, not a form error
        probe, outcome.general = channel_setup.Probe(False, 0, "; ".join(outcome.general)), []
    return _detail(request, channel, outcome, probe)
