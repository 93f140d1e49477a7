"""Pure decoding of one HID keyboard's `evdev.InputEvent` stream into `Scan` records.

One `HidDecoder` per device, never shared: Shift, CapsLock and the partial scan are
per-keyboard state, and a decoder shared by two readers is how two scanners' keystrokes
end up merged. The decoder does no I/O and reads no clock; time comes from the events'
own kernel timestamps (`event.timestamp()`) and, for silence, from `flush(now)`.

Rules, each of which fixes a failure seen in the field:

* Characters are produced on key *down* (value 1); auto-repeat (value 2) is ignored, and
  key *up* (value 0) only matters for modifiers, so Shift may be released before or after
  the key it shifted.
* Enter, keypad Enter and Tab end a scan. A terminator with nothing before it is ignored
  (readers configured with Tab+Enter would otherwise yield empty scans).
* A scan that never gets its terminator ends when the next key comes more than the
  inter-key timeout after the previous one (measured on event timestamps, which are
  immune to a slow reading thread), or when the adapter calls `flush(now)` after that
  much silence. Its leftover can therefore never prefix the next code.
* ``SYN_DROPPED`` means the kernel lost events: the partial scan is discarded (a `Dropped`
  marker says so), events up to the next ``SYN_REPORT`` are ignored as the kernel asks,
  and then keys are discarded up to the next terminator, or up to a gap longer than the
  inter-key timeout, or silence: the tail of a damaged scan could otherwise pass as a
  shorter valid code. The adapter may re-read the held keys (`sync_keys`).
* A key that types nothing in the layout puts U+FFFD in the scan, so the scan is refused
  rather than silently shortened into some other code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from evdev import InputEvent
from evdev import ecodes as e

from kiosk.scanner.keymaps import LAYOUTS, char_for
from kiosk.scanner.scan import MAX_SCAN_CHARS, Scan

__all__ = ["TERMINATORS", "Dropped", "HidDecoder"]

TERMINATORS = frozenset({e.KEY_ENTER, e.KEY_KPENTER, e.KEY_TAB})
_SHIFTS = frozenset({e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT})
_CTRL_ALT = frozenset({e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL, e.KEY_LEFTALT})
_IGNORED = frozenset({
    e.KEY_NUMLOCK, e.KEY_SCROLLLOCK, e.KEY_LEFTMETA, e.KEY_RIGHTMETA, e.KEY_COMPOSE,
})
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Dropped:
    """The kernel reported lost events (SYN_DROPPED); `discarded` is the partial scan lost."""

    source: str
    discarded: str


class HidDecoder:
    """State machine from one device's key events to scans.

    `feed(event, received)` takes one event; `received` is the caller's monotonic clock
    when the event was read (it becomes `Scan.t_last`; tests may omit it and the event's
    own timestamp is used). With `emit_unterminated=False` a scan ended by silence is
    dropped instead of emitted (for a human typing in the kiosk window).
    """

    def __init__(
        self,
        source: str,
        layout: str = "us",
        inter_key_timeout_s: float = 0.050,
        *,
        emit_unterminated: bool = True,
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown keyboard layout {layout!r}")
        self.source = source
        self._layout = LAYOUTS[layout]
        self._timeout = inter_key_timeout_s
        self._emit_unterminated = emit_unterminated
        self._held: set[int] = set()
        self._caps = False
        self._buf: list[str] = []
        self._overlong = False
        self._last_key_ts: float | None = None
        self._last_received = 0.0
        self._t_last_char = 0.0
        self._until_report = False
        self._resync = False

    @property
    def capslock(self) -> bool:
        return self._caps

    @property
    def shift(self) -> bool:
        return bool(self._held & _SHIFTS)

    @property
    def pending(self) -> bool:
        """True while a partial scan (or a damaged one being skipped) waits to end."""
        return bool(self._buf) or self._resync

    def feed(self, event: InputEvent, received: float | None = None) -> list[Scan | Dropped]:
        ts = event.timestamp()
        now = ts if received is None else received
        if event.type == e.EV_SYN:
            if event.code == e.SYN_DROPPED:
                return [self._drop()]
            if event.code == e.SYN_REPORT:
                self._until_report = False
            return []
        if event.type != e.EV_KEY or self._until_report:
            return []
        code, value = event.code, event.value
        if value == 2:
            return []
        if value == 0:
            self._held.discard(code)
            self._last_key_ts = ts
            self._last_received = now
            return []
        out: list[Scan | Dropped] = []
        gap = self._last_key_ts is not None and ts - self._last_key_ts > self._timeout
        self._last_key_ts = ts
        self._last_received = now
        if self._resync and gap:
            self._resync = False
        elif gap and self._buf:
            out.extend(self._end(terminated=False))
        if code in _SHIFTS or code in _CTRL_ALT or code == e.KEY_RIGHTALT:
            self._held.add(code)
            return out
        if code == e.KEY_CAPSLOCK:
            self._caps = not self._caps
            return out
        if code in _IGNORED:
            return out
        if self._resync:
            if code in TERMINATORS:
                self._resync = False
            return out
        if code in TERMINATORS:
            self._t_last_char = now
            out.extend(self._end(terminated=True))
            return out
        if code == e.KEY_BACKSPACE:
            if self._buf and not self._overlong:
                self._buf.pop()
            return out
        self._t_last_char = now
        self._append(self._char(code))
        return out

    def flush(self, now: float) -> list[Scan]:
        """End a scan left without terminator once `now` is past the inter-key timeout.

        `now` is on the same clock as `received` (or the event timestamps if the caller
        never passes `received`). The adapter calls this when the device has been silent.
        """
        if now - self._last_received <= self._timeout:
            return []
        self._resync = False
        return self._end(terminated=False) if self._buf else []

    def sync_keys(self, pressed: Iterable[int]) -> None:
        """Replace the held-key state with the device's own (after SYN_DROPPED)."""
        self._held = set(pressed) & (_SHIFTS | _CTRL_ALT | {e.KEY_RIGHTALT})

    def _char(self, code: int) -> str:
        if self._held & _CTRL_ALT:
            return REPLACEMENT
        ch = char_for(
            self._layout, code, shift=bool(self._held & _SHIFTS), caps=self._caps,
            altgr=e.KEY_RIGHTALT in self._held,
        )
        return REPLACEMENT if ch is None else ch

    def _append(self, ch: str) -> None:
        if len(self._buf) >= MAX_SCAN_CHARS:
            self._overlong = True
        else:
            self._buf.append(ch)

    def _end(self, *, terminated: bool) -> list[Scan]:
        text, overlong = "".join(self._buf), self._overlong
        self._buf.clear()
        self._overlong = False
        if not text or (not terminated and not self._emit_unterminated):
            return []
        problem = f"longer than {MAX_SCAN_CHARS} characters: not a barcode" if overlong else None
        return [Scan(text, self.source, self._t_last_char, terminated, problem)]

    def _drop(self) -> Dropped:
        lost = "".join(self._buf)
        self._buf.clear()
        self._overlong = False
        self._held.clear()
        self._until_report = True
        self._resync = True
        self._last_key_ts = None
        return Dropped(self.source, lost)
