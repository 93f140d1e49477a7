"""Double-read window, the window keyboard, the reader factory, the fake, printable()."""

from __future__ import annotations

import os

import pytest
from evdev import ecodes as e

from kiosk.config import ScannerConfig
from kiosk.scanner import (
    DuplicateWindow,
    EvdevReader,
    FakeReader,
    Normalized,
    Scan,
    SerialReader,
    WindowKeyboard,
    open_readers,
    printable,
    validate,
)
from tests.scanner.scanner_util import Collector

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
pygame = pytest.importorskip("pygame")

# --- duplicates ---------------------------------------------------------------------------


def test_same_code_within_window_is_a_double_read() -> None:
    d = DuplicateWindow(1.5)
    assert not d.is_duplicate("r1", "017000161563", 10.0)
    assert d.is_duplicate("r1", "017000161563", 11.4)


def test_same_code_after_window_is_a_new_scan() -> None:
    d = DuplicateWindow(1.5)
    assert not d.is_duplicate("r1", "017000161563", 10.0)
    assert not d.is_duplicate("r1", "017000161563", 11.6)


def test_window_slides_with_each_repeat() -> None:
    d = DuplicateWindow(1.5)
    results = [d.is_duplicate("r1", "017000161563", t) for t in (0.0, 1.0, 2.0, 3.0, 5.0)]
    assert results == [False, True, True, True, False]


def test_a_b_a_is_three_scans() -> None:
    d = DuplicateWindow(1.5)
    assert [d.is_duplicate("r1", c, t) for c, t in
            (("017000161563", 0.0), ("96385074", 0.2), ("017000161563", 0.4))] == [
        False, False, False]


def test_sources_are_independent() -> None:
    d = DuplicateWindow(1.5)
    assert not d.is_duplicate("r1", "017000161563", 0.0)
    assert not d.is_duplicate("r2", "017000161563", 0.1)
    assert d.is_duplicate("r1", "017000161563", 0.2)
    assert not d.is_duplicate("r2", "96385074", 0.3)
    assert d.is_duplicate("r1", "017000161563", 0.4)
    d.forget("r1")
    assert not d.is_duplicate("r1", "017000161563", 0.5)


# --- the window's keyboard ----------------------------------------------------------------


def kd(key: int, scancode: int, mod: int = 0, unicode: str = "") -> object:
    return pygame.event.Event(pygame.KEYDOWN, key=key, scancode=scancode, mod=mod,
                              unicode=unicode)


def ku(key: int, scancode: int, mod: int = 0) -> object:
    return pygame.event.Event(pygame.KEYUP, key=key, scancode=scancode, mod=mod)


DIGIT_SCANCODE = {str(d): 0x1E + (d - 1) % 10 for d in range(10)}


def type_digits(kb: WindowKeyboard, digits: str, t: float) -> list[Scan]:
    scans: list[Scan] = []
    for ch in digits:
        scans += kb.handle(kd(ord(ch), DIGIT_SCANCODE[ch], unicode=ch), t)
        scans += kb.handle(ku(ord(ch), DIGIT_SCANCODE[ch]), t + 0.08)
        t += 0.3  # a person, not a reader
    return scans + kb.handle(kd(pygame.K_RETURN, 0x28, unicode="\r"), t)


def test_typed_digits_and_enter_make_a_window_scan() -> None:
    kb = WindowKeyboard()
    (scan,) = type_digits(kb, "0017000161563", 100.0)
    assert (scan.raw, scan.source) == ("0017000161563", "window")
    assert validate(scan) == Normalized("017000161563", "EAN-13")


def test_keypad_enter_and_keypad_digits_by_scancode() -> None:
    kb = WindowKeyboard()
    scans = []
    for i, d in enumerate("96385074"):
        sc = 0x62 if d == "0" else 0x59 + int(d) - 1
        scans += kb.handle(kd(pygame.K_KP_0, sc), 1.0 + i)
    scans += kb.handle(kd(pygame.K_KP_ENTER, 0x58), 9.0)
    assert [s.raw for s in scans] == ["96385074"]


