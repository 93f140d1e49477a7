"""Serial readers through a real pty, and the same contract over pyserial's loop://."""

from __future__ import annotations

import os
import random
import re
import threading
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import serial

from kiosk.scanner.gs1 import Normalized, check_digit, validate
from kiosk.scanner.scan import MAX_SCAN_CHARS, Scan
from kiosk.scanner.serial_reader import SerialFramer, SerialReader
from tests.scanner.scanner_util import Collector

# --- the pure framer ----------------------------------------------------------------------


@pytest.mark.parametrize("term", [b"\r", b"\n", b"\r\n"])
def test_framer_terminators(term: bytes) -> None:
    f = SerialFramer("s")
    out = f.feed(b"017000161563" + term + b"96385074" + term, 1.0)
    assert [(s.raw, s.terminated) for s in out] == [("017000161563", True), ("96385074", True)]
    assert f.feed(b"\n", 1.001) == []


def test_framer_crlf_split_across_chunks_gives_no_empty_frame() -> None:
    f = SerialFramer("s")
    assert [s.raw for s in f.feed(b"123\r", 1.0)] == ["123"]
    assert f.feed(b"\n", 1.01) == []
    assert f.flush(9.0) == []


def test_framer_timeout_splits_and_flushes() -> None:
    f = SerialFramer("s", inter_byte_timeout_s=0.05)
    assert f.feed(b"9638", 1.0) == []
    assert f.feed(b"5074", 1.01) == []
    assert f.flush(1.05) == []
    (scan,) = f.flush(1.07)
    assert (scan.raw, scan.terminated, scan.t_last) == ("96385074", False, 1.01)
    assert f.feed(b"111", 2.0) == []
    out = f.feed(b"017000161563\r", 2.2)
    assert [(s.raw, s.terminated) for s in out] == [("111", False), ("017000161563", True)]
    assert f.flush(3.0) == []


def test_framer_strips_prefix_and_suffix_only_when_present() -> None:
    f = SerialFramer("s", strip_prefix="]E0", strip_suffix="#")
    out = f.feed(b"]E00017000161563#\r0017000161563\r", 1.0)
    assert [s.raw for s in out] == ["0017000161563", "0017000161563"]


def test_framer_flags_binary_and_overlong_and_recovers() -> None:
    f = SerialFramer("s")
    out = f.feed(b"01\x0070\xff\r" + b"9" * 100 + b"\r017000161563\r", 1.0)
    assert [s.raw for s in out] == ["01\x0070\xff", "9" * MAX_SCAN_CHARS, "017000161563"]
    assert out[0].problem is not None and "printable ASCII" in out[0].problem
    assert out[1].problem is not None and "longer than" in out[1].problem
    assert out[2].problem is None


# --- ports: a real pty, and loop:// -------------------------------------------------------


