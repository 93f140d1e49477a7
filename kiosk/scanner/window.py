"""The kiosk window's keyboard as a reader, through the same HID decoder.

For the demo, and for staff without a scanner at hand: digits typed on the kiosk's own
keyboard and Enter make a scan with source ``"window"``. Rather than trusting SDL's text
(which depends on the desktop's layout and input method), pygame key events are turned
back into Linux key events: SDL2's `scancode` *is* the USB HID usage id, which maps to a
Linux key code exactly as the kernel's ``hid-input`` does. The result is fed to an
ordinary `HidDecoder` with layout "us", so this path cannot drift from the scanner path.

A person types far slower than a reader, so the inter-key timeout is long, and a
half-typed code left alone is dropped rather than reported as a scan.
"""

from __future__ import annotations

from typing import Any

from evdev import InputEvent
from evdev import ecodes as e

from kiosk.scanner.hid import HidDecoder
from kiosk.scanner.scan import Scan

__all__ = ["HID_USAGE_TO_KEY", "WindowKeyboard"]

_KEYDOWN = 0x300  # SDL_KEYDOWN / pygame.KEYDOWN; fixed by SDL2, avoids importing pygame
_KEYUP = 0x301
_KMOD_SHIFT = 0x0003
_KMOD_CAPS = 0x2000


def _usage_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for i, letter in enumerate("abcdefghijklmnopqrstuvwxyz"):
        table[0x04 + i] = e.ecodes["KEY_" + letter.upper()]
    for i, digit in enumerate("1234567890"):
        table[0x1E + i] = e.ecodes["KEY_" + digit]
        table[0x59 + i] = e.ecodes["KEY_KP" + digit]
    names = {
        0x28: "ENTER", 0x2A: "BACKSPACE", 0x2B: "TAB", 0x2C: "SPACE", 0x2D: "MINUS",
        0x2E: "EQUAL", 0x2F: "LEFTBRACE", 0x30: "RIGHTBRACE", 0x31: "BACKSLASH",
        0x32: "BACKSLASH", 0x33: "SEMICOLON", 0x34: "APOSTROPHE", 0x35: "GRAVE",
        0x36: "COMMA", 0x37: "DOT", 0x38: "SLASH", 0x39: "CAPSLOCK", 0x53: "NUMLOCK",
        0x54: "KPSLASH", 0x55: "KPASTERISK", 0x56: "KPMINUS", 0x57: "KPPLUS",
        0x58: "KPENTER", 0x63: "KPDOT", 0x64: "102ND", 0x67: "KPEQUAL", 0x85: "KPCOMMA",
        0xE0: "LEFTCTRL", 0xE1: "LEFTSHIFT", 0xE2: "LEFTALT", 0xE3: "LEFTMETA",
        0xE4: "RIGHTCTRL", 0xE5: "RIGHTSHIFT", 0xE6: "RIGHTALT", 0xE7: "RIGHTMETA",
    }
    for usage, name in names.items():
        table[usage] = e.ecodes["KEY_" + name]
    return table


#: USB HID keyboard usage id (= SDL2 scancode) -> Linux key code, for the keys a code is
#: typed with. Other keys (Escape, arrows, F-keys) stay with the window.
HID_USAGE_TO_KEY: dict[int, int] = _usage_table()

# Fallback when an event carries no scancode: SDL keycodes of the keys that matter.
_SDLK_TO_KEY: dict[int, int] = {
    **{ord(d): e.ecodes["KEY_" + d] for d in "0123456789"},
    **{ord(c): e.ecodes["KEY_" + c.upper()] for c in "abcdefghijklmnopqrstuvwxyz"},
    13: e.KEY_ENTER, 9: e.KEY_TAB, 8: e.KEY_BACKSPACE,
    0x40000058: e.KEY_KPENTER, 0x400000E1: e.KEY_LEFTSHIFT, 0x400000E5: e.KEY_RIGHTSHIFT,
    **{0x40000059 + i: e.ecodes["KEY_KP" + d] for i, d in enumerate("1234567890")},
}
_MODIFIERS = frozenset({
    e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT, e.KEY_CAPSLOCK, e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL,
    e.KEY_LEFTALT, e.KEY_RIGHTALT, e.KEY_LEFTMETA, e.KEY_RIGHTMETA, e.KEY_NUMLOCK,
})


def _stamp(now: float, code: int, value: int) -> InputEvent:
    sec = int(now)
    return InputEvent(sec, int((now - sec) * 1_000_000), e.EV_KEY, code, value)


class WindowKeyboard:
    """Feed it the window's KEYDOWN/KEYUP events; it returns the scans they complete.

    Call `poll(now)` now and then (each frame is fine) so an abandoned half-typed code
    is forgotten. `now` is `time.monotonic()`; pygame key events carry no timestamp.
    """

    def __init__(self, source: str = "window", inter_key_timeout_s: float = 10.0) -> None:
        self.source = source
        self._decoder = HidDecoder(source, "us", inter_key_timeout_s, emit_unterminated=False)

    def translate(self, event: Any, now: float) -> list[InputEvent]:
        """The Linux key events equivalent to one pygame key event ([] if not a typing key)."""
        if event.type not in (_KEYDOWN, _KEYUP):
            return []
        code = HID_USAGE_TO_KEY.get(getattr(event, "scancode", 0) or -1)
        if code is None:
            code = _SDLK_TO_KEY.get(getattr(event, "key", -1))
        if code is None:
            return []
        if event.type == _KEYUP:
            return [_stamp(now, code, 0)]
        out: list[InputEvent] = []
        mod = getattr(event, "mod", None)
        if mod is not None and code not in _MODIFIERS:
            # SDL's modifier state is the truth: Shift or CapsLock may have changed while
            # the window had no focus, and their key events never reached us.
            if bool(mod & _KMOD_SHIFT) != self._decoder.shift:
                out.append(_stamp(now, e.KEY_LEFTSHIFT, 1 if mod & _KMOD_SHIFT else 0))
                if not mod & _KMOD_SHIFT:
                    out.append(_stamp(now, e.KEY_RIGHTSHIFT, 0))
            if bool(mod & _KMOD_CAPS) != self._decoder.capslock:
                out += [_stamp(now, e.KEY_CAPSLOCK, 1), _stamp(now, e.KEY_CAPSLOCK, 0)]
        out.append(_stamp(now, code, 1))
        return out

    def handle(self, event: Any, now: float) -> list[Scan]:
        scans: list[Scan] = []
        for ev in self.translate(event, now):
            scans.extend(s for s in self._decoder.feed(ev, now) if isinstance(s, Scan))
        return scans

    def poll(self, now: float) -> list[Scan]:
        return self._decoder.flush(now)
