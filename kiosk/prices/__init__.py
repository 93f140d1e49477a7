"""The store's price file: price, promotion, unit price, age limit and recall per barcode.

- `_entry`: the values (`PriceEntry`, `Problem`, `Limits`) and the file's columns;
- `_cells`: one row's cells to an entry, or what is wrong with each (pure);
- `_read`: a file's bytes, CSV or JSON lines, to rows, bounded, every problem placed;
- `_book`: `PriceBook`, the prices in SQLite (prices.db), imported whole or not at all;
- `_sources`: a local path and an https:// URL, polled for a file not yet handled;
- `_refresh`: one polling round: import what is new, log what was refused.

It sits beside the API, the scanner and the store and imports none of them: the GS1
rule comes in as a `Normalize` callable, a URL's httpx client is handed in. The format
is docs/prices.md.
"""

from kiosk.prices._book import ImportOutcome, PriceBook, Summary
from kiosk.prices._entry import (
    COLUMNS,
    REQUIRED,
    Limits,
    Normalize,
    PriceEntry,
    Problem,
    limits_of,
)
from kiosk.prices._refresh import PriceRefresher
from kiosk.prices._sources import Candidate, FileSource, Source, UrlSource

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "Candidate",
    "FileSource",
    "ImportOutcome",
    "Limits",
    "Normalize",
    "PriceBook",
    "PriceEntry",
    "PriceRefresher",
    "Problem",
    "Source",
    "Summary",
    "UrlSource",
    "limits_of",
]
