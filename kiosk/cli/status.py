"""`kiosk status`: what a running kiosk is doing, readable by an admin over SSH.

What only the daemon knows comes from its status file (`kiosk.store.status`: under
systemd in /run/kiosk, else in the state directory; `StatusFile.find` looks in both and
takes the one that names this configuration's state directory); the queue
and cache figures are read straight from the store, read-only, so they are exact even
while the daemon writes. Imports neither httpx nor pygame (a test checks).
"""

from __future__ import annotations

import os
import time
from typing import Any

from kiosk.config import Config
from kiosk.errors import StoreError
from kiosk.sanitize import escape_controls
from kiosk.store.status import StatusFile

__all__ = ["collect", "render_text"]

KEYS = ("online", "queue_depth", "oldest_queued_age_s", "cache_products", "cache_bytes",
        "credits_remaining", "token_expires_at", "scanner", "last_error")


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect(cfg: Config) -> dict[str, Any]:
    """Every figure `kiosk status` shows, as one JSON-ready object."""
    from kiosk.store import Store

    out: dict[str, Any] = dict.fromkeys(KEYS)
    daemon = StatusFile.find(cfg.storage.state_dir)
    running = daemon is not None and _alive(daemon.get("pid"))
    out["daemon"] = "running" if running else "not running"
    _state_durability(cfg, out)
    if daemon is not None and running:
        out["pid"] = daemon.get("pid")
        out["online"] = daemon.get("online")
        out["credits_remaining"] = daemon.get("credits_remaining")
        out["credits_spent_today"] = daemon.get("credits_spent_today")
        out["spend_mismatch"] = daemon.get("spend_mismatch")
        skew = daemon.get("clock_skew")
        # Seconds, as the API's Date has them: positive, the kiosk's clock is ahead.
        out["clock_skew_s"] = round(skew) if isinstance(skew, int | float) else None
        out["token_expires_at"] = _iso(daemon.get("token_expires_at"))
        scanners = daemon.get("scanners") or {}
        out["scanner"] = ({s: ("connected" if ok else "disconnected") for s, ok in scanners.items()}
                          if scanners else "none")
        out["last_error"] = daemon.get("last_error")
        out["status_updated_at"] = _iso(daemon.get("updated_at"))
    try:
        store = Store.from_config(cfg.storage, readonly=True)
    except StoreError as exc:
        out["last_error"] = out["last_error"] or f"store: {exc}"
        return out
    try:
        stats = store.stats()
        store_aside = store.queue.set_aside_items() if stats.queue.set_aside else []
    except StoreError as exc:
        out["last_error"] = out["last_error"] or f"store: {exc}"
        return out
    finally:
        store.close()
    out["queue_depth"] = stats.queue.depth
    age = stats.queue.oldest_age_s
    out["oldest_queued_age_s"] = round(age, 1) if age is not None else None
    out["queue_last_failure"] = stats.queue.last_error
    out["queue_set_aside"] = {i.barcode: i.last_error or "-" for i in store_aside} or None
    out["cache_products"] = stats.cache.products
    out["cache_bytes"] = stats.cache.bytes
    return out


def _state_durability(cfg: Config, out: dict[str, Any]) -> None:
    """Whether a power cut keeps the queue: "no" names the directories held in RAM."""
    from kiosk.store.durable import volatile_dirs

    volatile = volatile_dirs([cfg.storage.state_dir, cfg.storage.cache_dir])
    out["state_durable"] = not volatile
    if volatile:
        out["state_in_ram"] = {str(p.directory): p.why for p in volatile}
        out["state_fix"] = "sudo ./scripts/install-pi --state-dir PATH (see docs/pi.md)"


def _iso(value: object) -> str | None:
    if not isinstance(value, int | float):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(value))


def render_text(status: dict[str, Any]) -> str:
    """One line a figure; anything read from the status file or the store is escaped, so
    a control character from the API cannot reach the admin's terminal."""
    width = max(len(k) for k in status)
    lines = []
    for key, value in status.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif value is None:
            value = "-"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        lines.append(f"{key.ljust(width)}  {escape_controls(str(value))}")
    return "\n".join(lines)
