"""Text measurement, wrapping, ellipsizing and right-to-left reordering.

Layout is only exact if it measures with the font the painter renders with, so
`FontMeasure` wraps `pygame.font` (which needs `pygame.font.init()` only, no window).
Lines are broken in logical order and each finished line is then reordered for display
with python-bidi, which is how the Unicode bidi algorithm expects line breaking to work:
Hebrew notes read right to left, embedded numbers and Latin words keep their order.
Text is never cut mid-glyph: a line that does not fit loses whole characters and ends
with an ellipsis.

The cost of a layout is bounded by the screen, not by the text: no line is measured
longer than `probe_limit(max_w)` characters (a glyph is at least a pixel wide, give or
take combining marks), a paragraph wraps into at most `MAX_WRAP_LINES` lines, and the
caches keep short strings only, so a 16 KB word costs no more than a long name.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "DEFAULT_BOLD",
    "DEFAULT_REGULAR",
    "ELLIPSIS",
    "MAX_WRAP_LINES",
    "FontMeasure",
    "Measure",
    "ellipsize",
    "has_rtl",
    "probe_limit",
    "visual",
    "wrap",
]

logger = logging.getLogger(__name__)

ELLIPSIS = "…"
DEFAULT_REGULAR = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEFAULT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
MAX_WRAP_LINES = 200
"""More lines than any screen holds; the rest of a paragraph is cut with "…"."""
_LONG_WORD = 48
_CACHED_CHARS = 256
"""Strings longer than this are measured every time rather than kept as cache keys."""


def probe_limit(max_w: int) -> int:
    """The most characters worth measuring for a line `max_w` pixels wide."""
    return 4 * max(0, max_w) + 8


class Measure(Protocol):
    """How wide a string is and how tall a line is, in pixels, at a size and weight."""

    def width(self, text: str, size: int, bold: bool = False) -> int: ...

    def line_height(self, size: int, bold: bool = False) -> int: ...


class FontMeasure:
    """Measure and render with real TrueType fonts, caching one `Font` per size and weight.

    `font` overrides the regular face (its bold is synthesised by SDL_ttf unless a
    sibling "-Bold" file exists). Missing files fall back to pygame's bundled font so a
    kiosk with a broken font path still shows something.
    """

    def __init__(self, font: Path | None = None) -> None:
        import pygame.font

        if not pygame.font.get_init():
            pygame.font.init()
        self._fonts: dict[tuple[int, bool], Any] = {}
        self._widths: dict[tuple[str, int, bool], int] = {}
        self._regular, self._bold, self._fake_bold = _resolve(font)

    def font(self, size: int, bold: bool = False) -> Any:
        key = (size, bold)
        f = self._fonts.get(key)
        if f is None:
            import pygame.font

            path = self._bold if bold else self._regular
            f = pygame.font.Font(str(path) if path is not None else None, size)
            if bold and self._fake_bold:
                f.bold = True
            self._fonts[key] = f
        return f

    def width(self, text: str, size: int, bold: bool = False) -> int:
        if len(text) > _CACHED_CHARS:
            return int(self.font(size, bold).size(text)[0])
        key = (text, size, bold)
        w = self._widths.get(key)
        if w is None:
            w = int(self.font(size, bold).size(text)[0]) if text else 0
            if len(self._widths) > 20000:
                self._widths.clear()
            self._widths[key] = w
        return w

    def line_height(self, size: int, bold: bool = False) -> int:
        return int(self.font(size, bold).get_linesize())


def _resolve(font: Path | None) -> tuple[Path | None, Path | None, bool]:
    if font is not None:
        if font.is_file():
            sibling = font.with_name(font.stem + "-Bold" + font.suffix)
            if sibling.is_file():
                return font, sibling, False
            return font, font, True
        logger.warning("font %s not found; falling back to DejaVu Sans", font)
    if DEFAULT_REGULAR.is_file():
        bold = DEFAULT_BOLD if DEFAULT_BOLD.is_file() else DEFAULT_REGULAR
        return DEFAULT_REGULAR, bold, bold == DEFAULT_REGULAR
    logger.warning("DejaVu Sans not found; using pygame's default font (no Hebrew glyphs)")
    return None, None, True


def has_rtl(text: str) -> bool:
    return _has_rtl(text) if len(text) <= _CACHED_CHARS else _scan_rtl(text)


@lru_cache(maxsize=4096)
def _has_rtl(text: str) -> bool:
    return _scan_rtl(text)


def _scan_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL", "RLE", "RLO", "RLI") for ch in text)


def visual(line: str) -> str:
    """One line in display order; left-to-right text is returned unchanged."""
    if not has_rtl(line):
        return line
    from bidi import get_display

    return str(get_display(line))


def ellipsize(text: str, size: int, bold: bool, max_w: int, m: Measure) -> str:
    """`text` if it fits in `max_w`, else its longest fitting prefix plus an ellipsis."""
    limit = probe_limit(max_w)
    if len(text) <= limit and m.width(visual(text), size, bold) <= max_w:
        return text
    lo, hi = 0, min(len(text), limit)
    while lo < hi:  # largest n with prefix(n) + "…" fitting
        mid = (lo + hi + 1) // 2
        if m.width(visual(text[:mid].rstrip() + ELLIPSIS), size, bold) <= max_w:
            lo = mid
        else:
            hi = mid - 1
    candidate = text[:lo].rstrip()
    if lo and " " in candidate and lo < len(text) and text[lo] != " ":
        word_cut = candidate.rsplit(" ", 1)[0].rstrip(" ,;:-–—")
        if len(word_cut) >= lo * 0.6:
            candidate = word_cut
    out = candidate + ELLIPSIS
    return out if m.width(visual(out), size, bold) <= max_w else ""


def wrap(
    text: str, size: int, bold: bool, max_w: int, m: Measure, max_lines: int | None = None
) -> list[str]:
    """Greedy word wrap into logical-order lines; the last kept line is ellipsized.

    Returned lines are logical; pass each through `visual` before drawing it.
    """
    max_lines = MAX_WRAP_LINES if max_lines is None else min(max_lines, MAX_WRAP_LINES)
    if max_lines <= 0:
        return []
    limit = probe_limit(max_w)
    words = text.split()
    lines: list[str] = []
    cur = ""
    i = 0
    while i < len(words):
        trial = f"{cur} {words[i]}" if cur else words[i]
        fit: int | None = None
        if not cur and len(trial) > _LONG_WORD:
            # Measuring a long word whole, again after every line cut from it, would
            # cost its length squared: find how much of it fits instead.
            fit = _fit_chars(trial, size, bold, max_w, m)
            if fit >= len(trial):
                cur = trial
                i += 1
                continue
        elif len(trial) <= limit and m.width(visual(trial), size, bold) <= max_w:
            cur = trial
            i += 1
            continue
        if cur:
            lines.append(cur)
            cur = ""
        else:  # a single word wider than the line: break it between characters
            n = fit if fit is not None else _fit_chars(words[i], size, bold, max_w, m)
            lines.append(words[i][:n])
            words[i] = words[i][n:]
            if not words[i]:
                i += 1
        if len(lines) >= max_lines and i < len(words):
            rest = " ".join(words[i:])[:limit]
            lines[-1] = ellipsize(f"{lines[-1]} {rest}", size, bold, max_w, m)
            return lines
    if cur:
        lines.append(cur)
    return lines


def _fit_chars(word: str, size: int, bold: bool, max_w: int, m: Measure) -> int:
    """The longest prefix of `word` that fits (at least one character): galloping up
    from a short prefix, then a binary search, so the cost follows what fits."""
    cap = min(len(word), probe_limit(max_w))
    lo, n = 1, min(cap, 8)
    while m.width(visual(word[:n]), size, bold) <= max_w:
        lo = n
        if n == cap:
            return cap
        n = min(cap, n * 2)
    hi = n - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if m.width(visual(word[:mid]), size, bold) <= max_w:
            lo = mid
        else:
            hi = mid - 1
    return lo
