"""The evdev adapter: open, grab, read, reconnect. No /dev/uinput here, so a fake device
(a real pipe for select(), events handed over by the test) stands in through the
`open_device` / `list_devices` seams; the real evdev opener is used for a missing path."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import evdev
import pytest
from evdev import InputEvent
from evdev import ecodes as e

from kiosk.scanner.evdev_reader import EvdevReader, is_scanner_like
from tests.scanner.scanner_keys import ev, type_string
from tests.scanner.scanner_util import Collector

KEYBOARD_KEYS = [e.KEY_ENTER, *range(e.KEY_1, e.KEY_0 + 1), e.KEY_A, e.KEY_LEFTSHIFT]


class FakeBus:
    """Which devices are plugged in, and which are grabbed (by path)."""

    def __init__(self) -> None:
        self.devices: dict[str, FakeDevice] = {}
        self.grabbed: set[str] = set()
        self.opens = 0
        self.lock = threading.Lock()
        self.opened = threading.Condition(self.lock)

    def plug(self, path: str, name: str = "Honeywell Barcode Scanner",
             keys: Iterable[int] = KEYBOARD_KEYS) -> FakeDevice:
        dev = FakeDevice(self, path, name, list(keys))
        with self.lock:
            self.devices[path] = dev
        return dev

    def unplug(self, path: str) -> None:
        with self.lock:
            dev = self.devices.pop(path)
            self.grabbed.discard(path)
        dev.gone = True
        dev.wake()

    def open(self, path: str) -> FakeHandle:
        with self.lock:
            self.opens += 1
            self.opened.notify_all()
            if path not in self.devices:
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
            return FakeHandle(self.devices[path])

    def list(self) -> list[str]:
        with self.lock:
            return sorted(self.devices)

    def wait_opens(self, n: int) -> None:
        with self.opened:
            assert self.opened.wait_for(lambda: self.opens >= n, 10), self.opens


class FakeDevice:
    def __init__(self, bus: FakeBus, path: str, name: str, keys: list[int]) -> None:
        self.bus, self.path, self.name, self._keys = bus, path, name, keys
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._queue: list[InputEvent] = []
        self._lock = threading.Lock()
        self.gone = False
        self.closed = False
        self.held: list[int] = []

    def fileno(self) -> int:
        return self._r

    def push(self, events: list[InputEvent]) -> None:
        with self._lock:
            self._queue.extend(events)
        self.wake()

    def wake(self) -> None:
        os.write(self._w, b"x")

    def read(self) -> Iterator[InputEvent]:
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        with contextlib.suppress(BlockingIOError):
            os.read(self._r, 4096)
        with self._lock:
            events, self._queue = self._queue, []
        if not events:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return iter(events)

    def active_keys(self) -> list[int]:
        return list(self.held)

    def capabilities(self) -> dict[int, list[int]]:
        return {e.EV_KEY: list(self._keys)}


class FakeHandle:
    """One open file of a device: closing it releases only its own grab, as in evdev."""

    def __init__(self, dev: FakeDevice) -> None:
        self.dev, self.path, self.name = dev, dev.path, dev.name
        self.grabbed = False
        self.fileno, self.read = dev.fileno, dev.read
        self.active_keys, self.capabilities = dev.active_keys, dev.capabilities

    def grab(self) -> None:
        with self.dev.bus.lock:
            if self.path in self.dev.bus.grabbed:
                raise OSError(errno.EBUSY, "Device or resource busy")
            self.dev.bus.grabbed.add(self.path)
            self.grabbed = True

    def close(self) -> None:
        self.dev.closed = True
        with self.dev.bus.lock:
            if self.grabbed:
                self.dev.bus.grabbed.discard(self.path)


def make_reader(bus: FakeBus, col: Collector, device: str, **kw: Any) -> EvdevReader:
    kw.setdefault("name_pattern", "(?i)barcode|scanner")
    return EvdevReader(device, col.on_scan, col.on_status, open_device=bus.open,
                       list_devices=bus.list, retry_s=0.02, **kw)


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


def test_missing_device_keeps_running_and_reports_once(tmp_path: Any) -> None:
    path = str(tmp_path / "usb-Nope-event-kbd")
    attempts: list[str] = []

    def counting_open(p: str) -> Any:
        attempts.append(p)
        return evdev.InputDevice(p)

    col = Collector()
    reader = EvdevReader(path, col.on_scan, col.on_status, open_device=counting_open,
                         retry_s=0.02)
    reader.start()
    try:
        col.poll(lambda: len(attempts) >= 5)
        assert reader.is_alive()
        assert col.statuses == [(path, False, f"{path}: not present")]
    finally:
        reader.stop(timeout=5)
    assert not reader.is_alive()


def test_reads_grabs_and_reconnects_after_unplug(bus: FakeBus) -> None:
    path = "/dev/input/by-id/usb-Honeywell_Scanner-event-kbd"
    dev = bus.plug(path)
    col = Collector()
    reader = make_reader(bus, col, path)
    reader.start()
    try:
        col.wait(lambda: col.connected_states() == [True])
        assert path in bus.grabbed
        dev.push(type_string("0017000161563\n")[0])
        assert [s.raw for s in col.wait_scans(1)] == ["0017000161563"]
        assert col.scans[0].source == path
        dev.push(type_string("123")[0])  # partial scan, then the cable is pulled
        bus.unplug(path)
        col.wait(lambda: col.connected_states() == [True, False])
        assert "unplugged" in col.statuses[1][2]
        bus.wait_opens(bus.opens + 5)
        assert col.connected_states() == [True, False]
        dev2 = bus.plug(path)
        col.wait(lambda: col.connected_states() == [True, False, True])
        dev2.push(type_string("96385074\n", t0=2000.0)[0])
        scans = col.wait_scans(2)
        assert [s.raw for s in scans] == ["0017000161563", "96385074"]
    finally:
        reader.stop(timeout=5)
    assert not reader.is_alive()
    assert dev2.closed


def test_unterminated_scan_is_flushed_after_silence(bus: FakeBus) -> None:
    dev = bus.plug("/dev/input/event3")
    col = Collector()
    reader = make_reader(bus, col, "/dev/input/event3", inter_key_timeout_ms=20)
    reader.start()
    try:
        col.wait(lambda: col.connected_states() == [True])
        dev.push(type_string("96385074")[0])
        (scan,) = col.wait_scans(1)
        assert (scan.raw, scan.terminated) == ("96385074", False)
    finally:
        reader.stop(timeout=5)


def test_auto_picks_the_first_keyboard_like_device_named_like_a_scanner(bus: FakeBus) -> None:
    bus.plug("/dev/input/event0", name="Logitech USB Optical Mouse", keys=[e.BTN_LEFT])
    bus.plug("/dev/input/event1", name="Barcode Reader Mouse Part", keys=[e.BTN_LEFT])
    bus.plug("/dev/input/event2", name="AT Translated Set 2 keyboard")
    scanner = bus.plug("/dev/input/event3", name="Symbol Bar Code Scanner")
    second = bus.plug("/dev/input/event4", name="Netum Barcode Scanner")
    col = Collector()
    readers = [make_reader(bus, col, "auto", source="auto"),
               make_reader(bus, col, "auto", source="auto#2")]
    readers[0].start()
    try:
        col.wait(lambda: len(col.statuses) == 1)
        assert bus.grabbed == {"/dev/input/event3"}
        readers[1].start()
        col.wait(lambda: len(col.statuses) == 2)
        assert bus.grabbed == {"/dev/input/event3", "/dev/input/event4"}
        scanner.push(type_string("017000161563\n")[0])
        second.push(type_string("4006381333931\n")[0])
        col.wait_scans(2)
        assert sorted((s.source, s.raw) for s in col.scans) == [
            ("auto", "017000161563"), ("auto#2", "4006381333931")]
    finally:
        for r in readers:
            r.stop(timeout=5)


def test_auto_without_a_match_reports_why(bus: FakeBus) -> None:
    bus.plug("/dev/input/event2", name="AT Translated Set 2 keyboard")
    col = Collector()
    reader = make_reader(bus, col, "auto")
    reader.start()
    try:
        col.wait(lambda: col.statuses)
        assert col.statuses[0][1:] == (False, "no input device named like '(?i)barcode|scanner'")
        bus.plug("/dev/input/event7", name="Zebra Scanner")
        col.wait(lambda: col.connected_states() == [False, True])
        assert "event7" in col.statuses[1][2]
    finally:
        reader.stop(timeout=5)


def test_device_grabbed_elsewhere_is_reported_and_retried(bus: FakeBus) -> None:
    dev = bus.plug("/dev/input/event5")
    bus.grabbed.add("/dev/input/event5")
    col = Collector()
    reader = make_reader(bus, col, "/dev/input/event5")
    reader.start()
    try:
        col.wait(lambda: col.statuses)
        assert col.statuses[0][1:] == (False, "/dev/input/event5: grabbed by another program")
        with bus.lock:
            bus.grabbed.clear()
        col.wait(lambda: col.connected_states() == [False, True])
        dev.push(type_string("96385074\n")[0])
        assert col.wait_scans(1)[0].raw == "96385074"
    finally:
        reader.stop(timeout=5)


def test_syn_dropped_is_logged_once_and_keys_resynced(
    bus: FakeBus, caplog: pytest.LogCaptureFixture
) -> None:
    dev = bus.plug("/dev/input/event6")
    dev.held = [e.KEY_LEFTSHIFT]
    col = Collector()
    reader = make_reader(bus, col, "/dev/input/event6")
    reader.start()
    try:
        col.wait(lambda: col.connected_states() == [True])
        with caplog.at_level(logging.WARNING, logger="kiosk.scanner.evdev_reader"):
            events, t = type_string("0017", t0=10.0)
            dev.push([*events, ev(t, e.EV_SYN, e.SYN_DROPPED, 0), ev(t, e.EV_SYN, e.SYN_REPORT, 0)])
            more, _ = type_string("000161563\n", t0=t + 0.001)
            after, _ = type_string("1\n", t0=t + 1.0)  # Shift is held per the device
            dev.push(more + after)
            (scan,) = col.wait_scans(1)
        assert scan.raw == "!"
        drops = [r for r in caplog.records if "SYN_DROPPED" in r.getMessage()]
        assert len(drops) == 1 and "'0017'" in drops[0].getMessage()
    finally:
        reader.stop(timeout=5)


def handle(bus: FakeBus, path: str, name: str, keys: Iterable[int] = KEYBOARD_KEYS) -> FakeHandle:
    bus.plug(path, name, keys)
    return bus.open(path)


def test_is_scanner_like_needs_enter_digits_and_name(bus: FakeBus) -> None:
    kp = [e.KEY_ENTER, *range(e.KEY_KP7, e.KEY_KP9 + 1), *range(e.KEY_KP4, e.KEY_KP6 + 1),
          *range(e.KEY_KP1, e.KEY_KP3 + 1), e.KEY_KP0]
    assert is_scanner_like(handle(bus, "/a", "USB Barcode Scanner"), "(?i)scanner")
    assert is_scanner_like(handle(bus, "/b", "USB Barcode Scanner", kp), "(?i)scanner")
    assert not is_scanner_like(handle(bus, "/c", "USB Keyboard"), "(?i)scanner")
    assert not is_scanner_like(handle(bus, "/d", "Scanner", [e.KEY_ENTER]), "(?i)scanner")


def test_bad_layout_fails_in_the_caller() -> None:
    col = Collector()
    with pytest.raises(ValueError, match="layout"):
        EvdevReader("auto", col.on_scan, col.on_status, layout="xx")


def test_an_explicit_input_device_without_digit_keys_is_refused_clearly(bus: FakeBus) -> None:
    col = Collector()
    bus.plug("/dev/input/event1", "Logitech USB Optical Mouse", keys=[e.BTN_LEFT, e.BTN_RIGHT])
    reader = make_reader(bus, col, "/dev/input/event1")
    reader.start()
    try:
        col.wait(lambda: col.statuses)
    finally:
        reader.stop()
    _, connected, detail = col.statuses[0]
    assert not connected
    assert detail.startswith("/dev/input/event1 (Logitech USB Optical Mouse) is not a "
                             "keyboard-like input device")
    assert "kiosk scanners" in detail
    assert not bus.grabbed
