"""The GTIN rule every edge uses (SKU import, the set-up pages, the API's SKU body): empty, or
8, 12, 13 or 14 digits (EAN-8, UPC-A, EAN-13, GTIN-14). The check digit is not checked."""

from __future__ import annotations

import re

PATTERN = r"^(\d{8}|\d{12}|\d{13}|\d{14})?$"
_GTIN = re.compile(PATTERN)


def gtin_problem(gtin: str) -> str | None:
    """Why ``gtin`` is not one, or None when it is (or is empty)."""
    if _GTIN.fullmatch(gtin):
        return None
    return f"{gtin!r} is not an 8, 12, 13 or 14 digit GTIN"
