from decimal import Decimal

import pytest

from despatch.domain.errors import ValidationFailed
from despatch.integrations import catalogue_csv
from despatch.integrations.channels import csv as order_csv

HEADER = (
    "external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,"
    "ship_postcode,ship_country\n"
)


def test_rows_sharing_an_external_id_make_one_order():
    text = (
        HEADER + "A1,GBP,SKU-1,2,3.50,Jo,1 St,Leeds,LS1,gb\nA1,GBP,SKU-2,1,1,Jo,1 St,Leeds,LS1,gb\n"
    )
    orders, errors = order_csv.parse(text, "csv")
    assert errors == []
    (order,) = orders
    assert order.rows == (2, 3)
    assert [(li.sku, li.quantity) for li in order.draft.lines] == [("SKU-1", 2), ("SKU-2", 1)]
    assert order.draft.total.amount == Decimal("8.00")
    assert order.draft.shipping_address.country == "GB"


def test_bad_rows_are_reported_by_row_and_field_and_good_orders_kept():
    text = (
        HEADER + "A1,GBP,SKU-1,two,3.50,Jo,1 St,Leeds,LS1,GB\n"
        "A2,GBP,SKU-1,1,3.50,Jo,1 St,Leeds,LS1,GB\n"
        "A3,GBP,SKU-1,0,3.50,Jo,1 St,Leeds,LS1,GB\n"
        "A4,XYZ,SKU-1,1,1,Jo,1 St,Leeds,LS1,GB\n"
        ",GBP,SKU-1,1,1,Jo,1 St,Leeds,LS1,GB\n"
    )
    orders, errors = order_csv.parse(text, "csv")
    assert [o.draft.external_id for o in orders] == ["A2"]
    found = {(e.row, e.field) for e in errors}
    assert {(2, "quantity"), (4, "quantity"), (5, "currency"), (6, "external_id")} <= found
    assert "row 2, quantity: 'two' is not a whole number" in {str(e) for e in errors}


def test_a_missing_column_is_refused_before_any_row():
    with pytest.raises(ValidationFailed) as exc:
        order_csv.parse("external_id,currency\nA1,GBP\n", "csv")
    assert {e.field for e in exc.value.errors} == {"header"}
    assert "'sku'" in exc.value.detail


def test_sku_catalogue_rows_are_checked():
    text = (
        "sku,name,gtin,length_mm,width_mm,height_mm,weight_g,flags\n"
        "S1,Mug,5000000000011,100,80,90,350,fragile|upright\n"
        "S1,Again,,1,1,1,1,\n"
        "S2,Tee,12345,1,1,1,1,\n"
        "S3,Box,,-5,1,1,1,\n"
    )
    records, errors = catalogue_csv.parse(text)
    assert [r.code for r in records] == ["S1"]
    assert records[0].flags == ("fragile", "upright")
    assert {(e.row, e.field) for e in errors} == {(3, "sku"), (4, "gtin"), (5, "length_mm")}


def test_a_file_that_is_not_csv_names_the_row_it_broke_on():
    text = (
        HEADER + "A1,GBP,SKU-1,1,1,Jo,1 St,Leeds,LS1,GB\nA2,GBP,SKU\x00,1,1,Jo,1 St,Leeds,LS1,GB\n"
    )
    with pytest.raises(ValidationFailed) as exc:
        order_csv.parse(text, "csv")
    assert exc.value.errors[0].field == "file" and "row 3" in exc.value.errors[0].message
