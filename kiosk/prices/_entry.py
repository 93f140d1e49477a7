"""The values of the price file: one entry, one problem, the bounds of a file.

Money is `decimal.Decimal` from the file's own digits, never a float: "1.10" must stay
1.10 on the card and in the database (stored as that text). A barcode is the catalog's
GTIN string, leading zeros kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kiosk.config import PricesConfig

__all__ = ["COLUMNS", "REQUIRED", "Limits", "Normalize", "PriceEntry", "Problem", "limits_of"]

COLUMNS = ("barcode", "price", "promo_price", "promo_from", "promo_until", "unit_price",
           "unit", "age_limit", "recall", "name")
"""Every column the file may have, in the order `kiosk check-prices` documents them."""
REQUIRED = ("barcode", "price")
"""Columns a CSV header must name (a JSON line must carry a barcode; the rest may be absent)."""

Normalize = Callable[[str], str]
"""Barcode text to the catalog's GTIN, raising ValueError with a human reason when it is
none. The daemon and the cli pass the scanner's GS1 rule (`kiosk.scanner.normalize`), so
a price file's barcode and a scan of it meet at the same key; this package sits beside
the scanner and does not import it."""


@dataclass(frozen=True, slots=True)
class PriceEntry:
    """What the store's price file says about one product."""

    barcode: str
    price: Decimal | None = None
    promo_price: Decimal | None = None
    promo_from: date | None = None
    promo_until: date | None = None  # inclusive: the promotion's last day
    unit_price: Decimal | None = None
    unit: str | None = None  # what unit_price is per: "100 g", "kg", "l"
    age_limit: int | None = None  # None (or never 0): no limit
    recall: str | None = None  # the notice; set means: do not sell
    name: str | None = None  # for a product the API does not know

    def promo_on(self, day: date) -> Decimal | None:
        """The promotion's price on `day`, or None when none runs that day."""
        if self.promo_price is None or self.promo_from is None or self.promo_until is None:
            return None
        return self.promo_price if self.promo_from <= day <= self.promo_until else None


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a price file, where an admin finds it.

    `line` and `column` count from 1; 0 for a problem of the whole file (too large, not
    readable). A CSV's column is the field's number (1: the first column), a JSON line's
    the character where the key (or the syntax error) is."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class Limits:
    """How much of a file is read at all: memory and time stay bounded whatever arrives."""

    max_bytes: int = 50 * 2**20
    max_rows: int = 500_000
    max_problems: int = 100
    max_line_bytes: int = 64 * 2**10


def limits_of(cfg: PricesConfig) -> Limits:
    """The bounds `[prices]` sets (`max_mb`, `max_rows`)."""
    return Limits(max_bytes=int(cfg.max_mb * 2**20), max_rows=cfg.max_rows)
