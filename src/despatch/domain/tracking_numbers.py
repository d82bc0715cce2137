"""Tracking numbers: issuing them with their scheme's check digit, and checking incoming ones.

Every number is first normalised: spaces and hyphens removed, letters upper-cased. Then:

- **UPU S10** (postal items, e.g. ``RR123456785GB``): two service letters, an 8-digit serial, a
  check digit (weights 8 6 4 2 3 5 9 7; 11 - sum mod 11, where 10 gives 0 and 11 gives 5) and
  the ISO 3166-1 country of the issuing post (``XX`` is no country).
- **UPS 1Z** (``1Z`` + 6-character shipper + 2-character service + 7-character reference + check
  digit): letters count as digits ((letter - A + 2) mod 10); characters in odd places are added,
  in even places doubled; the check digit brings the total to a multiple of 10.
- **DHL Express** waybill: 10 digits; the first nine, read as one number, mod 7 give the tenth.
- **FedEx Express**: 12 digits; the first eleven weighted 1, 3, 7, 1, 3, 7, ... from the right,
  the sum mod 11, then mod 10, gives the twelfth.
- **FedEx Ground**: 15 digits (or 22 starting ``96``, whose last 15 are checked); GS1 mod 10.
- **USPS IMpb**: 20 to 22 digits; GS1 mod 10 (a 20-digit number may be printed without the
  ``91`` that its check digit covers).

GS1 mod 10: the digits before the check digit weighted 3, 1, 3, 1, ... from the right; the check
digit brings the sum to a multiple of 10.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from typing import Any

from despatch.domain.errors import ValidationFailed

S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
UPS = re.compile(r"^1Z([0-9A-Z]{15})([0-9])$")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)

SCHEME_NAMES = {
    "s10": "UPU S10 postal item",
    "ups": "UPS 1Z",
    "dhl_express": "DHL Express waybill",
    "fedex_express": "FedEx Express",
    "fedex_ground": "FedEx Ground",
    "usps_impb": "USPS IMpb",
}
# The schemes each well-known carrier code issues; any other carrier code may use any scheme.
CARRIER_SCHEMES = {
    "dhl": ("dhl_express", "s10"),
    "fedex": ("fedex_express", "fedex_ground"),
    "usps": ("usps_impb", "s10"),
    "ups": ("ups",),
}


def normalise(number: str) -> str:
    """Spaces, hyphens and dots out, letters upper case: ``1z 999-aa1`` -> ``1Z999AA1``."""
    return re.sub(r"[\s\-.]+", "", number or "").upper()


def s10_check_digit(serial: str) -> int:
    if len(serial) != 8 or not serial.isdigit():
        raise ValidationFailed.single("serial", "an S10 serial is 8 digits")
    rest = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(rest, rest)


def s10(service: str, serial: int, country: str) -> str:
    """An S10 number such as ``RR123456785GB``."""
    if not re.fullmatch(r"[A-Z]{2}", service) or not re.fullmatch(r"[A-Z]{2}", country):
        raise ValidationFailed.single("tracking", "S10 service and country are two letters")
    if not 0 <= serial < 10**8:
        raise ValidationFailed.single("serial", "an S10 serial is 0..99999999")
    digits = f"{serial:08d}"
    return f"{service}{digits}{s10_check_digit(digits)}{country}"


def _ups_value(char: str) -> int:
    return int(char) if char.isdigit() else (ord(char) - ord("A") + 2) % 10


def ups_check_digit(body: str) -> int:
    """The check digit of the 15 characters after ``1Z``."""
    total = sum(_ups_value(c) * (2 if i % 2 else 1) for i, c in enumerate(body))
    return (10 - total % 10) % 10


def ups(shipper: str, service: str, reference: int) -> str:
    """A UPS number: ``1Z`` + shipper (6) + service (2) + reference (7) + check digit."""
    if not re.fullmatch(r"[0-9A-Z]{6}", shipper) or not re.fullmatch(r"\d{2}", service):
        raise ValidationFailed.single(
            "tracking", "UPS needs a 6-character shipper, 2-digit service"
        )
    if not 0 <= reference < 10**7:
        raise ValidationFailed.single("reference", "a UPS reference is 0..9999999")
    body = f"{shipper}{service}{reference:07d}"
    return f"1Z{body}{ups_check_digit(body)}"


def gs1_check_digit(digits: str) -> int:
    """GS1 mod 10 of the digits before the check digit (3, 1, 3, ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def dhl_check_digit(digits: str) -> int:
    """DHL Express: the first nine digits of the waybill, as one number, mod 7."""
    return int(digits) % 7


def fedex_express_check_digit(digits: str) -> int:
    """FedEx Express: the eleven digits weighted 1, 3, 7 from the right, mod 11, mod 10."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(digits)))
    return total % 11 % 10


@dataclass(frozen=True)
class TrackingCheck:
    number: str  # normalised
    scheme: str  # s10, ups, dhl_express, fedex_express, fedex_ground, usps_impb, unknown
    valid: bool
    reason: str = ""

    @property
    def name(self) -> str:
        return SCHEME_NAMES.get(self.scheme, "unknown scheme")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name}


def _digit_check(
    text: str, scheme: str, body: str, given: str, rule: Callable[[str], int]
) -> TrackingCheck:
    expected = rule(body)
    ok = expected == int(given)
    return TrackingCheck(text, scheme, ok, "" if ok else f"check digit should be {expected}")


def _s10(text: str, found: re.Match[str], countries: Collection[str] | None) -> TrackingCheck:
    expected = s10_check_digit(found[2])
    if expected != int(found[3]):
        return TrackingCheck(text, "s10", False, f"check digit should be {expected}")
    if countries is not None and found[4] not in countries:
        return TrackingCheck(text, "s10", False, f"{found[4]} is not an ISO 3166 country")
    return TrackingCheck(text, "s10", True)


def _numeric_schemes(text: str) -> list[TrackingCheck]:
    """Every digits-only scheme the number's length fits, each checked."""
    size = len(text)
    found = []
    if size == 10:
        found.append(_digit_check(text, "dhl_express", text[:9], text[9], dhl_check_digit))
    if size == 12:
        found.append(
            _digit_check(text, "fedex_express", text[:11], text[11], fedex_express_check_digit)
        )
    if size == 15:
        found.append(_digit_check(text, "fedex_ground", text[:14], text[14], gs1_check_digit))
    if size == 22 and text.startswith("96"):
        found.append(_digit_check(text, "fedex_ground", text[7:21], text[21], gs1_check_digit))
    if 20 <= size <= 22:
        found.append(_digit_check(text, "usps_impb", text[:-1], text[-1], gs1_check_digit))
    if size == 20:  # printed without its "91" application identifier, which the digit covers
        found.append(_digit_check(text, "usps_impb", "91" + text[:-1], text[-1], gs1_check_digit))
    return found


def _candidates(text: str, countries: Collection[str] | None) -> list[TrackingCheck]:
    if found := S10.match(text):
        return [_s10(text, found, countries)]
    if found := UPS.match(text):
        return [_digit_check(text, "ups", found[1], found[2], ups_check_digit)]
    if text.isdigit():
        return _numeric_schemes(text)
    return []


def check(
    number: str, carrier: str = "", countries: Collection[str] | None = None
) -> TrackingCheck:
    """Which scheme an incoming number follows and whether it is right.

    ``carrier`` (``dhl``, ``fedex``, ``usps``, ``ups``) limits the schemes to that carrier's;
    another carrier code allows every scheme. ``countries`` are the ISO 3166-1 codes an S10
    number may end with (``None``: the two letters are not looked up)."""
    text = normalise(number)
    allowed = CARRIER_SCHEMES.get(carrier.strip().lower())
    found = _candidates(text, countries)
    if allowed is not None:
        theirs = [c for c in found if c.scheme in allowed]
        if found and not theirs:
            names = " or ".join(SCHEME_NAMES[s] for s in allowed)
            return TrackingCheck(
                text, found[0].scheme, False, f"a {found[0].name} number, not {names}"
            )
        found = theirs
    if not found:
        return TrackingCheck(text, "unknown", False, _unknown_reason(text, allowed))
    return next((c for c in found if c.valid), found[0])


def refused(
    number: str, carrier: str = "", countries: Collection[str] | None = None
) -> TrackingCheck | None:
    """The check of an incoming number that cannot be right: a known scheme with a wrong
    check digit or country, or no scheme of a carrier whose schemes are known. Other
    carriers' own formats (``DPD1``) pass: None."""
    found = check(number, carrier, countries)
    known_carrier = carrier.strip().lower() in CARRIER_SCHEMES
    if found.valid or (found.scheme == "unknown" and not known_carrier and found.number):
        return None
    return found


def _unknown_reason(text: str, allowed: Collection[str] | None) -> str:
    if not text:
        return "no tracking number given"
    names = [SCHEME_NAMES[s] for s in (allowed or SCHEME_NAMES)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"not a {listed} number"