def test_key_fallback_when_scancode_missing_and_shift_from_mod() -> None:
    kb = WindowKeyboard()
    scans = kb.handle(kd(ord("a"), 0, mod=pygame.KMOD_LSHIFT), 1.0)
    scans += kb.handle(kd(ord("b"), 0), 1.2)
    scans += kb.handle(kd(pygame.K_RETURN, 0), 1.4)
    assert [s.raw for s in scans] == ["Ab"]


def test_capslock_state_taken_from_mod() -> None:
    kb = WindowKeyboard()
    scans = kb.handle(kd(ord("a"), 0x04, mod=pygame.KMOD_CAPS), 1.0)
    scans += kb.handle(kd(ord("1"), 0x1E, mod=pygame.KMOD_CAPS), 1.1)
    scans += kb.handle(kd(pygame.K_RETURN, 0x28, mod=pygame.KMOD_CAPS), 1.2)
    assert [s.raw for s in scans] == ["A1"]


def test_backspace_edits_and_abandoned_input_is_dropped() -> None:
    kb = WindowKeyboard(inter_key_timeout_s=5.0)
    kb.handle(kd(ord("9"), 0x26), 1.0)
    kb.handle(kd(pygame.K_BACKSPACE, 0x2A), 1.5)
    assert kb.poll(3.0) == []
    kb.handle(kd(ord("5"), 0x22), 4.0)
    assert kb.poll(20.0) == []  # half-typed and left: forgotten, not a scan
    (scan,) = type_digits(kb, "96385074", 30.0)
    assert scan.raw == "96385074"


def test_other_keys_and_events_are_left_to_the_window() -> None:
    kb = WindowKeyboard()
    assert kb.translate(kd(pygame.K_ESCAPE, 0x29), 1.0) == []
    assert kb.translate(kd(pygame.K_F1, 0x3A), 1.0) == []
    assert kb.translate(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(0, 0)),
                        1.0) == []
    (down,) = kb.translate(kd(ord("1"), 0x1E), 2.5)
    assert (down.type, down.code, down.value, down.sec, down.usec) == (
        e.EV_KEY, e.KEY_1, 1, 2, 500000)


# --- factory, fake, printable ----------------------------------------------------------


def test_open_readers_builds_unstarted_readers() -> None:
    col = Collector()
    hid = open_readers(ScannerConfig(layout="de"), ["auto", "auto", "/dev/input/by-id/x"],
                       col.on_scan, col.on_status)
    assert [type(r) for r in hid] == [EvdevReader] * 3
    assert [r.source for r in hid] == ["auto", "auto#2", "/dev/input/by-id/x"]
    ser = open_readers(ScannerConfig(kind="serial", baudrate=115200),
                       ["/dev/serial/by-id/usb-A", "/dev/ttyACM0"], col.on_scan, col.on_status)
    assert [type(r) for r in ser] == [SerialReader] * 2
    assert [r.source for r in ser] == ["serial:/dev/serial/by-id/usb-A", "serial:/dev/ttyACM0"]
    assert col.statuses == [] and col.scans == []
    assert not any(r.is_alive() for r in hid + ser)  # type: ignore[attr-defined]


def test_fake_reader_feeds_scans() -> None:
    col = Collector()
    fake = FakeReader(col.on_scan, col.on_status)
    fake.start()
    fake.feed("017000161563", t_last=5.0)
    fake.unplug()
    assert col.scans == [Scan("017000161563", "fake", 5.0)]
    assert col.connected_states() == [True, False]


@pytest.mark.parametrize(
    ("text", "shown"),
    [("0170", "0170"), ("a\x1bb", "a\\x1bb"), ("\\", "\\\\"), ("é€", "\\xe9\\u20ac"),
     ("\r\n", "\\x0d\\x0a"), ("\U0001f600", "\\U0001f600")],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown
