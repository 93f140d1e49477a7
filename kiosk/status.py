"""`kiosk status`: what a running kiosk is doing, readable by an admin over SSH.

The daemon keeps a small `state_dir/status.json` current (written atomically, only when
something changed and at most every few seconds, so an SD card is not worn by it); the
queue and cache figures are read straight from the store, read-only, so they are
exact even while the daemon writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk.atomic import write_atomic
from kiosk.config import Config
from kiosk.errors import StoreError
from kiosk.present import Health
from kiosk.sanitize import escape_controls

__all__ = ["StatusFile", "collect", "render_text"]

STATUS_FILE = "status.json"
KEYS = ("online", "queue_depth", "oldest_queued_age_s", "cache_products", "cache_bytes",
        "credits_remaining", "token_expires_at", "scanner", "last_error")


@dataclass(frozen=True)
class _Snapshot:
    pid: int
    updated_at: float
    online: bool | None
    credits_remaining: float | None
    token_expires_at: float | None
    scanners: dict[str, bool]
    last_error: str | None
    mode: str


class StatusFile:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STATUS_FILE
        self._last: str | None = None

    def write(self, health: Health, mode: str) -> bool:
        """Write if anything but the time changed; True when written."""
        last_error = escape_controls(health.last_error, 400) if health.last_error else None
        snap = _Snapshot(os.getpid(), 0.0, health.online, health.credits_remaining,
                         health.token_expires_at, dict(health.scanners), last_error, mode)
        key = json.dumps(asdict(snap), sort_keys=True)
        if key == self._last:
            return False
        body = asdict(snap) | {"updated_at": time.time()}
        write_atomic(self.path, json.dumps(body).encode(), mode=0o644)
        self._last = key
        return True

    def read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


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
    daemon = StatusFile(cfg.storage.state_dir).read()
    running = daemon is not None and _alive(daemon.get("pid"))
    out["daemon"] = "running" if running else "not running"
    if daemon is not None and running:
        out["pid"] = daemon.get("pid")
        out["online"] = daemon.get("online")
        out["credits_remaining"] = daemon.get("credits_remaining")
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