class Pty:
    """A pty whose slave is reached through a stable symlink, like /dev/serial/by-id."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = -1
        self.slave = -1
        self.create()

    def create(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tmp = self.link.with_suffix(".new")
        os.symlink(os.ttyname(self.slave), tmp)
        os.replace(tmp, self.link)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            view = view[n:]

    def close(self) -> None:
        for fd in (self.master, self.slave):
            if fd >= 0:
                os.close(fd)
        self.master = self.slave = -1
        self.link.unlink(missing_ok=True)


class PortFixture:
    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.readers: list[SerialReader] = []
        if kind == "pty":
            self.pty: Pty | None = Pty(tmp_path / "usb-Scanner_0001-if00")
            self.loop: Any = None
        else:
            self.pty = None
            self.loop = serial.serial_for_url("loop://", timeout=0.01)

    def reader(self, col: Collector, **kw: Any) -> SerialReader:
        kw.setdefault("retry_s", 0.05)
        if self.pty is not None:
            r = SerialReader(str(self.pty.link), col.on_scan, col.on_status, **kw)
        else:
            r = SerialReader("loop://", col.on_scan, col.on_status,
                             open_device=lambda _: self.loop, **kw)
        self.readers.append(r)
        r.start()
        col.wait(lambda: True in col.connected_states())
        return r

    def write(self, data: bytes) -> None:
        if self.pty is not None:
            self.pty.write(data)
        else:
            self.loop.write(data)

    def close(self) -> None:
        for r in self.readers:
            r.stop(timeout=5)
            assert not r.is_alive()
        if self.pty is not None:
            self.pty.close()
        else:
            self.loop.close()


@pytest.fixture(params=["pty", "loop"])
def port(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PortFixture]:
    fixture = PortFixture(request.param, tmp_path)
    yield fixture
    fixture.close()


class TestSerialContract:
    """The same behaviour from a real pty and from pyserial's loop:// port."""

    @pytest.mark.parametrize("term", [b"\r", b"\n", b"\r\n"])
    def test_each_framing(self, port: PortFixture, term: bytes) -> None:
        col = Collector()
        port.reader(col)
        port.write(b"017000161563" + term + b"4006381333931" + term)
        scans = col.wait_scans(2)
        port.write(b"96385074" + term)
        scans = col.wait_scans(3)
        assert [(s.raw, s.terminated) for s in scans] == [
            ("017000161563", True), ("4006381333931", True), ("96385074", True)]

    def test_no_terminator_ends_by_inter_byte_timeout(self, port: PortFixture) -> None:
        col = Collector()
        port.reader(col, inter_key_timeout_ms=30)
        port.write(b"96385074")
        col.wait_scans(1)
        port.write(b"0017000161563")
        scans = col.wait_scans(2)
        assert [(s.raw, s.terminated) for s in scans] == [
            ("96385074", False), ("0017000161563", False)]
        assert [validate(s) for s in scans] == [
            Normalized("96385074", "EAN-8"), Normalized("017000161563", "EAN-13")]

    def test_prefix_and_suffix_stripped(self, port: PortFixture) -> None:
        col = Collector()
        port.reader(col, strip_prefix="]E0", strip_suffix="\t")
        port.write(b"]E00017000161563\t\r\n]E096385074\t\r\n")
        assert [s.raw for s in col.wait_scans(2)] == ["0017000161563", "96385074"]

    def test_hundred_scans_back_to_back_none_lost_or_merged(self, port: PortFixture) -> None:
        col = Collector()
        port.reader(col, baudrate=115200, inter_key_timeout_ms=2000)
        codes = [f"{i:011d}" for i in range(100)]
        codes = [c + check_digit(c) for c in codes]
        port.write(b"".join(c.encode() + b"\r\n" for c in codes))
        scans = col.wait_scans(100)
        assert [s.raw for s in scans] == codes
        assert all(isinstance(validate(s), Normalized) for s in scans)
        assert [s.source for s in scans] == [scans[0].source] * 100

    def test_random_bytes_never_validate_unless_they_are_a_code(self, port: PortFixture) -> None:
        rng = random.Random(1234)
        lines = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 90)))
                 for _ in range(2000)]
        blob = b"\n".join(lines) + b"\n"
        expected = [f for f in re.split(rb"[\r\n]", blob) if f]
        col = Collector()
        reader = port.reader(col, inter_key_timeout_ms=2000)
        port.write(blob)
        scans = col.wait_scans(len(expected), timeout=60)
        assert len(scans) == len(expected)
        for frame, scan in zip(expected, scans, strict=True):
            assert scan.raw == frame[:MAX_SCAN_CHARS].decode("latin-1")
            printable = all(0x20 <= b < 0x7F for b in frame)
            if len(frame) > MAX_SCAN_CHARS or not printable:
                assert scan.problem is not None
                assert not isinstance(validate(scan), Normalized)
            verdict = validate(scan)
            if isinstance(verdict, Normalized):
                assert frame.strip(b" ").isdigit() and len(frame) <= 20
        port.write(b"017000161563\r")
        assert col.wait_scans(len(expected) + 1)[-1].raw == "017000161563"
        assert reader.is_alive()

    def test_a_failing_consumer_does_not_kill_the_reader(self, port: PortFixture) -> None:
        col = Collector()
        calls: list[str] = []

        def on_scan(scan: Scan) -> None:
            calls.append(scan.raw)
            if len(calls) == 1:
                raise RuntimeError("consumer bug")
            col.on_scan(scan)

        if port.pty is not None:
            r = SerialReader(str(port.pty.link), on_scan, col.on_status, retry_s=0.05)
        else:
            r = SerialReader("loop://", on_scan, col.on_status, open_device=lambda _: port.loop)
        port.readers.append(r)
        r.start()
        col.wait(lambda: True in col.connected_states())
        port.write(b"111\r")
        port.write(b"017000161563\r")
        assert [s.raw for s in col.wait_scans(1)] == ["017000161563"]
        assert calls == ["111", "017000161563"]

    def test_stop_0_tells_the_reader_and_a_later_stop_waits_for_it(
            self, port: PortFixture, caplog: pytest.LogCaptureFixture) -> None:
        """How the daemon stops every thread together: tell each, then wait for each."""
        r = port.reader(Collector())
        r.stop(0)  # told: returns at once, no "did not stop" warning
        assert "did not stop" not in caplog.text
        r.stop(timeout=5)
        assert not r.is_alive()


