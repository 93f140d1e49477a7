"""`kiosk check-config`: validate a configuration file before installing it.

Imports the configuration schema and nothing else of the kiosk: no httpx, no pygame
(a test checks), so it answers at once, also on a machine where the daemon cannot run.
Only `--key` loads the API package, whose code finds the key.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk import config
from kiosk.errors import ConfigError
from kiosk.exitcodes import EX_CONFIG, EX_OK

__all__ = ["check_config", "load_or_report"]


def load_or_report(path: Path) -> config.Config | None:
    """The configuration, or None after printing every problem (the caller exits 78)."""
    try:
        return config.load(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{path}: {len(exc.problems)} problem(s); not valid", file=sys.stderr)
        return None


def check_config(path: Path, *, key: bool) -> int:
    cfg = load_or_report(path)
    if cfg is None:
        return EX_CONFIG
    warnings = []
    try:
        config.resolve_client_id(cfg)
    except ConfigError as exc:
        warnings.extend(exc.problems)
    if key:
        # The key is the API client's, read by its code: loading it (and httpx) is the
        # price of checking exactly what the daemon will do.
        from kiosk.api import resolve_api_key

        try:
            resolve_api_key(cfg)
        except ConfigError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            return EX_CONFIG
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{path}: OK")
    return EX_OK
