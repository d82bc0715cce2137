"""Service levels and the per-channel service map: a channel's shipping-method text
("Std", "Expedited", "UK Prime Next Day") -> one of the services Despatch plans with.

Texts are compared without case, spacing, hyphens or underscores. A text that is already a
known service ("Express", "next-day") needs no mapping. For a text the map does not know,
:func:`suggest` offers the closest known service: by the words shipping methods use, then by
spelling, else ``standard``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from despatch.domain.errors import FieldError

KNOWN = ("economy", "standard", "express", "next_day", "same_day")
LONGEST = 64  # the longest text an order's requested service can hold

# Words that say which service a shipping method is, most specific first.
_HINTS: tuple[tuple[str, str], ...] = (
    (r"same ?day|sameday", "same_day"),
    (r"next ?day|nextday|overnight|one ?day|1 ?day|24 ?h|saturday|prime", "next_day"),
    (
        r"express|expedited|priority|premium|fast|rush|two ?day|2 ?day|second ?day|tracked 24",
        "express",
    ),
    (r"economy|saver|budget|slow|deferred|value|super saver|free", "economy"),
    (
        r"standard|std|regular|normal|ground|first ?class|2nd ?class|second ?class|tracked 48",
        "standard",
    ),
)


def normalise(text: str) -> str:
    """The text as compared: lower case, words separated by one space."""
    return " ".join(re.sub(r"[-_/.,]+", " ", text.lower()).split())


def known(text: str) -> str | None:
    """The known service ``text`` names as it is ("Next-Day" -> next_day), else None."""
    name = normalise(text).replace(" ", "_")
    return name if name in KNOWN else None


def suggest(text: str) -> str:
    """The known service closest to a shipping-method text."""
    said = normalise(text)
    for pattern, service in _HINTS:
        if re.search(rf"\b(?:{pattern})\b", said):
            return service
    close = difflib.get_close_matches(said.replace(" ", "_"), KNOWN, n=1, cutoff=0.5)
    return close[0] if close else "standard"


def lookup(mapping: Mapping[str, str], text: str) -> str | None:
    """The service a channel's map gives ``text`` (compared normalised), else None."""
    said = normalise(text)
    for theirs, ours in mapping.items():
        if normalise(theirs) == said:
            return ours
    return None


def resolve(mapping: Mapping[str, str], text: str) -> str | None:
    """What an order's service text becomes: its mapping, or the known service it names."""
    return lookup(mapping, text) or known(text)


def check_map(mapping: Mapping[str, object]) -> list[FieldError]:
    """Each wrong entry of a service map, named ``service_map.TEXT``."""
    errors = []
    for theirs, ours in mapping.items():
        where = f"service_map.{theirs}"
        if not normalise(str(theirs)) or len(str(theirs)) > LONGEST:
            errors.append(FieldError(where, f"a shipping-method text of 1-{LONGEST} characters"))
        elif ours not in KNOWN:
            errors.append(
                FieldError(where, f"{ours!r} is not one of {', '.join(KNOWN)}", "unknown_service")
            )
    return errors
