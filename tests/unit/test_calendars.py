"""Working calendars: cut-offs, working days, public holidays and promised dates."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from despatch.domain.calendars import Calendar, read_calendar
from despatch.domain.errors import ValidationFailed
from despatch.integrations.calendars import holiday_spec, public_holidays

LONDON = ZoneInfo("Europe/London")
ENGLAND = public_holidays(("GB", "ENG"), (2026,))
UK = Calendar("Europe/London", closed=ENGLAND, cutoffs={"*": time(16, 0)})


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_the_friday_before_a_bank_holiday_ships_that_friday_until_the_cut_off():
    assert date(2026, 8, 31) in ENGLAND  # late summer bank holiday, a Monday
    assert UK.ship_by(at(2026, 8, 28, 15, 59), "standard") == date(2026, 8, 28)
    assert UK.ship_by(at(2026, 8, 28, 16, 0), "standard") == date(2026, 9, 1)  # Tuesday


def test_weekends_and_holidays_ship_on_the_next_working_day():
    assert UK.ship_by(at(2026, 8, 29, 9, 0), "standard") == date(2026, 9, 1)  # Saturday
    assert UK.ship_by(at(2026, 12, 24, 17, 0), "standard") == date(2026, 12, 29)  # Christmas
    assert UK.ship_by(at(2026, 4, 2, 16, 30), "standard") == date(2026, 4, 7)  # Easter


def test_the_cut_off_is_in_the_warehouse_time_zone():
    utc = datetime(2026, 7, 1, 15, 30, tzinfo=ZoneInfo("UTC"))  # 16:30 in London (BST)
    assert UK.ship_by(utc, "standard") == date(2026, 7, 2)
    new_york = Calendar("America/New_York", cutoffs={"*": time(16, 0)})
    assert new_york.ship_by(utc, "standard") == date(2026, 7, 1)  # 11:30 there


def test_each_service_has_its_own_cut_off_and_transit():
    calendar = Calendar(
        "Europe/London",
        closed=ENGLAND,
        cutoffs={"express": time(14, 0), "*": time(17, 0)},
        transit_days={"express": 1, "standard": 2},
    )
    moment = at(2026, 8, 28, 15, 0)
    express = calendar.promise(moment, "express")
    assert (express.ship_by, express.deliver_by) == (date(2026, 9, 1), date(2026, 9, 2))
    assert "past the cut-off 14:00" in express.reason
    assert express.reason.startswith("ready Fri 28 Aug 2026 15:00") and "ships Tue 1 Sep 2026" in (
        express.reason
    )
    standard = calendar.promise(moment, "standard")
    assert standard.ship_by == date(2026, 8, 28)
    assert standard.deliver_by == date(2026, 9, 2)  # Tue, Wed: the Monday is a holiday
    assert "before the cut-off 17:00" in standard.reason


def test_closed_dates_and_weekend_working():
    calendar = read_calendar(
        {"working_days": ["mon", "tue", "wed", "thu", "fri", "sat"], "closed": ["2026-08-29"]},
        time_zone="Europe/London",
    )
    assert calendar.ship_by(at(2026, 8, 28, 18, 0), "standard") == date(2026, 8, 31)
    assert calendar.ship_by(at(2026, 9, 4, 18, 0), "standard") == date(2026, 9, 5)  # Saturday


def test_a_wrong_calendar_names_every_field():
    with pytest.raises(ValidationFailed) as caught:
        read_calendar(
            {
                "working_days": ["mon", "funday"],
                "closed": ["31/12/2026"],
                "cutoffs": {"express": "4pm"},
                "transit_days": {"standard": -1},
                "opening": "9",
            },
            time_zone="Mars/Olympus",
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {
        "calendar.working_days[1]",
        "calendar.closed[0]",
        "calendar.cutoffs.express",
        "calendar.transit_days.standard",
        "calendar.opening",
        "time_zone",
    }


def test_holiday_regions_are_checked():
    assert holiday_spec(None, "GB") == ("GB", "")
    assert holiday_spec(False, "GB") is None
    assert holiday_spec({"subdivision": "SCT"}, "GB") == ("GB", "SCT")
    scotland = public_holidays(("GB", "SCT"), (2026,))
    assert date(2026, 1, 2) in scotland and date(2026, 1, 2) not in ENGLAND
    with pytest.raises(ValidationFailed) as caught:
        holiday_spec({"subdivision": "XX"}, "GB")
    assert caught.value.errors[0].hint.startswith("one of ENG")
    with pytest.raises(ValidationFailed):
        holiday_spec({"country": "ZZ"}, "GB")
