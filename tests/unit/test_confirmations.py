"""What a platform is told of a parcel, and how a retry recognises its own earlier post."""

from datetime import UTC, datetime

from despatch.integrations.channels.confirmations import (
    ShipmentNotice,
    ShippedLine,
    already_there,
    carrier_key,
)


def notice(tracking="1Z999AA10123456784", told=()):
    return ShipmentNotice(
        external_id="450789469",
        shipment_id="shp_1",
        package_number=2,
        carrier="Royal Mail",
        service="",
        tracking_number=tracking,
        shipped_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        lines=(ShippedLine("466157049", "A", 1), ShippedLine("466157049", "A", 1)),
        order_complete=False,
        told=told,
    )


def test_units_of_one_platform_line_are_added_up():
    assert notice().units() == {"466157049": 2}


def test_a_record_with_the_same_tracking_number_is_the_earlier_post():
    records = [("F1", "OTHER", []), ("F2", "1Z999AA10123456784", [])]
    assert already_there(notice(), records) == "F2"
    assert already_there(notice(told=("F2",)), records) == ""  # another shipment's record


def test_without_a_tracking_number_the_same_lines_and_units_on_an_unclaimed_record():
    records = [("F1", "", [(466157049, 1)]), ("F2", "", [(466157049, 2)])]
    assert already_there(notice(tracking=""), records) == "F2"
    assert already_there(notice(tracking="", told=("F2",)), records) == ""
    assert already_there(notice(tracking=""), [("F3", "1Z", [(466157049, 2)])]) == ""


def test_carrier_names_are_compared_without_case_or_spaces():
    assert carrier_key("Royal Mail") == "royalmail" and carrier_key("DHL-Express") == "dhlexpress"
