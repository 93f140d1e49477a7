"""Price files written by hand for the tests, and one import of them."""

from __future__ import annotations

from pathlib import Path

from kiosk.prices import Limits, PriceBook
from kiosk.scanner import gs1_gtin
from kiosk.scanner.gs1 import check_digit

HEADER = "barcode,price,promo_price,promo_from,promo_until,unit_price,unit,age_limit,recall,name"
GOOD = f"""{HEADER}
012345678905,1.29,0.99,2026-12-01,2026-12-31,1.29,100 g,,,Fish sticks
4006381333931,2.50,,,,,,18,,
96385074,1,,,,,,,Recalled: listeria,
"""
"""Three valid rows: a promotion with a unit price, an age limit, a recall."""
GOOD_BARCODES = ("012345678905", "4006381333931", "96385074")


def write(tmp_path: Path, text: str | bytes, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def load(book: PriceBook, path: Path, limits: Limits | None = None) -> list[str]:
    """Import `path`; its problems as text (empty: accepted)."""
    outcome = book.import_file(path, gs1_gtin, limits or Limits())
    return [str(p) for p in outcome.problems]


def gtin(body: str) -> str:
    """`body` with its GS1 check digit: a barcode every file takes."""
    return body + check_digit(body)
