"""Serial (RS-232 / USB CDC-ACM) barcode readers: a pure framer and a thin pyserial adapter.

A serial reader sends each code as bytes followed by CR, LF or CRLF, or with no
terminator at all. `SerialFramer` cuts the byte stream into scans: at CR or LF (an empty
frame, such as the LF of a CRLF, is never a scan), or after an inter-byte silence, so a
frame without terminator cannot glue itself to the next. Bytes that are not printable
ASCII, and frames longer than `MAX_SCAN_CHARS`, become scans carrying a `problem`: they
are logged as invalid by the daemon and never looked up.

`SerialReader` owns the port: opens it (stable ``/dev/serial/by-id/…`` links welcome),
reads, and when the port vanishes (unplugged, or missing at start) retries about once a
second, reporting each transition once. A port that reappears under the same path is
picked up without a restart.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
import time
from collections.abc import Callable
from typing import Protocol

from kiosk.scanner._base import IDLE_WAIT_S, RETRY_S, ReaderThread, read_wait
from kiosk.scanner.scan import MAX_SCAN_CHARS, OnScan, OnStatus, Scan

logger = logging.getLogger(__name__)

__all__ = ["SerialFramer", "SerialPort", "SerialReader", "not_a_tty"]

_TERMINATORS = frozenset(b"\r\n")


class SerialPort(Protocol):
    """The part of `serial.Serial` the reader uses (a pyserial URL handler fits too)."""

    @property
    def in_waiting(self) -> int: ...

    timeout: float | None

    def read(self, size: int = 1) -> bytes: ...

    def close(self) -> None: ...


class SerialFramer:
    """Pure: bytes plus arrival times in, `Scan`s out."""

    def __init__(
        self,
        source: str,
        inter_byte_timeout_s: float = 0.050,
        strip_prefix: str = "",
        strip_suffix: str = "",
    ) -> None:
        self.source = source
        self._timeout = inter_byte_timeout_s
        self._prefix = strip_prefix
        self._suffix = strip_suffix
        self._buf = bytearray()
        self._overlong = False
        self._last = 0.0

    @property
    def pending(self) -> bool:
        return bool(self._buf)

    def feed(self, data: bytes, now: float) -> list[Scan]:
        """Take a chunk that arrived at monotonic time `now`."""
        out: list[Scan] = []
        if self._buf and now - self._last > self._timeout:
            out.extend(self._end(self._last, terminated=False))
        for byte in data:
            if byte in _TERMINATORS:
                out.extend(self._end(now, terminated=True))
            elif len(self._buf) >= MAX_SCAN_CHARS:
                self._overlong = True
            else:
                self._buf.append(byte)
        self._last = now
        return out

    def flush(self, now: float) -> list[Scan]:
        """End an unterminated frame once the line has been silent long enough."""
        if self._buf and now - self._last > self._timeout:
            return self._end(self._last, terminated=False)
        return []

    def discard(self) -> bool:
        """Forget a partial frame (its port vanished mid-frame); True if there was one."""
        had = bool(self._buf) or self._overlong
        self._buf.clear()
        self._overlong = False
        return had

    def _end(self, t_last: float, *, terminated: bool) -> list[Scan]:
        frame, overlong = bytes(self._buf), self._overlong
        self._buf.clear()
        self._overlong = False
        if not frame:
            return []
        text = frame.decode("latin-1")
        if self._prefix and text.startswith(self._prefix):
            text = text[len(self._prefix):]
        if self._suffix and text.endswith(self._suffix):
            text = text[: -len(self._suffix)]
        problem: str | None = None
        if overlong:
            problem = f"longer than {MAX_SCAN_CHARS} characters: not a barcode"
        elif any(not 0x20 <= b < 0x7F for b in frame):
            problem = "bytes that are not printable ASCII: not a barcode"
        return [Scan(text, self.source, t_last, terminated, problem)]


class SerialReader(ReaderThread):
    """Reads one serial port in its own thread; see the module docstring.

    `open_device` is the seam, shaped as the evdev reader's: it opens the port at a path
    (default: pyserial with `exclusive=True`, so a second kiosk instance cannot steal
    half the bytes). Tests pass one returning a ``loop://`` port.
    """

    def __init__(
        self,
        port: str,
        on_scan: OnScan,
        on_status: OnStatus,
        *,
        baudrate: int = 9600,
        inter_key_timeout_ms: int = 50,
        strip_prefix: str = "",
        strip_suffix: str = "",
        open_device: Callable[[str], SerialPort] | None = None,
        retry_s: float = RETRY_S,
    ) -> None:
        super().__init__(f"serial:{port}", on_scan, on_status, retry_s)
        self._path = port
        self._baudrate = baudrate
        self._timeout_s = inter_key_timeout_ms / 1000
        self._framer = SerialFramer(self._source, self._timeout_s, strip_prefix, strip_suffix)
        self._open_device = open_device or functools.partial(_open_pyserial,
                                                             baudrate=baudrate)
        self._port: SerialPort | None = None

    @property
    def _is_open(self) -> bool:
        return self._port is not None

    def _lost_on(self) -> tuple[type[Exception], ...]:
        import serial  # imported here: nothing touches a device at import time

        return (serial.SerialException, OSError, ValueError)

    def _open(self) -> tuple[bool, str]:
        if (why := not_a_tty(self._path)) is not None:
            return False, why
        try:
            self._port = self._open_device(self._path)
        except self._lost_on() as exc:
            return False, f"cannot open {self._path}: {exc}"
        return True, f"{self._path} at {self._baudrate} baud"

    def _lost(self, exc: Exception) -> str:
        if self._framer.discard():
            logger.warning("partial scan from %s discarded: port lost mid-frame", self._source)
        return f"{self._path} lost: {exc}"

    def _read_once(self) -> None:
        port = self._port
        assert port is not None
        wait = read_wait(self._timeout_s, self._framer.pending)
        if port.timeout != wait:
            port.timeout = wait
        data = port.read(max(1, port.in_waiting))
        now = time.monotonic()
        scans = self._framer.feed(data, now) if data else self._framer.flush(now)
        for scan in scans:
            self._emit(scan)

    def _close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (OSError, ValueError) as exc:
                logger.debug("closing %s: %s", self._path, exc)


def not_a_tty(path: str) -> str | None:
    """Why an explicit serial `scanner.device` is refused: a file, a directory or an
    input event node (a HID reader named with kind = "serial") is no serial port. A
    path that is not there yet (unplugged) or a pyserial URL (``loop://``) passes: the
    open says what is wrong with those."""
    if "://" in path:
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    event_node = os.path.realpath(path).startswith("/dev/input/")
    if stat.S_ISCHR(mode) and not event_node:
        return None
    hint = ' (an input event node: a HID reader wants scanner.kind = "hid")' if event_node else ""
    return (f"{path} is not a serial port (a tty){hint}; `kiosk scanners` lists the "
            "serial ports")


def _open_pyserial(path: str, *, baudrate: int) -> SerialPort:
    import serial

    port: SerialPort = serial.serial_for_url(path, baudrate=baudrate, timeout=IDLE_WAIT_S,
                                             exclusive=True)
    return port
