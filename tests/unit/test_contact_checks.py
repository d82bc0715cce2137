"""Per-country address, phone and email checks, each with the field and a suggested fix."""

from despatch.domain.addresses import Address
from despatch.integrations.contact_checks import contact_problems


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


def test_a_phone_that_is_not_a_number_there_is_named_with_an_example():
    found = problems(Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB", phone="12345"))
    assert found["shipping_address.phone"].message == "'12345' is not a valid GB phone number"
    assert found["shipping_address.phone"].hint.startswith("e.g. +44")


def test_email_syntax_is_checked_without_dns():
    found = problems(Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB"), "jo@example")
    assert "customer_email" in found and "period" in found["customer_email"].message
    assert problems(Address("Jo", "1 Park Row", "Leeds", "LS1 4DY", "GB"), "") == {}
