"""Service texts: normalised, recognised, suggested."""

from despatch.domain import service_levels as sl


def test_known_services_are_recognised_however_written():
    assert sl.known("Next-Day") == "next_day" and sl.known("EXPRESS") == "express"
    assert sl.known("Std") is None


def test_the_closest_known_service_is_suggested():
    cases = {
        "Std": "standard",
        "Std UK Dom_1": "standard",
        "Expedited": "express",
        "UK Prime Next Day": "next_day",
        "SameDay": "same_day",
        "UPSGround": "standard",
        "Free Shipping": "economy",
        "Standard Economy Saver": "economy",
        "Xpres": "express",
        "Flat Rate": "standard",
    }
    assert {text: sl.suggest(text) for text in cases} == cases


def test_the_map_is_read_without_case_or_spacing():
    mapping = {"UK Prime  Next-Day": "next_day"}
    assert sl.lookup(mapping, "uk prime next day") == "next_day"
    assert sl.resolve(mapping, "express") == "express" and sl.resolve(mapping, "x") is None


def test_a_map_naming_an_unknown_service_is_refused_per_entry():
    errors = sl.check_map({"Std": "standard", "Fast": "warp", " ": "express"})
    assert {e.field for e in errors} == {"service_map.Fast", "service_map. "}