# --- unplug and replug (pty only: loop:// cannot vanish) ---------------------------------


def test_pty_closed_and_recreated_under_the_same_path(tmp_path: Path) -> None:
    pty = Pty(tmp_path / "usb-Scanner_0001-if00")
    col = Collector()
    opener = CountingOpener(str(pty.link))
    reader = SerialReader(str(pty.link), col.on_scan, col.on_status, retry_s=0.02,
                          open_device=opener)
    reader.start()
    try:
        col.wait(lambda: col.connected_states() == [True])
        pty.write(b"017000161563\r")
        col.wait_scans(1)
        pty.close()
        col.wait(lambda: col.connected_states() == [True, False])
        # Many retries happen while it is gone; none may be reported again.
        opener.wait_attempts(opener.attempts + 5)
        assert col.connected_states() == [True, False]
        pty.create()
        col.wait(lambda: col.connected_states() == [True, False, True])
        pty.write(b"4006381333931\r\n")
        scans = col.wait_scans(2)
        assert [s.raw for s in scans] == ["017000161563", "4006381333931"]
        assert col.connected_states() == [True, False, True]
        assert reader.is_alive()
    finally:
        reader.stop(timeout=5)
        pty.close()
    assert not reader.is_alive()


def test_port_missing_at_start_then_appearing(tmp_path: Path) -> None:
    link = tmp_path / "usb-Late_Scanner-if00"
    col = Collector()
    opener = CountingOpener(str(link))
    reader = SerialReader(str(link), col.on_scan, col.on_status, retry_s=0.02,
                          open_device=opener)
    reader.start()
    pty = None
    try:
        col.wait(lambda: col.connected_states() == [False])
        opener.wait_attempts(6)
        assert col.connected_states() == [False]
        assert "cannot open" in col.statuses[0][2]
        pty = Pty(link)
        col.wait(lambda: col.connected_states() == [False, True])
        pty.write(b"96385074\n")
        assert [s.raw for s in col.wait_scans(1)] == ["96385074"]
        assert col.scans[0].source == f"serial:{link}"
    finally:
        reader.stop(timeout=5)
        if pty is not None:
            pty.close()
    assert not reader.is_alive()


class CountingOpener:
    """Opens the port as the reader's default does, counting the attempts."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.attempts = 0
        self._cond = threading.Condition()

    def __call__(self, path: str) -> Any:
        with self._cond:
            self.attempts += 1
            self._cond.notify_all()
        return serial.serial_for_url(self.path, baudrate=9600, timeout=0.02, exclusive=True)

    def wait_attempts(self, n: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.attempts >= n, 10), self.attempts
