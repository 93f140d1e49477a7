"""One row's cells to a `PriceEntry`, or what is wrong with each cell (pure).

Both formats meet here: the CSV reader hands over the cells' text, the JSON-lines reader
its values turned to the same text, so a rule (the decimal format, the promotion's
dates, the age limit's range) is written once and says the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from kiosk.prices._entry import Normalize, PriceEntry
from kiosk.sanitize import clean_text

__all__ = ["Cell", "parse_row"]

Cell = tuple[str, int]
"""A cell's text (stripped; "" is empty) and its column."""

MAX_NAME = 200
MAX_RECALL = 300
MAX_UNIT = 16
_MONEY = re.compile(r"-?[0-9]{1,9}(\.[0-9]{1,4})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AGE = re.compile(r"-?[0-9]{1,3}")


class _Row:
    """A row's cells, and its problems collected while they are read."""

    def __init__(self, cells: Mapping[str, Cell]) -> None:
        self.cells = cells
        self.problems: list[tuple[int, str]] = []

    def text(self, name: str) -> str:
        cell = self.cells.get(name)
        return "" if cell is None else cell[0]

    def bad(self, name: str, message: str) -> None:
        self.problems.append((self.cells[name][1] if name in self.cells else 1, message))

    def money(self, name: str, text: str) -> Decimal | None:
        if not text:
            return None
        if not _MONEY.fullmatch(text):
            hint = (" (use '.' as the decimal separator)"
                    if re.fullmatch(r"-?[0-9]+,[0-9]+", text) else "")
            self.bad(name, f"{name}: {text[:40]!r} is not a decimal number such as 1.29{hint}")
            return None
        value = Decimal(text)
        if value < 0:
            self.bad(name, f"{name}: {text} is negative")
            return None
        return value

    def day(self, name: str, text: str) -> date | None:
        if not text:
            return None
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            self.bad(name, f"{name}: {text[:40]!r} is not a date as YYYY-MM-DD")
            return None

    def words(self, name: str, text: str, max_len: int) -> str | None:
        if not text:
            return None
        if len(text) > max_len:
            self.bad(name, f"{name}: {len(text)} characters, at most {max_len}")
            return None
        return clean_text(text, max_len) or None


def parse_row(cells: Mapping[str, Cell], normalize: Normalize
              ) -> PriceEntry | list[tuple[int, str]]:
    """The entry, or each problem as (column, message). Every cell is read (once), so
    a row's problems are all reported together."""
    row = _Row(cells)
    text = row.text
    barcode = _barcode(row, text("barcode"), normalize)
    price = row.money("price", text("price"))
    promo = (text("promo_price"), text("promo_from"), text("promo_until"))
    promo_price = row.money("promo_price", promo[0])
    promo_from, promo_until = row.day("promo_from", promo[1]), row.day("promo_until", promo[2])
    if any(promo):
        _promotion(row, promo, promo_from, promo_until)
    unit_texts = (text("unit_price"), text("unit"))
    unit_price = row.money("unit_price", unit_texts[0])
    unit = row.words("unit", unit_texts[1], MAX_UNIT)
    if bool(unit_texts[0]) != bool(unit_texts[1]):
        row.bad("unit" if unit_texts[0] else "unit_price",
                "unit_price and unit go together: e.g. 1.29 and \"100 g\"")
    age_limit = _age(row, text("age_limit"))
    recall = row.words("recall", text("recall"), MAX_RECALL)
    name = row.words("name", text("name"), MAX_NAME)
    if row.problems or barcode is None:
        return row.problems
    return PriceEntry(barcode, price, promo_price, promo_from, promo_until, unit_price, unit,
                      age_limit, recall, name)


def _barcode(row: _Row, text: str, normalize: Normalize) -> str | None:
    if not text:
        row.bad("barcode", "barcode: empty")
        return None
    try:
        return normalize(text)
    except ValueError as exc:
        row.bad("barcode", f"barcode: {text[:40]!r}: {exc}")
        return None


_PROMO = ("promo_price", "promo_from", "promo_until")


def _promotion(row: _Row, texts: tuple[str, str, str], start: date | None,
               end: date | None) -> None:
    if all(texts):
        if start is not None and end is not None and end < start:
            row.bad("promo_until", f"promo_until: {end} is before promo_from {start}")
        return
    given = [n for n, t in zip(_PROMO, texts, strict=True) if t]
    missing = [n for n, t in zip(_PROMO, texts, strict=True) if not t]
    first = min(given, key=lambda n: row.cells[n][1])
    row.bad(first, f"a promotion needs promo_price, promo_from and promo_until: "
                   f"{', '.join(missing)} missing")


def _age(row: _Row, text: str) -> int | None:
    if not text:
        return None
    if not _AGE.fullmatch(text) or not 0 <= int(text) <= 99:
        row.bad("age_limit", f"age_limit: {text[:40]!r} is not a whole number from 0 to 99")
        return None
    return int(text) or None
