"""Helpers for the resilience cases: restarting a daemon on the same state, reading the
ledger and the store afterwards, and the figures every case adds to the session summary.

The harness (`tests.support.harness`) runs one daemon per `Kiosk`; a crash test needs a
second one on the same directory, so `new_kiosk` clears the notify socket the first left.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.sandbox import Sandbox
from kiosk.store import CachedMiss, CacheHit, Store
from tests.barcodes import CEREAL, FISH, SNACK
from tests.support.harness import Event, Kiosk, PtyScanner

FINAL = ("shown", "cached", "not_found", "invalid", "duplicate", "error")


@dataclass
class Case:
    """One fault case's figures: scans sent, scans lost, barcodes charged twice."""

    name: str
    scans: int = 0
    lost: int = 0
    double_charges: int = 0
    crashes: int = 0
    peak_rss_mb: float | None = None  # VmHWM of the daemon, where a case measures it


@dataclass
class Figures:
    cases: list[Case] = field(default_factory=list)

    def case(self, name: str) -> Case:
        c = Case(name)
        self.cases.append(c)
        return c


FIGURES = Figures()


def new_kiosk(tmp: Path, sandbox: Sandbox, **kwargs: Any) -> Kiosk:
    """A `Kiosk` on `tmp`, even when an earlier one there left its notify socket behind."""
    with contextlib.suppress(FileNotFoundError):
        (tmp / "notify.sock").unlink()
    return Kiosk(tmp, sandbox, **kwargs)


def _release(k: Kiosk) -> None:
    k.notify.close()
    stderr = getattr(k, "_stderr", None)
    if stderr is not None:
        stderr.close()


def crash(k: Kiosk) -> None:
    """SIGKILL: no handler runs, nothing is flushed, like a pulled power cord."""
    if k.alive():
        k.signal(signal.SIGKILL)
        k.wait(10)
    _release(k)


def stop(k: Kiosk) -> int:
    """SIGTERM and the exit code; the notify socket is closed either way."""
    try:
        k.signal(signal.SIGTERM)
        return k.wait(15)
    except subprocess.TimeoutExpired:
        k.signal(signal.SIGKILL)
        k.wait(5)
        return -9
    finally:
        _release(k)


class Fleet:
    """Every daemon a test started, so a failing test leaves no process behind."""

    def __init__(self) -> None:
        self.kiosks: list[Kiosk] = []

    def start(self, tmp: Path, sandbox: Sandbox, **kwargs: Any) -> Kiosk:
        k = new_kiosk(tmp, sandbox, **kwargs)
        self.kiosks.append(k)
        return k.start()

    def start_scanning(
        self, tmp: Path, sandbox: Sandbox, **kwargs: Any
    ) -> tuple[Kiosk, PtyScanner]:
        """A daemon that is READY with its pty scanner connected."""
        k = self.start(tmp, sandbox, **kwargs)
        scanner = PtyScanner(k.scanner_link)
        k.wait_ready()
        k.wait_scanner()
        return k, scanner

    def close(self) -> None:
        for k in self.kiosks:
            crash(k)


def products(sandbox: Sandbox, n: int, exclude: Iterable[str] = ()) -> list[str]:
    """`n` catalog barcodes with a front image, none of the three the e2e tests use."""
    skip = {CEREAL, FISH, SNACK, *exclude}
    found = [b for b, p in sandbox.catalog.items()
             if p["image_meta"].get("front") and b not in skip][:n]
    assert len(found) == n, f"the sandbox catalog has only {len(found)} such products"
    return found


def charged_lookups(sandbox: Sandbox) -> list[str]:
    """Barcodes of the charged product lookups, in the order the API charged them (image
    downloads and redirects are not lookups)."""
    return [e.barcode for e in sandbox.ledger if e.method == "GET" and e.credits > 0
            and e.barcode and e.path.endswith(f"/products/{e.barcode}")]


def lookups(sandbox: Sandbox, barcode: str) -> int:
    """Charged product lookups of `barcode`."""
    return charged_lookups(sandbox).count(barcode)


def product_requests(sandbox: Sandbox) -> int:
    return sum(1 for e in sandbox.ledger if "/products/" in e.path)


def double_charges(sandbox: Sandbox, barcodes: Iterable[str]) -> int:
    """Charged lookups beyond the first, summed over `barcodes`."""
    return sum(max(0, lookups(sandbox, b) - 1) for b in barcodes)


@dataclass(frozen=True)
class Snapshot:
    queued: set[str]
    cached: set[str]  # a product or a remembered 404
    paid: set[str] = field(default_factory=set)  # answers paid for and recorded

    def lost(self, barcodes: Iterable[str]) -> list[str]:
        return [b for b in barcodes
                if b not in self.queued and b not in self.cached and b not in self.paid]


def snapshot(tmp: Path, barcodes: Iterable[str]) -> Snapshot:
    """What the store on disk holds for `barcodes`, read the way `kiosk status` does."""
    store = Store.open(tmp / "state", tmp / "cache", readonly=True)
    try:
        queued = {i.barcode for i in store.queue.items()}
        cached = {b for b in barcodes
                  if isinstance(store.cache.get(b), (CacheHit, CachedMiss))}
        paid = {b for b in barcodes if store.paid.get(b) is not None}
    finally:
        store.close()
    return Snapshot(queued, cached, paid)


def wait_for(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def scan_entries(k: Kiosk, barcode: str) -> list[Event]:
    return [e for e in k.scans() if e.get("BARCODE") == barcode]


def is_resolved(barcode: str) -> Callable[[Event], bool]:
    return lambda e: e.get("KIOSK_EVENT") == "resolved" and e.get("BARCODE") == barcode


def resolved(k: Kiosk, barcode: str) -> list[Event]:
    return [e for e in k.journal()
            if e.get("KIOSK_EVENT") == "resolved" and e.get("BARCODE") == barcode]


def settle(k: Kiosk, barcode: str, timeout: float = 20.0) -> str:
    """Wait for the scan of `barcode` to end: its outcome, or "resolved" when it was
    queued and the drainer has since looked it up."""
    entry = k.wait_event(lambda e: e.get("KIOSK_EVENT") == "scan"
                         and e.get("BARCODE") == barcode, timeout, f"scan {barcode}")
    if entry["OUTCOME"] != "queued":
        return str(entry["OUTCOME"])
    k.wait_event(lambda e: e.get("KIOSK_EVENT") == "resolved" and e.get("BARCODE") == barcode,
                 timeout, f"{barcode} resolved")
    return "resolved"


def paid_rows(state: Path, columns: str = "barcode, photo_done_at") -> list[tuple[object, ...]]:
    """Committed rows of the state database's paid answers (`kiosk.store.paid`), read
    through a connection of this process's own; [] before the table exists."""
    if not (state / "kiosk.db").exists():
        return []
    conn = sqlite3.connect(state / "kiosk.db", timeout=5)
    try:
        return conn.execute(f"SELECT {columns} FROM paid").fetchall()
    except sqlite3.OperationalError:  # the table is not made yet
        return []
    finally:
        conn.close()
