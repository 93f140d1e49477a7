"""Properties: any file either imports whole or is refused with a line and a column, and
a refused file leaves the old prices exactly as they were."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.prices import Limits, PriceBook, Problem
from kiosk.scanner import gs1_gtin
from tests.prices.price_files import GOOD, GOOD_BARCODES, gtin

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Barcodes: spellings of a few GTINs (so duplicates after normalization happen), and
# text that is no barcode.
_VALID = {gtin("501234567890"): gtin("501234567890"),
          "0" + gtin("501234567890"): gtin("501234567890"),
          gtin("400638133393"): gtin("400638133393"),
          gtin("04210000526"): gtin("04210000526"),
          "0" + gtin("04210000526"): gtin("04210000526"),
          gtin("7000000"): gtin("7000000"),
          gtin("870000000001"): gtin("870000000001")}
_INVALID_BARCODES = ["", "12345", "501234567891", "abc", "\uff10\uff11\uff12"]  # fullwidth digits
_GOOD_MONEY = ["", "0", "1", "1.29", "0.5", "123456789.1234"]
_BAD_MONEY = ["-1", "1,29", "1e3", "€1", "1.23456", " ", "NaN", "\uff11"]
_GOOD_AGES = ["", "0", "16", "18", "99"]
_BAD_AGES = ["100", "-1", "18+", "1.5"]


@dataclass(frozen=True)
class Row:
    barcode: str
    price: str
    age: str
    name: str

    @property
    def valid(self) -> bool:
        return (self.barcode in _VALID and self.price.strip() in _GOOD_MONEY
                and self.age in _GOOD_AGES)


rows = st.builds(
    Row,
    barcode=st.sampled_from([*_VALID, *_INVALID_BARCODES]),
    price=st.sampled_from(_GOOD_MONEY * 3 + _BAD_MONEY),
    age=st.sampled_from(_GOOD_AGES * 3 + _BAD_AGES),
    name=st.text(max_size=30),
)


def _csv(items: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["barcode", "price", "age_limit", "name"])
    writer.writerows([r.barcode, r.price, r.age, r.name] for r in items)
    return out.getvalue().encode()


def _jsonl(items: list[Row]) -> bytes:
    return "".join(json.dumps({"barcode": r.barcode, "price": r.price, "age_limit": r.age,
                               "name": r.name}) + "\n" for r in items).encode()


def _placed(problem: Problem, lines: int) -> bool:
    if problem.line == 0:
        return problem.column == 0
    return 1 <= problem.line <= lines and problem.column >= 1


def _check(data: bytes, name: str, expect_valid: bool | None = None,
           kept: frozenset[str] = frozenset()) -> None:
    """Import `data` over the three GOOD prices: all of it (nothing of the old but the
    barcodes in `kept`) or none of it, with each problem placed."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "old.csv").write_text(GOOD)
        path = root / name
        path.write_bytes(data)
        with PriceBook(root / "prices.db") as book:
            assert book.import_file(root / "old.csv", gs1_gtin, Limits()).accepted
            before = [book.lookup(b) for b in GOOD_BARCODES], book.summary()
            outcome = book.import_file(path, gs1_gtin, Limits(max_problems=1000))
            if expect_valid is not None:
                assert outcome.accepted == expect_valid, outcome.problems
            if outcome.accepted:
                assert book.summary() == outcome.summary
                if expect_valid:
                    assert all(book.lookup(b) is None for b in GOOD_BARCODES if b not in kept)
                return
            lines = data.count(b"\n") + 1
            assert all(_placed(p, lines) for p in outcome.problems), outcome.problems
            assert ([book.lookup(b) for b in GOOD_BARCODES], book.summary()) == before
        with PriceBook(root / "prices.db") as book:  # and so it is after a restart
            assert ([book.lookup(b) for b in GOOD_BARCODES], book.summary()) == before


@SETTINGS
@given(st.lists(rows, min_size=1, max_size=25), st.sampled_from(["csv", "jsonl"]))
def test_a_file_imports_whole_or_is_refused_with_places(items: list[Row], fmt: str) -> None:
    data = _csv(items) if fmt == "csv" else _jsonl(items)
    if fmt == "csv":  # a CSV row of empty cells is a blank line (spreadsheets end so)
        items = [r for r in items if any(f.strip() for f in (r.barcode, r.price, r.age, r.name))]
    gtins = [_VALID.get(r.barcode) for r in items]
    # No rows at all is refused too: a failed export is often its header alone.
    valid = bool(items) and all(r.valid for r in items) and len(set(gtins)) == len(gtins)
    _check(data, f"new.{fmt}", expect_valid=valid, kept=frozenset(g for g in gtins if g))
    if valid:
        with tempfile.TemporaryDirectory() as tmp, PriceBook(None) as book:
            (Path(tmp) / f"new.{fmt}").write_bytes(data)
            assert book.import_file(Path(tmp) / f"new.{fmt}", gs1_gtin, Limits()).accepted
            for r in items:
                entry = book.lookup(_VALID[r.barcode])
                assert entry is not None
                assert entry.price == (Decimal(r.price) if r.price.strip() else None)
                assert entry.age_limit == (int(r.age) or None if r.age else None)


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.jsonl", "x.txt"]))
def test_any_bytes_import_or_are_refused_with_places(data: bytes, name: str) -> None:
    _check(b"barcode,price\n" + data if name == "x.csv" else data, name)
