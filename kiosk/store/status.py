"""The running daemon's status file: what `kiosk status` cannot read from the store.

The daemon keeps a small `state_dir/status.json` current (written atomically, only when
something changed and at most every few seconds, so an SD card is not worn by it).
The daemon fills a `StatusSnapshot`; this module knows nothing of the daemon.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiosk.atomic import write_atomic
from kiosk.sanitize import escape_controls

__all__ = ["STATUS_FILE", "StatusFile", "StatusSnapshot"]

STATUS_FILE = "status.json"


@dataclass(frozen=True)
class StatusSnapshot:
    """What the daemon knows and the store does not (the figures `kiosk status` shows)."""

    online: bool | None
    credits_remaining: float | None
    token_expires_at: float | None
    scanners: dict[str, bool] = field(default_factory=dict)
    last_error: str | None = None
    mode: str = "shopper"
    credits_spent_today: float | None = None  # since UTC midnight, as the API counts it
    spend_mismatch: float | None = None  # the API's spent-today minus the kiosk's


class StatusFile:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STATUS_FILE
        self._last: str | None = None

    def write(self, snap: StatusSnapshot) -> bool:
        """Write if anything but the time changed; True when written."""
        body = {"pid": os.getpid(), "updated_at": 0.0, **asdict(snap)}
        if snap.last_error:
            body["last_error"] = escape_controls(snap.last_error, 400)
        key = json.dumps(body, sort_keys=True)
        if key == self._last:
            return False
        body["updated_at"] = time.time()
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
