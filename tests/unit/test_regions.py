"""Regions as the platforms send them: names, local abbreviations and ISO 3166-2 codes."""

import pytest

from despatch.domain.addresses import Address
from despatch.integrations import labels
from despatch.integrations.regions import (
    country_codes,
    label_name,
    normalise_region,
    postal_key,
    region_code,
)

SAME_REGION = {
    ("IE", "CO"): ["Cork", "Co. Cork", "County Cork", "co cork", "IE-CO", "CO", "ie-co"],
    ("IE", "D"): ["Dublin", "Co. Dublin", "Co Dublin", "IE-D", "D"],
    ("IE", "G"): ["Galway", "Co. Galway", "IE-G"],
    ("JP", "13"): ["Tokyo", "Tōkyō", "Tokyo-to", "東京都", "JP-13", "JP13", "13", " 13 "],
    ("JP", "27"): ["Osaka", "Osaka-fu", "大阪府", "JP-27", "27"],
    ("JP", "01"): ["Hokkaido", "北海道", "JP-01", "01"],
    ("JP", "23"): ["Aichi", "Aichi Prefecture", "Aichi-ken", "JP-23"],
    ("US", "CA"): ["CA", "ca", "California", "CALIFORNIA", "US-CA"],
    ("US", "NY"): ["NY", "New York", "US-NY"],
    ("US", "DC"): ["DC", "District of Columbia", "US-DC"],
    ("US", "AA"): ["AA", "Armed Forces (AA)"],  # postal, with no ISO code
    ("CA", "QC"): ["QC", "Quebec", "Québec", "CA-QC"],
    ("CA", "ON"): ["ON", "Ontario", "CA-ON"],
    ("AU", "NSW"): ["NSW", "New South Wales", "AU-NSW"],
    ("AU", "VIC"): ["VIC", "Victoria", "AU-VIC"],
    ("MX", "JAL"): ["Jalisco", "JAL", "Jal.", "MX-JAL"],
    ("BR", "SP"): ["SP", "São Paulo", "Sao Paulo", "BR-SP"],
    ("IT", "MI"): ["MI", "Milano", "IT-MI"],
}


@pytest.mark.parametrize(
    ("country", "code", "written"),
    [(c, code, w) for (c, code), forms in SAME_REGION.items() for w in forms],
)
def test_every_way_of_writing_a_region_gives_its_code(country, code, written):
    assert region_code(country, written) == code
    assert normalise_region(country, written) == code


def test_the_postal_rules_get_the_name_they_know():
    assert postal_key("JP", "13") == "東京都"
    assert postal_key("IE", "CO") == "Co. Cork"
    assert postal_key("MX", "JAL") == "Jal."
    assert postal_key("US", "US-CA") == "CA"


def test_what_is_not_a_region_is_kept_as_given():
    assert region_code("IE", "Dublin 4") is None
    assert normalise_region("IE", "Dublin 4") == "Dublin 4"
    assert normalise_region("GB", "Greater London") == "Greater London"  # GB has no postal regions
    assert normalise_region("JP", "") == "" and normalise_region("", "Tokyo") == "Tokyo"
    assert region_code("US", "Tokyo") is None and region_code("JP", "CA") is None


def test_countries_are_iso_3166_codes():
    codes = country_codes()
    assert {"GB", "IE", "JP", "US", "DE"} <= codes and "XX" not in codes and "UK" not in codes
    assert len(codes) == 249


def test_a_label_prints_the_region_in_latin_letters():
    assert label_name("JP", "13") == "Tokyo" and label_name("JP", "JP-27") == "Osaka"
    assert label_name("US", "CA") == "CA" and label_name("IE", "CO") == "Co. Cork"
    assert label_name("GB", "Greater London") == "Greater London"
    label = labels.Label(
        tracking_number="RR123456785GB",
        carrier="royalmail",
        service="International",
        sender=Address("Despatch Ltd", "1 Dock Rd", "London", "E16 1AA", "GB"),
        to=Address("Tanaka Hanako", "1-1 Marunouchi", "Chiyoda-ku", "100-0005", "JP", region="13"),
        reference="#77",
    )
    assert "Chiyoda-ku Tokyo 100-0005" in labels.zpl(label)
