"""CSV files as people really save them, and CSV files we write that are safe to open."""

from pathlib import Path

import pytest

from despatch.domain.errors import ValidationFailed
from despatch.integrations import catalogue_csv
from despatch.integrations.channels import csv as order_csv
from despatch.integrations.rows import decode, neutralise, write_csv

SKUS = "sku,name,gtin,length_mm,width_mm,height_mm,weight_g\nA,Crème brûlée,,1,2,3,4\n"
ORDER_HEADER = (
    "external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,"
    "ship_postcode,ship_country\n"
)


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data",
    [
        SKUS.encode("utf-8"),
        b"\xef\xbb\xbf" + SKUS.encode("utf-8"),  # Excel's "CSV UTF-8"
        SKUS.encode("cp1252"),  # Excel's plain "CSV"
        SKUS.replace(",", ";").encode("cp1252"),  # Excel in a comma-decimal locale
        SKUS.replace(",", "\t").encode("utf-8"),
        SKUS.replace("\n", "\r\n").encode("utf-8"),
        SKUS.replace(",", "\t").encode("utf-16"),  # Excel's "Unicode Text" (a BOM first)
        b"\xfe\xff" + SKUS.encode("utf-16-be"),  # UTF-16 told by its BOM alone
    ],
)
def test_every_way_excel_saves_the_file_reads_the_same(tmp_path, data):
    records, errors = catalogue_csv.parse(write(tmp_path, data))
    assert errors == []
    assert [(r.code, r.name, r.weight_g) for r in records] == [("A", "Crème brûlée", 4)]


def test_a_column_named_twice_is_refused_naming_it(tmp_path):
    data = ORDER_HEADER.replace("\n", ",sku\n") + "X,GBP,A,1,1.00,Jo,1 St,Leeds,LS1,GB,B\n"
    with pytest.raises(ValidationFailed) as refused:
        order_csv.parse(write(tmp_path, data.encode()), "csv")
    (error,) = refused.value.errors
    assert error.field == "header" and "'sku' appears twice" in error.message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_an_empty_file_is_refused_as_empty(tmp_path, data):
    with pytest.raises(ValidationFailed) as refused:
        catalogue_csv.parse(write(tmp_path, data))
    (error,) = refused.value.errors
    assert (error.field, error.message) == ("file", "the file is empty")


def test_encoding_and_delimiter_can_be_named(tmp_path):
    data = SKUS.replace(",", "|").encode("latin-1")
    records, errors = catalogue_csv.parse(write(tmp_path, data), encoding="latin-1", delimiter="|")
    assert errors == [] and records[0].name == "Crème brûlée"
    records, _ = catalogue_csv.parse(
        write(tmp_path, SKUS.replace(",", "\t").encode()), delimiter="tab"
    )
    assert records[0].code == "A"
    with pytest.raises(ValidationFailed, match="unknown encoding"):
        catalogue_csv.parse(write(tmp_path, data), encoding="klingon")


def test_a_row_that_is_not_valid_text_is_reported_and_the_others_kept(tmp_path):
    data = (
        SKUS.encode()
        + b"B,Bad \x81\x8d name,,1,1,1,1\n"  # bytes neither UTF-8 nor Windows-1252 know
        + "C,Café,,1,1,1,1\n".encode()
    )
    records, errors = catalogue_csv.parse(write(tmp_path, data))
    assert [r.code for r in records] == ["A", "C"] and records[1].name == "Café"
    assert [(e.row, e.field) for e in errors] == [(3, "row")]


def test_overflowing_and_bad_numbers_are_reported_by_row_and_field(tmp_path):
    data = (
        SKUS + "B,Big,,1,1,1,99999999999999999999\nC,Bad,,x,1,1,1\nD," + "n" * 301 + ",,1,1,1,1\n"
    )
    records, errors = catalogue_csv.parse(write(tmp_path, data.encode()))
    assert [r.code for r in records] == ["A"]
    assert [(e.row, e.field) for e in errors] == [(3, "weight_g"), (4, "length_mm"), (5, "name")]


def test_an_order_csv_over_the_line_limit_is_reported(tmp_path):
    row = "BIG,GBP,A,1,1.00,Jo,1 St,Leeds,LS1 4DY,GB\n"
    ok = "OK,GBP,A,99999999999,1.00,Jo,1 St,Leeds,LS1 4DY,GB\n"
    data = (ORDER_HEADER + row * 501 + ok + "FINE,GBP,A,1,1,Jo,1 St,Leeds,LS1,GB\n").encode()
    parsed, errors = order_csv.parse(write(tmp_path, data), "csv")
    assert [p.draft.external_id for p in parsed] == ["FINE"]
    assert {(e.row, e.field) for e in errors} == {(2, "lines"), (503, "quantity")}


def test_cells_that_would_be_formulas_are_neutralised():
    assert [neutralise(v) for v in ("=1+2", "+44 20", "-5", "@SUM(A1)", "ok", 5, -5)] == [
        "'=1+2",
        "'+44 20",
        "'-5",
        "'@SUM(A1)",
        "ok",
        5,
        -5,
    ]
    text = write_csv(["a", "b"], [['=HYPERLINK("x")', 3]])
    assert text == 'a,b\n"\'=HYPERLINK(""x"")",3\n'


def test_decode_names_the_bad_lines():
    text, bad = decode(b"a\nb\n" + b"\xff\xfe\x81\n", "utf-8")
    assert bad == {3} and text.startswith("a\nb\n")


def test_a_price_too_large_for_its_column_is_reported_not_a_traceback(tmp_path):
    rows = (
        "A1,GBP,A,1,1e999,Jo,1 St,Leeds,LS1,GB\n"
        "A2,GBP,A,1,99999999999999999999,Jo,1 St,Leeds,LS1,GB\n"
    )
    parsed, errors = order_csv.parse(write(tmp_path, (ORDER_HEADER + rows).encode()), "csv")
    assert parsed == [] and [(e.row, e.field) for e in errors] == [
        (2, "unit_price"),
        (3, "unit_price"),
    ]
