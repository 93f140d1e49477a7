"""`kiosk check-prices FILE`: check a price file exactly as the kiosk would import it.

The same reading, the same rules and the same import into SQLite as the daemon's, into
a database in memory: what it accepts the kiosk accepts. Loads neither httpx nor pygame
(a test checks), so it runs on an admin's laptop as well as on the kiosk.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk import config
from kiosk.errors import ConfigError, StoreError
from kiosk.exitcodes import EX_CONFIG, EX_DATAERR, EX_FAILURE, EX_OK
from kiosk.prices import PriceBook, limits_of
from kiosk.scanner import gs1_gtin

__all__ = ["check_prices"]


def check_prices(path: Path, config_path: Path | None) -> int:
    """Print each problem as FILE:LINE:COLUMN: message and a summary; 0 good, 65 refused,
    1 not readable.

    The bounds are the configuration's `[prices]` when `config_path` is given, else
    their defaults."""
    prices_cfg = config.PricesConfig()
    if config_path is not None:
        try:
            prices_cfg = config.load(config_path).prices
        except ConfigError as exc:
            for line in exc.problems:
                print(f"error: {line}", file=sys.stderr)
            return EX_CONFIG
    try:
        with PriceBook(None) as book:
            outcome = book.import_file(path, gs1_gtin, limits_of(prices_cfg))
    except OSError as exc:
        print(f"{path}: cannot be read: {exc.strerror}", file=sys.stderr)
        return EX_FAILURE
    except StoreError as exc:
        print(f"{path}: cannot be checked: {exc}", file=sys.stderr)
        return EX_FAILURE
    for problem in outcome.problems:
        print(problem, file=sys.stderr)
    if not outcome.accepted:
        print(f"{path}: {len(outcome.problems)} problem(s); the kiosk would refuse it and "
              "keep its old prices", file=sys.stderr)
        return EX_DATAERR
    s = outcome.summary
    print(f"{path}: OK: {s.entries} entries, {s.promotions} promotions, {s.recalls} recalls, "
          f"{s.age_limits} age limits")
    return EX_OK
