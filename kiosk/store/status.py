"""The running daemon's status file: what `kiosk status` cannot read from the store.

The daemon keeps a small `status.json` current: only when something changed, at most
every few seconds. Under systemd it lives in the service's runtime directory
(`$RUNTIME_DIRECTORY`, /run/kiosk: tmpfs, gone when the service stops), so it never
waits for an SD card; anywhere else (a developer's `kiosk run`, the tests) in the state
directory. It is replaced atomically (temporary file, rename) but never fsynced: it
describes a running process, and after a power cut there is none to describe.

`kiosk status` looks in both places (`StatusFile.find`) and takes the file that names its
configuration's state directory, so two kiosks on one machine never read each other's.
The daemon fills a `StatusSnapshot`; this module knows nothing of the daemon.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiosk.atomic import remove_file
from kiosk.sanitize import escape_controls

__all__ = ["RUNTIME_DIR", "STATUS_FILE", "StatusFile", "StatusSnapshot", "runtime_dir"]

STATUS_FILE = "status.json"
RUNTIME_DIR = Path("/run/kiosk")  # the unit's RuntimeDirectory=kiosk


def runtime_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The service's runtime directory when systemd gave it one (else None)."""
    env = os.environ if environ is None else environ
    first = env.get("RUNTIME_DIRECTORY", "").split(":")[0]
    return Path(first) if first else None


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
    clock_skew: float | None = None  # the kiosk's clock minus the API's Date, last answer


class StatusFile:
    def __init__(self, directory: Path, state_dir: Path | None = None) -> None:
        """The file in `directory`, describing the kiosk of `state_dir` (default: the
        same directory)."""
        self.path = directory / STATUS_FILE
        self.state_dir = os.path.abspath(state_dir or directory)
        self._last: str | None = None

    @classmethod
    def for_daemon(cls, state_dir: Path, environ: Mapping[str, str] | None = None
                   ) -> StatusFile:
        """Where `kiosk run` keeps it: the runtime directory under systemd, else
        `state_dir`."""
        return cls(runtime_dir(environ) or state_dir, state_dir)

    @classmethod
    def find(cls, state_dir: Path, environ: Mapping[str, str] | None = None
             ) -> dict[str, Any] | None:
        """What the daemon of `state_dir` last wrote, from wherever it writes it: the
        runtime directory ($RUNTIME_DIRECTORY, else /run/kiosk) if the file there names
        this state directory, else the state directory."""
        mine = os.path.abspath(state_dir)
        runtime = cls(runtime_dir(environ) or RUNTIME_DIR, state_dir).read()
        if runtime is not None and runtime.get("state_dir") == mine:
            return runtime
        return cls(state_dir).read()

    def write(self, snap: StatusSnapshot) -> bool:
        """Write if anything but the time changed; True when written.

        Atomic (a reader sees the old file or the new one) but not durable: no fsync,
        see the module docstring. Raises OSError."""
        body = {"pid": os.getpid(), "updated_at": 0.0, "state_dir": self.state_dir,
                **asdict(snap)}
        if snap.last_error:
            body["last_error"] = escape_controls(snap.last_error, 400)
        key = json.dumps(body, sort_keys=True)
        if key == self._last:
            return False
        body["updated_at"] = time.time()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{STATUS_FILE}.{secrets.token_hex(4)}.tmp")
        try:
            tmp.write_bytes(json.dumps(body).encode())
            tmp.chmod(0o644)  # `kiosk status` may run as another user than the service
            os.replace(tmp, self.path)
        except BaseException:
            remove_file(tmp, "temporary status file")
            raise
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
