"""The `Scan` record and the small contract every reader implements.

A reader (USB HID through evdev, a serial port, the kiosk window's keyboard, or a fake in
tests) turns whatever its device emits into `Scan` records and hands them to a callback.
Readers know nothing about GTINs: deciding whether a scan is a product code is the pure
job of `kiosk.scanner.gs1`, so every reader's output goes through the same validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "MAX_SCAN_CHARS",
    "OnScan",
    "OnStatus",
    "Reader",
    "Scan",
    "printable",
]

#: No product barcode comes close to this; anything longer is noise or a wrong reader
#: setting, and is cut there so a runaway device cannot grow a buffer without bound.
MAX_SCAN_CHARS = 64


@dataclass(frozen=True)
class Scan:
    """One read as the device delivered it, before any validation.

    `raw` is the text as read (it may hold control characters or non-ASCII; use
    `printable()` before logging it). `t_last` is `time.monotonic()` when the last key or
    byte of the scan arrived, so latency is measured from the moment the shopper's scan was
    complete, not from when a thread got round to it. `terminated` is False for a scan that
    ended by silence (the inter-key timeout) rather than by its terminator. `problem` is set
    by a reader that already knows the scan is unusable whatever its text (too long, bytes
    that are not printable ASCII): such a scan is invalid without looking at `raw`.
    """

    raw: str
    source: str
    t_last: float
    terminated: bool = True
    problem: str | None = None


OnScan = Callable[[Scan], None]
#: `on_status(source, connected, detail)`; called once per transition, from the reader's thread.
OnStatus = Callable[[str, bool, str], None]


class Reader(Protocol):
    """A barcode reader running in its own thread.

    `start()` returns at once; the reader then calls `on_scan` for every scan and
    `on_status` on every connected/disconnected transition, from its own thread. A reader
    never dies on bad input or a vanished device: it reports, waits and reopens.
    `stop()` returns within about `timeout` seconds; `stop(0)` only tells it to stop.
    """

    @property
    def source(self) -> str: ...

    def start(self) -> None: ...

    def stop(self, timeout: float = 2.0) -> None: ...


def printable(text: str) -> str:
    """`text` with everything outside printable ASCII escaped (`\\x1b`, `\\xe9`, `\\u20ac`).

    Journald and terminals must not receive raw control characters from a device, and an
    admin reading `RAW=` must see exactly which bytes came in.
    """
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if 0x20 <= code < 0x7F and ch != "\\":
            out.append(ch)
        elif ch == "\\":
            out.append("\\\\")
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)
