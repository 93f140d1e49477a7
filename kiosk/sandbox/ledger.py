"""Every request the sandbox answered, so tests can check what a client spent and why."""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["Ledger", "LedgerEntry"]


@dataclass(frozen=True)
class LedgerEntry:
    request_id: str
    method: str
    path: str
    query: str
    status: int
    credits: float
    client_ip: str
    barcode: str | None
    time: float
    error_code: str | None = None
    fault: str | None = None
    authorization: bool = False  # the request carried an Authorization header


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LedgerEntry] = []

    def record(self, entry: LedgerEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
