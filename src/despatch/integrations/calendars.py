"""Public holidays by country and region, from the ``holidays`` package (offline)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

import holidays

from despatch.domain.errors import FieldError, ValidationFailed


def holiday_spec(raw: Any, default_country: str) -> tuple[str, str] | None:
    """``(country, subdivision)`` from a calendar's ``holidays`` setting; None when off.

    The setting is ``false`` (no public holidays), absent (the warehouse's country), or
    ``{"country": "GB", "subdivision": "ENG"}``. Unknown codes are named.
    """
    if raw is False:
        return None
    raw = raw if isinstance(raw, Mapping) else {}
    country = str(raw.get("country") or default_country).upper()
    subdivision = str(raw.get("subdivision") or "")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValidationFailed.single(
            "calendar.holidays.country", f"no public holidays known for {country!r}", "country"
        )
    if subdivision and subdivision not in supported[country]:
        raise ValidationFailed(
            [
                FieldError(
                    "calendar.holidays.subdivision",
                    f"{subdivision!r} is not a region of {country}",
                    "subdivision",
                    hint="one of " + ", ".join(supported[country][:20]),
                )
            ]
        )
    return country, subdivision


def public_holidays(spec: tuple[str, str] | None, years: Iterable[int]) -> frozenset[date]:
    if spec is None:
        return frozenset()
    return frozenset().union(*(_year(spec[0], spec[1], year) for year in years))


@lru_cache(maxsize=256)
def _year(country: str, subdivision: str, year: int) -> frozenset[date]:
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(found.keys())
