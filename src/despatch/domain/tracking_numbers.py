"""Tracking numbers: issuing them with their scheme's check digit, and checking incoming ones.

- **UPU S10** (postal items, e.g. ``RR123456785GB``): two service letters, an 8-digit serial, a
  check digit (weights 8 6 4 2 3 5 9 7; 11 - sum mod 11, where 10 gives 0 and 11 gives 5) and
  the ISO country of the issuing post.
- **UPS 1Z** (``1Z`` + 6-character shipper + 2-digit service + 7-digit reference + check digit):
  letters count as digits ((letter - A + 2) mod 10); digits in odd places are added, in even
  places doubled; the check digit brings the total to a multiple of 10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from despatch.domain.errors import ValidationFailed

S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
UPS = re.compile(r"^1Z([0-9A-Z]{15})([0-9])$")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


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


@dataclass(frozen=True)
class TrackingCheck:
    number: str
    scheme: str  # s10, ups, unknown
    valid: bool
    reason: str = ""


def check(number: str) -> TrackingCheck:
    """Which scheme an incoming number follows and whether its check digit is right."""
    text = re.sub(r"\s+", "", number or "").upper()
    if found := S10.match(text):
        expected = s10_check_digit(found[2])
        ok = expected == int(found[3])
        return TrackingCheck(text, "s10", ok, "" if ok else f"check digit should be {expected}")
    if found := UPS.match(text):
        expected = ups_check_digit(found[1])
        ok = expected == int(found[2])
        return TrackingCheck(text, "ups", ok, "" if ok else f"check digit should be {expected}")
    return TrackingCheck(text, "unknown", False, "not an S10 or UPS 1Z number")
