"""Build evdev event sequences the way real USB HID barcode readers send them.

Per key: MSC_SCAN, key down, SYN_REPORT, then about a millisecond later key up and
SYN_REPORT; 2-8 ms from one key to the next. Characters needing Shift (capitals, and
the digits of a reader set to French) get Shift pressed around them, released before or
after the key's own release. The reverse keymap comes from kiosk.scanner.keymaps, so the
tests also carry literal hand-written sequences that do not depend on this builder.
"""

from __future__ import annotations

import random

from evdev import InputEvent
from evdev import ecodes as e

from kiosk.scanner.keymaps import LAYOUTS

_TERMINATORS = {"\n": e.KEY_ENTER, "\t": e.KEY_TAB}
_KP = {str(d): e.ecodes[f"KEY_KP{d}"] for d in range(10)}


def ev(t: float, type_: int, code: int, value: int) -> InputEvent:
    sec = int(t)
    return InputEvent(sec, round((t - sec) * 1_000_000), type_, code, value)


def key(t: float, code: int, value: int) -> list[InputEvent]:
    """One key transition as the kernel reports it (scan code, key, report)."""
    return [ev(t, e.EV_MSC, e.MSC_SCAN, 0x70000 + code), ev(t, e.EV_KEY, code, value),
            ev(t, e.EV_SYN, e.SYN_REPORT, 0)]


def keystroke(ch: str, layout: str, keypad: bool = False) -> tuple[int, bool, bool]:
    """(key code, shift, altgr) that types `ch` on `layout`."""
    if ch in _TERMINATORS:
        return (e.KEY_KPENTER if keypad and ch == "\n" else _TERMINATORS[ch]), False, False
    if keypad and ch in _KP:
        return _KP[ch], False, False
    lay = LAYOUTS[layout]
    for table, shift, altgr in ((lay.plain, False, False), (lay.shifted, True, False),
                                (lay.altgr, False, True)):
        for code, c in table.items():
            if c == ch:
                return code, shift, altgr
    raise ValueError(f"{ch!r} cannot be typed on layout {layout}")


def type_string(
    text: str,
    layout: str = "us",
    t0: float = 1000.0,
    per_key_ms: tuple[float, float] = (2.0, 8.0),
    *,
    keypad: bool = False,
    shift_release: str = "after",
    right_shift: bool = False,
    seed: int = 0,
) -> tuple[list[InputEvent], float]:
    """Events typing `text`, and the time after the last one.

    `shift_release` is "after" (Shift up after the key's up) or "before" (Shift up
    before the key's up, as some readers do).
    """
    rng = random.Random(seed)
    shift_key = e.KEY_RIGHTSHIFT if right_shift else e.KEY_LEFTSHIFT
    events: list[InputEvent] = []
    t = t0
    for ch in text:
        code, shift, altgr = keystroke(ch, layout, keypad)
        mod = shift_key if shift else e.KEY_RIGHTALT if altgr else None
        if mod is not None:
            events += key(t, mod, 1)
            t += 0.0005
        events += key(t, code, 1)
        t += 0.001
        if mod is not None and shift_release == "before":
            events += key(t, mod, 0)
            events += key(t + 0.0002, code, 0)
        else:
            events += key(t, code, 0)
            if mod is not None:
                events += key(t + 0.0002, mod, 0)
        t += rng.uniform(*per_key_ms) / 1000
    return events, t
