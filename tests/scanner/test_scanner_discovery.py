"""`kiosk scanners`' verdicts: which device looks like a reader, which one is used, why;
and the readers' refusal of an explicit device that cannot be a barcode reader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.cli.scanners import render_text
from kiosk.config import Config, ScannerConfig
from kiosk.scanner.discovery import Finding, InputInfo, SerialInfo, describe
from kiosk.scanner.serial_reader import SerialReader, not_a_tty
from tests.scanner.scanner_util import Collector

HONEYWELL = InputInfo("/dev/input/event3", "Honeywell Imaging & Mobility 1400g", 0x0C2E,
                      0x0B81, True)
NEWLAND_UNNAMED = InputInfo("/dev/input/event4", "HID 1eab:0c03", 0x1EAB, 0x0C03, True)
KEYBOARD = InputInfo("/dev/input/event0", "AT Translated Set 2 keyboard", None, None, True)
MOUSE = InputInfo("/dev/input/event1", "Logitech USB Optical Mouse", 0x046D, 0xC077, False)
ACM = SerialInfo("/dev/ttyACM0", "Newland HR200 CDC", 0x1EAB, 0x0106)
UART = SerialInfo("/dev/ttyAMA0", "ttyAMA0", None, None)
INPUTS = [KEYBOARD, MOUSE, HONEYWELL, NEWLAND_UNNAMED]


def _by_path(findings: list[Finding]) -> dict[str, Finding]:
    return {f.path: f for f in findings}


def test_auto_takes_the_keyboard_like_device_named_like_a_reader() -> None:
    cfg = ScannerConfig()
    found = _by_path(describe(cfg, ["auto"], INPUTS, [ACM, UART]))
    assert [p for p, f in found.items() if f.used] == ["/dev/input/event3"]
    assert found["/dev/input/event3"].why.startswith('used: device = "auto" and its name')
    assert "Metrologic Instruments" in found["/dev/input/event3"].label
    # A known maker whose name the pattern misses: said, with the key to change.
    newland = found["/dev/input/event4"]
    assert newland.looks_like_scanner and not newland.used
    assert "scanner.name_pattern" in newland.why
    assert found["/dev/input/event0"].why.startswith("not used: a keyboard")
    assert found["/dev/input/event1"].why == "not a reader: no Enter and digit keys"
    assert not found["/dev/input/event1"].looks_like_scanner
    assert found["/dev/ttyACM0"].looks_like_scanner and not found["/dev/ttyACM0"].used
    assert found["/dev/ttyACM0"].why == 'not used: scanner.kind is "hid"'
    assert not found["/dev/ttyAMA0"].looks_like_scanner


def test_two_autos_take_two_readers() -> None:
    cfg = ScannerConfig(name_pattern="(?i)honeywell|hid")
    found = describe(cfg, ["auto", "auto"], INPUTS, [])
    assert [f.path for f in found if f.used] == ["/dev/input/event3", "/dev/input/event4"]


def test_an_explicit_mouse_is_named_and_refused() -> None:
    found = _by_path(describe(ScannerConfig(device=MOUSE.path), [MOUSE.path], INPUTS, []))
    assert not found[MOUSE.path].used
    assert "refused: no Enter and digit keys" in found[MOUSE.path].why
    assert not any(f.used for f in found.values())


def test_serial_is_used_only_when_named() -> None:
    cfg = ScannerConfig(kind="serial", device="/dev/ttyACM0")
    found = _by_path(describe(cfg, ["/dev/ttyACM0"], INPUTS, [ACM, UART]))
    assert [p for p, f in found.items() if f.used] == ["/dev/ttyACM0"]
    assert found["/dev/ttyAMA0"].why.startswith("not used: not named in scanner.device")
    assert found[HONEYWELL.path].why == 'not used: scanner.kind is "serial"'


def test_the_text_marks_the_used_one_and_escapes_device_names() -> None:
    evil = InputInfo("/dev/input/event9", "Scanner\x1b[2J", None, None, True)
    cfg = Config()
    text = render_text(cfg, describe(cfg.scanner, cfg.scanner_devices, [evil, MOUSE], [ACM]),
                       can_read_inputs=False)
    assert "  * /dev/input/event9  Scanner\\x1b[2J  (used: " in text
    assert "\x1b" not in text
    assert "  ? /dev/ttyACM0  Newland HR200 CDC [1eab:0106] Fujian Newland" in text
    assert "sudo kiosk scanners" in text


def test_the_text_says_when_nothing_is_used() -> None:
    cfg = Config()
    text = render_text(cfg, describe(cfg.scanner, cfg.scanner_devices, [], []),
                       can_read_inputs=True)
    assert "none" in text and "The kiosk uses none of these now" in text


# --- the serial reader refuses what cannot be a serial port ------------------------------


def test_a_serial_device_that_is_no_tty_is_refused_clearly(tmp_path: Path) -> None:
    plain = tmp_path / "not-a-port"
    plain.write_text("")
    assert not_a_tty(str(plain)) == (f"{plain} is not a serial port (a tty); "
                                     "`kiosk scanners` lists the serial ports")
    col = Collector()
    reader = SerialReader(str(plain), col.on_scan, col.on_status, retry_s=0.02)
    reader.start()
    try:
        col.wait(lambda: col.statuses)
    finally:
        reader.stop()
    assert col.statuses[0][1:] == (False, not_a_tty(str(plain)))


@pytest.mark.parametrize("path", ["loop://", "/dev/ttyACM9-unplugged"])
def test_urls_and_absent_ports_are_left_to_the_open(path: str) -> None:
    assert not_a_tty(path) is None


def test_a_pty_is_a_serial_port() -> None:
    master, slave = os.openpty()
    try:
        assert not_a_tty(os.ttyname(slave)) is None
    finally:
        os.close(master)
        os.close(slave)
