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

__all__ = ["check_config", "load_or_report", "machine_warnings"]


def machine_warnings(cfg: config.Config) -> list[str]:
    """What this machine does to the configuration: a password others can read, state
    that a power cut would lose (the daemon says the same at start)."""
    from kiosk.config.exposure import exposed_secret
    from kiosk.store.durable import volatile_dirs, volatile_warning

    found = []
    if (secret := exposed_secret(cfg)) is not None:
        found.append(secret)
    if volatile := volatile_dirs([cfg.storage.state_dir, cfg.storage.cache_dir]):
        found.append(volatile_warning(volatile))
    return found


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
    warnings.extend(machine_warnings(cfg))
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
