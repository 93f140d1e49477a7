"""USB HID barcode readers through evdev: a thin adapter around `HidDecoder`.

This module only opens, grabs, reads and reopens; everything about turning key events
into text is in the pure `kiosk.scanner.hid`. The device is *grabbed* (EVIOCGRAB) so
scans never reach a console or another program as typed text. One thread per device:
the simplest arrangement in which one reader's failure or unplug cannot stall another,
and each has its own decoder state.

Unplug (ENODEV or any OSError on read) is reported once; the configured path is polled
about once a second (``/dev/input/by-id/…`` symlinks are stable across replug and
reboot, ``eventN`` numbers are not), and for ``device = "auto"`` the device list is
scanned again for a keyboard-like device whose name matches `name_pattern`.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import re
import select
import struct
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from evdev import InputEvent
from evdev import ecodes as e

from kiosk.scanner._base import RETRY_S, ReaderThread, read_wait
from kiosk.scanner.hid import Dropped, HidDecoder
from kiosk.scanner.scan import OnScan, OnStatus, printable

logger = logging.getLogger(__name__)

__all__ = ["EvdevReader", "InputDeviceLike", "is_keyboard_like", "is_scanner_like",
           "not_keyboard_like"]

_EVIOCSCLOCKID = 0x400445A0  # _IOW('E', 0xa0, int)
_DIGITS = (e.KEY_0, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4, e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8,
           e.KEY_9)
_KP_DIGITS = (e.KEY_KP0, e.KEY_KP1, e.KEY_KP2, e.KEY_KP3, e.KEY_KP4, e.KEY_KP5, e.KEY_KP6,
              e.KEY_KP7, e.KEY_KP8, e.KEY_KP9)


class InputDeviceLike(Protocol):
    """The part of `evdev.InputDevice` the reader uses; a test fake implements it."""

    @property
    def path(self) -> str | bytes: ...

    @property
    def name(self) -> str: ...

    def fileno(self) -> int: ...

    def read(self) -> Iterable[InputEvent]: ...

    def grab(self) -> None: ...

    def close(self) -> None: ...

    def active_keys(self) -> list[int]: ...

    def capabilities(self) -> dict[int, list[int]]: ...


def is_keyboard_like(capabilities: dict[int, list[int]]) -> bool:
    """Enter and a full set of digits (top row or keypad): what a HID reader types with."""
    keys = set(capabilities.get(e.EV_KEY, []))
    return e.KEY_ENTER in keys and (keys.issuperset(_DIGITS) or keys.issuperset(_KP_DIGITS))


def is_scanner_like(dev: InputDeviceLike, name_pattern: str) -> bool:
    """Keyboard-like and named like a barcode reader: what ``device = "auto"`` takes."""
    if not re.search(name_pattern, dev.name or ""):
        return False
    return is_keyboard_like(dev.capabilities())


def not_keyboard_like(path: str, name: str) -> str:
    """Why an explicit `scanner.device` is refused: it cannot type a barcode."""
    return (f"{path} ({name}) is not a keyboard-like input device (no Enter and digit "
            "keys), so no barcode reader; name the reader's event node (`kiosk scanners` "
            "lists them), or set scanner.kind = \"serial\" for a serial one")


def _open_evdev(path: str) -> InputDeviceLike:
    from evdev import InputDevice

    dev: InputDeviceLike = InputDevice(path)
    return dev


def _list_evdev() -> list[str]:
    from evdev import list_devices

    return list(list_devices())


class EvdevReader(ReaderThread):
    """Reads one HID reader (a path, or "auto") in its own thread.

    `open_device` and `list_devices` are seams for tests; the defaults are evdev's.
    """

    def __init__(
        self,
        device: str,
        on_scan: OnScan,
        on_status: OnStatus,
        *,
        layout: str = "us",
        name_pattern: str = "",
        inter_key_timeout_ms: int = 50,
        source: str | None = None,
        open_device: Callable[[str], InputDeviceLike] = _open_evdev,
        list_devices: Callable[[], list[str]] = _list_evdev,
        retry_s: float = RETRY_S,
    ) -> None:
        super().__init__(source or device, on_scan, on_status, retry_s)
        self._device = device
        self._layout = layout
        self._name_pattern = name_pattern
        self._timeout_s = inter_key_timeout_ms / 1000
        self._open_device = open_device
        self._list_devices = list_devices
        self._dev: InputDeviceLike | None = None
        # Built here too so that a bad layout fails in the caller, not in the thread.
        self._decoder = HidDecoder(self._source, layout, self._timeout_s)

    @property
    def _is_open(self) -> bool:
        return self._dev is not None

    def _open(self) -> tuple[bool, str]:
        detail = self._try_open()
        return self._dev is not None, detail

    def _lost(self, exc: Exception) -> str:
        if isinstance(exc, OSError) and exc.errno == errno.ENODEV:
            return "unplugged"
        return f"read failed: {exc}"

    def _read_once(self) -> None:
        dev = self._dev
        assert dev is not None
        wait = read_wait(self._timeout_s, self._decoder.pending)
        ready, _, _ = select.select([dev], [], [], wait)
        if not ready:
            for scan in self._decoder.flush(time.monotonic()):
                self._emit(scan)
            return
        try:
            events = list(dev.read())
        except BlockingIOError:
            return
        now = time.monotonic()
        for event in events:
            for out in self._decoder.feed(event, now):
                if isinstance(out, Dropped):
                    logger.warning(
                        "scanner %s: kernel dropped input events (SYN_DROPPED); partial "
                        "scan %r discarded", self._source, printable(out.discarded),
                    )
                    self._decoder.sync_keys(dev.active_keys())
                else:
                    self._emit(out)

    def _try_open(self) -> str:
        """Open and grab the device; sets `self._dev` and returns a detail line either way."""
        candidates = self._list_devices() if self._device == "auto" else [self._device]
        reasons: list[str] = []
        for path in candidates:
            try:
                dev = self._open_device(path)
            except FileNotFoundError:
                reasons.append(f"{path}: not present")
                continue
            except PermissionError:
                reasons.append(f"{path}: permission denied (is the user in group 'input'?)")
                continue
            except OSError as exc:
                reasons.append(f"{path}: cannot open: {exc.strerror or exc}")
                continue
            if self._device == "auto" and not is_scanner_like(dev, self._name_pattern):
                dev.close()
                continue
            if self._device != "auto" and not is_keyboard_like(dev.capabilities()):
                reasons.append(not_keyboard_like(path, dev.name))
                dev.close()
                continue
            try:
                dev.grab()
            except OSError as exc:
                dev.close()
                why = "grabbed by another program" if exc.errno == errno.EBUSY else str(exc)
                reasons.append(f"{path}: {why}")
                continue
            self._use_monotonic_timestamps(dev)
            self._dev = dev
            self._decoder = HidDecoder(self._source, self._layout, self._timeout_s)
            return f"{dev.path!s} ({dev.name}), layout {self._layout}"
        if self._device == "auto" and not reasons:
            return f"no input device named like {self._name_pattern!r}"
        more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
        return "; ".join(reasons[:3]) + more or f"{self._device}: not present"

    @staticmethod
    def _use_monotonic_timestamps(dev: InputDeviceLike) -> None:
        # Event timestamps measure the gaps between keys; on the default realtime clock
        # an NTP step in the middle of a scan would split or glue it.
        try:
            fcntl.ioctl(dev.fileno(), _EVIOCSCLOCKID, struct.pack("i", time.CLOCK_MONOTONIC))
        except OSError as exc:
            logger.debug("%s: cannot switch event clock to monotonic: %s", dev.path, exc)

    def _close(self) -> None:
        dev, self._dev = self._dev, None
        if dev is None:
            return
        if self._decoder.pending:
            logger.warning("scanner %s: partial scan discarded: device lost", self._source)
        try:
            dev.close()
        except OSError as exc:
            logger.debug("closing %s: %s", self._device, exc)
