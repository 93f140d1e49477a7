"""Double-read suppression: the same code again from the same reader, too soon.

Handheld readers in continuous or presentation mode read a barcode two or three times
while it passes the window; the shopper meant one scan. A code is a double read when it
equals the previous *valid* code from the same reader and comes within `window_s` of
that previous read (the window slides: a code held under a presentation scanner keeps
being suppressed). A, B, A is three real scans. Invalid scans are not fed here: a
garbled read between two good reads of one barcode must not turn the second into a new
scan. State is per source; times are injected (use `Scan.t_last`), so this is pure.
"""

from __future__ import annotations

__all__ = ["DuplicateWindow"]


class DuplicateWindow:
    def __init__(self, window_s: float = 1.5) -> None:
        self.window_s = window_s  # public: a config reload changes it in place
        self._last: dict[str, tuple[str, float]] = {}

    def is_duplicate(self, source: str, gtin: str, t: float) -> bool:
        """Record this valid read and say whether it repeats the previous one too soon."""
        previous = self._last.get(source)
        self._last[source] = (gtin, t)
        return previous is not None and previous[0] == gtin and t - previous[1] <= self.window_s

    def forget(self, source: str) -> None:
        """Drop a reader's state (e.g. when it was unplugged)."""
        self._last.pop(source, None)
