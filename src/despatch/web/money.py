"""The ``money`` template filter: ``{{ order.total_amount|money:order.currency }}`` shows
``40.00 GBP``, in the currency's own minor units (``7400 JPY``), never ``4E+1``. Registered as
a template builtin in settings, so no template needs to load it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from despatch.domain.errors import ValidationFailed
from despatch.domain.totals import plain

register = template.Library()


@register.filter
def money(amount: Decimal | int | str | None, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    try:
        text = plain(Decimal(str(amount)), currency)
    except (InvalidOperation, ValidationFailed):  # no currency known: the amount as it is
        return str(amount)
    return f"{text} {currency}"
