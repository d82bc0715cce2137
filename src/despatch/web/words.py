"""Template filters that say internals in words (domain/wording.py): ``{{ o.status|status }}``
shows "Ready to pick", ``{{ p.field|field }}`` shows "line 3 SKU", ``{{ o.hold_reason|hold }}``
"awaiting payment", ``{{ c.kind|kind }}`` "Unknown SKU", ``{{ moment|zoned:"Europe/London" }}``
"2026-05-01 14:03 BST". Registered as a template builtin in settings: no template loads it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django import template

from despatch.domain.calendars import day_text
from despatch.domain.wording import (
    MESSAGE_KIND_WORDS,
    STATUS_WORDS,
    actor_words,
    field_words,
    hold_words,
    kind_words,
    paths_in_words,
    reason_words,
    refund_kind_words,
    resolution_words,
    return_reason_words,
    role_words,
    status_words,
    strategy_words,
    template_words,
)

register = template.Library()


@register.filter
def status(value: str, of: str = "") -> str:
    """An order's status in words, or with ``of`` another's: ``{{ p|status:"payment" }}``."""
    return status_words(str(value or ""), of)


@register.filter
def day(value: date | str | None) -> str:
    """A day (or an ISO date's text) as every screen says it: "Wed 6 Mar 2019"."""
    if not value:
        return ""
    try:
        return day_text(value if isinstance(value, date) else date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


@register.filter
def actor(value: str) -> str:
    """Who did or owns something in words: ``group:support`` → "Support team"."""
    return actor_words(str(value or ""))


@register.filter
def refund_kind(value: str) -> str:
    """How a refund is given: ``store_credit`` → "store credit"."""
    return refund_kind_words(str(value or ""))


@register.filter
def kind(value: str) -> str:
    """An exception kind in words: ``unknown_sku`` → "Unknown SKU"."""
    return kind_words(str(value or ""))


@register.filter
def return_reason(value: str) -> str:
    """A customer's return reason code in words, for the options of the returns form."""
    return return_reason_words(str(value or ""))


@register.filter
def hold(value: str) -> str:
    return hold_words(str(value or ""))


@register.filter
def reason(value: str) -> str:
    """A reason code in words, for the options of a reason select (which submit the code)."""
    return reason_words(str(value or ""))


@register.filter
def strategy(value: str) -> str:
    """A sourcing strategy in words: ``fewest_shipments`` → "fewest parcels"."""
    return strategy_words(str(value or ""))


@register.filter
def field(value: str) -> str:
    return field_words(str(value or ""))


@register.filter
def zoned(moment: datetime | str | None, zone: str = "UTC") -> str:
    """A time in ``zone`` (a warehouse's time zone), with the zone's abbreviation shown; an
    ISO 8601 text (as JSON keeps a time) is read first."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(text := moment)
        except ValueError:
            return text
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone or "UTC"))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


@register.filter
def said(value: object) -> object:
    """A status in words (``allocated`` → "Ready to pick"); a list as its items (``vip,
    gift``); a mapping as its fields in words (``{"line1": "2 Mill Lane"}`` → "first line 2
    Mill Lane"); anything else as it is."""
    if isinstance(value, str) and value in STATUS_WORDS:
        return STATUS_WORDS[value]
    if isinstance(value, list | tuple):
        return ", ".join(str(said(item)) for item in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{field_words(str(k))} {said(v) if v not in ('', None) else 'none'}"
            for k, v in value.items()
        )
    return value


@register.filter
def worded(text: str) -> str:
    """Field paths in a sentence in words: ``lines[1].sku: …`` → ``line 2 SKU: …``."""
    return paths_in_words(str(text or ""))


@register.filter
def role(value: str | list[str] | tuple[str, ...]) -> str:
    """A role, or a list of them, in words: ``ops_manager`` → "Ops manager"."""
    if isinstance(value, list | tuple):
        return ", ".join(role_words(str(r)) for r in value)
    return role_words(str(value or ""))


@register.filter
def resolution(value: str) -> str:
    """How an exception was closed: ``fix_address`` → "address corrected"."""
    return resolution_words(str(value or ""))


@register.filter
def template_name(value: str) -> str:
    """A notification template in words: ``out_for_delivery`` → "Out for delivery"."""
    return template_words(str(value or ""))


@register.filter
def message_kind(value: str) -> str:
    """A template's kind in words: ``sms.txt`` → "Text message"."""
    return MESSAGE_KIND_WORDS.get(str(value), str(value))
