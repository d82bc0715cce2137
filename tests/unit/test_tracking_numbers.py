"""Tracking numbers of each carrier's scheme, from published examples, and the ways they break."""

import pytest

from despatch.domain import tracking_numbers as tn

COUNTRIES = {"GB", "IN", "US", "CN", "DE"}

# Example numbers published with each carrier's check-digit rule (valid as printed).
VALID = {
    "dhl_express": ["3318810025", "8487135506", "1099255990", "3821724944", "3318810036"],
    "fedex_express": ["986578788855", "477179081230", "799531274483", "790535312317"],
    "fedex_ground": ["0414 4176 0228 964", "5682 8361 0012 000", "5682 8361 0012 734"],
    "usps_impb": [
        "9400 1112 0108 0805 4830 16",
        "9361 2898 7870 0317 6337 95",
        "9405803699300124287899",
        "9505 5110 6960 5048 6006 24",
        "0307 1790 0005 2348 3741",
        "7196 9010 7560 0307 7385",  # printed without its leading 91
    ],
    "ups": ["1Z5R89390357567127", "1Z879E930346834440", "1Z410E7W0392751591", "1Z999AA10123456784"],
    "s10": ["RB123456785GB", "RR287043775IN", "RR473124829GB", "EE123456785US"],
}

WRONG_DIGIT = {
    "3318810010": ("dhl_express", "check digit should be 4"),
    "3318810034": ("dhl_express", "check digit should be 6"),
    "996578788855": ("fedex_express", "check digit should be 6"),
    "5682 8361 0012 732": ("fedex_ground", "check digit should be 4"),
    "0307 1790 0005 2348 3742": ("usps_impb", "check digit should be 1"),
    "9200000000000000000000": ("usps_impb", "check digit should be 1"),
    "1Z1111111111111111": ("ups", "check digit should be 8"),
    "RR287043774IN": ("s10", "check digit should be 5"),
}


@pytest.mark.parametrize(
    ("scheme", "number"), [(s, n) for s, numbers in VALID.items() for n in numbers]
)
def test_published_examples_are_recognised_and_valid(scheme, number):
    found = tn.check(number, countries=COUNTRIES)
    assert (found.scheme, found.valid, found.reason) == (scheme, True, "")


@pytest.mark.parametrize(("number", "expected"), WRONG_DIGIT.items())
def test_a_wrong_check_digit_is_named_with_the_right_one(number, expected):
    found = tn.check(number, countries=COUNTRIES)
    assert (found.scheme, found.reason) == expected and not found.valid


def test_spaces_hyphens_and_lower_case_are_normalised():
    for written in ("1z 5r8 939-0357 5671 27", " 1Z5R8939-03575-67127 ", "1z5r89390357567127"):
        found = tn.check(written)
        assert (found.number, found.scheme, found.valid) == ("1Z5R89390357567127", "ups", True)
    assert tn.check("rb 123 456 785 gb", countries=COUNTRIES).number == "RB123456785GB"
    assert tn.check("3318-810-025").valid


def test_an_s10_number_must_end_with_a_country():
    found = tn.check("RB123456785XX", countries=COUNTRIES)
    assert (found.scheme, found.valid, found.reason) == (
        "s10",
        False,
        "XX is not an ISO 3166 country",
    )
    assert tn.check("RB123456785XX").valid  # without a country list only the digit is checked


def test_every_issued_s10_number_checks_and_a_changed_digit_does_not():
    for serial in (0, 1, 47312482, 12345678, 99999999):
        number = tn.s10("CP", serial, "DE")
        assert tn.check(number, countries=COUNTRIES).valid
        broken = number[:10] + str((int(number[10]) + 1) % 10) + number[11:]
        assert not tn.check(broken, countries=COUNTRIES).valid


def test_every_single_digit_error_is_caught_by_the_mod_10_schemes():
    for number in ("9400111201080805483016", "041441760228964", "986578788855"):
        for place in range(len(number) - 1):
            for digit in "0123456789":
                if digit == number[place]:
                    continue
                changed = number[:place] + digit + number[place + 1 :]
                found = tn.check(changed)
                if found.scheme == "fedex_express":  # mod 11 then 10: most, not all, caught
                    continue
                assert not found.valid, changed


def test_a_carrier_limits_the_schemes_and_says_what_the_number_is():
    assert tn.check("3318810025", "dhl").valid
    assert tn.check("986578788855", "FedEx").valid
    assert tn.check("9400 1112 0108 0805 4830 16", "usps").valid
    found = tn.check("1Z5R89390357567127", "fedex")
    assert not found.valid and found.reason == "a UPS 1Z number, not FedEx Express or FedEx Ground"
    assert tn.check("12345", "ups").reason == "not a UPS 1Z number"
    assert tn.check("3318810025", "royalmail").valid  # another carrier: any scheme


def test_numbers_of_no_scheme_are_named_unknown():
    for number in ("hello", "12345", "1Z12", "RR12345678GB"):
        found = tn.check(number)
        assert (found.scheme, found.valid) == ("unknown", False)
        assert found.reason.startswith("not a UPU S10 postal item, UPS 1Z")
    assert tn.check("  ").reason == "no tracking number given"
    assert tn.check("RB123456785GB").as_dict()["name"] == "UPU S10 postal item"
