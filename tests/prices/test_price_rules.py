"""What the price file may say, and where each problem is reported (line and column)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.prices import Limits, PriceBook, PriceEntry
from kiosk.scanner import gs1_gtin
from tests.helpers import REPO
from tests.prices.price_files import GOOD, HEADER, load, write


def test_a_good_file_gives_typed_entries(book: PriceBook, tmp_path: Path) -> None:
    assert load(book, write(tmp_path, GOOD)) == []
    fish = book.lookup("012345678905")
    assert fish == PriceEntry(
        "012345678905", Decimal("1.29"), Decimal("0.99"), date(2026, 12, 1),
        date(2026, 12, 31), Decimal("1.29"), "100 g", None, None, "Fish sticks")
    assert fish.promo_on(date(2026, 12, 31)) == Decimal("0.99")
    assert fish.promo_on(date(2027, 1, 1)) is None
    assert book.lookup("4006381333931") == PriceEntry("4006381333931", Decimal("2.50"),
                                                      age_limit=18)
    recall = book.lookup("96385074")
    assert recall is not None and recall.recall == "Recalled: listeria"
    assert book.lookup("5000000000001") is None
    s = book.summary()
    assert (s.entries, s.promotions, s.recalls, s.age_limits) == (3, 1, 1, 1)


def test_money_keeps_its_digits(book: PriceBook, tmp_path: Path) -> None:
    load(book, write(tmp_path, "barcode,price\n012345678905,1.10\n"))
    entry = book.lookup("012345678905")
    assert entry is not None and str(entry.price) == "1.10"
    assert isinstance(entry.price, Decimal)


def test_barcodes_meet_the_scans_at_the_gs1_form(book: PriceBook, tmp_path: Path) -> None:
    """An EAN-13 with a leading 0 is the UPC-A a scan of it normalizes to; a UPC-E
    expands; leading zeros are kept."""
    text = "barcode,price\n0012345678905,1\n04252614,2\n"
    assert load(book, write(tmp_path, text)) == []
    assert book.lookup("012345678905") is not None
    assert book.lookup("042100005264") is not None  # 04252614 as UPC-A
    assert book.lookup("0012345678905") is None


ROWS = [
    ("-1.00,,,,,,,,", 2, "price: -1.00 is negative"),
    ("1,29,,,,,,,,", 0, "11 fields, the header has 10"),
    ("abc,,,,,,,,", 2, "price: 'abc' is not a decimal number such as 1.29"),
    ('"1,29",,,,,,,,', 2, "(use '.' as the decimal separator)"),
    ("1,0.5,2026-01-01,,,,,,", 3,
     "a promotion needs promo_price, promo_from and promo_until: promo_until missing"),
    ("1,,2026-01-01,2026-02-01,,,,,", 4,
     "a promotion needs promo_price, promo_from and promo_until: promo_price missing"),
    ("1,0.5,2026-02-01,2026-01-01,,,,,", 5, "promo_until: 2026-01-01 is before promo_from"),
    ("1,0.5,2026-02-30,2026-03-01,,,,,", 4, "promo_from: '2026-02-30' is not a date"),
    ("1,0.5,01.02.2026,2026-03-01,,,,,", 4, "'01.02.2026' is not a date as YYYY-MM-DD"),
    ("1,,,,1.5,,,,", 7, "unit_price and unit go together"),
    ("1,,,,,kg,,,", 6, "unit_price and unit go together"),
    ("1,,,,,,100,,", 8, "age_limit: '100' is not a whole number from 0 to 99"),
    ("1,,,,,,-1,,", 8, "age_limit: '-1' is not a whole number from 0 to 99"),
    ("1,,,,,,18.5,,", 8, "age_limit: '18.5'"),
    ("1,,,,,,," + "x" * 301 + ",", 9, "recall: 301 characters, at most 300"),
]


@pytest.mark.parametrize(("cells", "column", "message"), ROWS)
def test_each_bad_cell_is_placed(book: PriceBook, tmp_path: Path, cells: str, column: int,
                                 message: str) -> None:
    problems = load(book, write(tmp_path, f"{HEADER}\n012345678905,{cells}\n"))
    where = f"{tmp_path / 'prices.csv'}:2:{column or 11}: "
    assert any(p.startswith(where) and message in p for p in problems), problems


def test_every_problem_of_a_row_is_reported(book: PriceBook, tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n012345678906,-1,,,,1.5,,100,,\n")
    problems = book.import_file(path, gs1_gtin, Limits()).problems
    assert [(p.line, p.column) for p in problems] == [(2, 1), (2, 2), (2, 7), (2, 8)], problems


@pytest.mark.parametrize(("barcode", "message"), [
    ("012345678906", "check digit should be 5, not 6"),
    ("12345", "5 digits: not a GTIN length"),
    ("12A45678905", "'A' at position 3"),
    ("", "barcode: empty"),
])
def test_bad_barcodes_say_why(book: PriceBook, tmp_path: Path, barcode: str,
                              message: str) -> None:
    problems = load(book, write(tmp_path, f"barcode,price\n{barcode},1\n"))
    assert len(problems) == 1 and message in problems[0], problems
    assert problems[0].startswith(f"{tmp_path / 'prices.csv'}:2:1: ")


def test_problems_come_in_file_order(book: PriceBook, tmp_path: Path) -> None:
    text = "barcode,price\n012345678905,1\n012345678905,2\n4006381333931,-1\n"
    problems = book.import_file(write(tmp_path, text), gs1_gtin, Limits()).problems
    assert [(p.line, p.column) for p in problems] == [(3, 1), (4, 2)]


def test_a_second_row_for_a_gtin_is_a_duplicate(book: PriceBook, tmp_path: Path) -> None:
    text = "price,barcode\n1,012345678905\n2,4006381333931\n3,0012345678905\n"
    problems = load(book, write(tmp_path, text))
    assert problems == [f"{tmp_path / 'prices.csv'}:4:2: barcode 012345678905 again: already "
                        "on line 2 (the same GTIN after GS1 normalization)"]


@pytest.mark.parametrize(("header", "message"), [
    ("barcode,price,age_limt", "1:3: unknown column 'age_limt' (did you mean 'age_limit'?)"),
    ("barcode,name", "1:1: the header has no column 'price'"),
    ("barcode,price,price", "1:3: column 'price' twice"),
    ("barcode,price,", "1:3: a column without a name (a separator too many?)"),
])
def test_the_header_is_checked(book: PriceBook, tmp_path: Path, header: str,
                               message: str) -> None:
    problems = load(book, write(tmp_path, f"{header}\n012345678905,1,x\n"))
    assert len(problems) == 1 and message in problems[0], problems


def test_bad_utf8_is_placed_and_the_rest_still_checked(book: PriceBook, tmp_path: Path) -> None:
    text = b"barcode,price,name\n012345678905,1,Caf\xe9\n4006381333931,-2,x\n"
    problems = load(book, write(tmp_path, text))
    assert problems[0].endswith("prices.csv:2:19: not UTF-8: byte 0xe9 (save the file as UTF-8)")
    assert problems[1].endswith("prices.csv:3:2: price: -2 is negative")


def test_spreadsheet_habits_are_understood(book: PriceBook, tmp_path: Path) -> None:
    """A byte-order mark, ';' between fields, CRLF, quoted fields over two lines, blank
    lines and header names in capitals."""
    text = ('\ufeffBarcode;Price;Name\r\n\r\n012345678905;1.29;"Fish\r\nsticks"\r\n'
            '4006381333931;2;x\r\n')
    assert load(book, write(tmp_path, text)) == []
    fish = book.lookup("012345678905")
    assert fish is not None and fish.name == "Fish sticks"


def test_lines_are_counted_across_quoted_newlines(book: PriceBook, tmp_path: Path) -> None:
    text = 'barcode,price,name\n012345678905,1,"two\nlines"\n4006381333931,-1,x\n'
    assert load(book, write(tmp_path, text))[0].endswith("prices.csv:4:2: price: -1 is negative")


def test_json_lines_say_the_same(book: PriceBook, tmp_path: Path) -> None:
    text = ('{"barcode": "012345678905", "price": 1.10, "promo_price": "0.99", '
            '"promo_from": "2026-12-01", "promo_until": "2026-12-31", "name": "Fish"}\n'
            '\n{"barcode": "4006381333931", "price": null, "age_limit": 18}\n')
    assert load(book, write(tmp_path, text, "prices.jsonl")) == []
    fish = book.lookup("012345678905")
    assert fish is not None and str(fish.price) == "1.10" and fish.promo_price == Decimal("0.99")
    assert book.lookup("4006381333931") == PriceEntry("4006381333931", age_limit=18)


@pytest.mark.parametrize(("line", "message"), [
    ('{"barcode": 12345678905, "price": 1}', "1:2: barcode: must be a string (leading zeros"),
    ('{"barcode": "012345678905", "pryce": 1}', "1:29: unknown column 'pryce' (did you mean"),
    ('{"price": 1}', "1:1: no \"barcode\""),
    ('{"barcode": "012345678905", "price": true}', "1:29: price: must be a number or null"),
    ('{"barcode": "012345678905", "price": -1}', "1:29: price: -1 is negative"),
    ('["012345678905", 1]', "1:1: a line must be one JSON object"),
    ('{"barcode": "012345678905", ', "1:29: not JSON: Expecting property name"),
])
def test_json_line_problems_are_placed(book: PriceBook, tmp_path: Path, line: str,
                                       message: str) -> None:
    problems = load(book, write(tmp_path, line + "\n", "prices.jsonl"))
    assert len(problems) == 1 and f"prices.jsonl:{message}" in problems[0], problems


def test_the_format_is_sniffed_without_a_telling_name(book: PriceBook, tmp_path: Path) -> None:
    text = '{"barcode": "012345678905", "price": "1"}\n'
    assert load(book, write(tmp_path, text, "export.txt")) == []
    assert book.lookup("012345678905") is not None


@pytest.mark.parametrize(("text", "limits", "message"), [
    (f"{HEADER}\n" + "012345678905,1,,,,,,,,\n", Limits(max_bytes=50), "bytes, more than"),
    ("barcode,price\n012345678905,1\n4006381333931,2\n", Limits(max_rows=1),
     ":3:1: more than 1 rows (prices.max_rows)"),
    ("barcode,price,name\n012345678905,1," + "x" * 200 + "\n", Limits(max_line_bytes=100),
     ":2:1: line longer than 100 bytes"),
    ("", Limits(), "empty: a CSV price file starts with a header row"),
    (f"{HEADER}\n,,,,,,,,,\n", Limits(), "no price rows: a file without any is refused"),
])
def test_bounds(book: PriceBook, tmp_path: Path, text: str, limits: Limits,
                message: str) -> None:
    problems = load(book, write(tmp_path, text), limits)
    assert len(problems) == 1 and message in problems[0], problems


def test_reading_stops_at_the_problem_limit(book: PriceBook, tmp_path: Path) -> None:
    text = "barcode,price\n" + "012345678905,-1\n" * 50
    problems = load(book, write(tmp_path, text), Limits(max_problems=5))
    assert len(problems) == 6
    assert problems[-1].endswith(":6:1: stopped here after 5 problems")


def test_reading_stops_at_the_problem_limit_also_on_bad_bytes(book: PriceBook,
                                                               tmp_path: Path) -> None:
    problems = load(book, write(tmp_path, b"barcode,price\n" + b"\xff\n" * 50),
                    Limits(max_problems=3))
    assert problems[-1].endswith(":3:1: stopped here after 3 problems"), problems


@pytest.mark.parametrize("fence", ["csv", "json"])
def test_the_documented_examples_are_taken(book: PriceBook, tmp_path: Path, fence: str) -> None:
    """docs/prices.md's two example files, as an admin would copy them."""
    doc = (REPO / "docs" / "prices.md").read_text(encoding="utf-8")
    example = re.search(rf"```{fence}\n(.*?)```", doc, re.S)
    assert example is not None
    name = "prices.csv" if fence == "csv" else "prices.jsonl"
    assert load(book, write(tmp_path, example.group(1), name)) == []
    assert book.lookup("012345678905") is not None
