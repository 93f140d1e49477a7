"""Text from outside the kiosk made safe: for the screen, and for admin surfaces.

Two different jobs, so two functions:

- `clean_text` is for what a shopper reads (product text from the API or the cache).
  Characters no font draws and no painter accepts go: C0/C1 controls (a NUL makes
  SDL_ttf raise), lone surrogates (cannot be encoded, so neither drawn nor stored),
  noncharacters, and the bidi embedding, override and isolate controls (an unclosed
  RLO would reverse the rest of a line; python-bidi orders Hebrew without them).
  Runs of combining marks are cut short, whitespace is collapsed and the length
  capped, so layout time and cache size are bounded by the kiosk, not by the API. Text
  left with nothing visible (a lone soft hyphen) becomes empty: SDL_ttf refuses to
  render text of zero width.
- `escape_controls` is for what an admin reads (`kiosk status`, `kiosk lookup`,
  systemd's `STATUS=`, the status file): nothing is dropped, every control character is
  shown as an escape (`\\x1b`, `\\u202e`), so an escape sequence cannot repaint a
  terminal and a newline cannot start a second `STATUS=` line, yet Hebrew stays
  readable. Backslashes are left as they are, so escaping twice changes nothing.
"""

from __future__ import annotations

import unicodedata

__all__ = ["ELLIPSIS", "MAX_COMBINING", "clean_text", "escape_controls"]

ELLIPSIS = "…"
MAX_COMBINING = 4
"""Combining marks kept after one base character (Hebrew points need 2 or 3)."""

# Explicit bidi formatting: LRE RLE PDF LRO RLO, LRI RLI FSI PDI. LRM/RLM (200E/200F)
# are ordinary marks that Hebrew text legitimately carries, and stay.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Format characters and combining marks: nothing to draw without a base character.
_INVISIBLE = frozenset({"Cf", "Mn", "Me"})
_SPACES = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def _dropped(ch: str) -> bool:
    code = ord(ch)
    if ch in _BIDI_CONTROLS or ch == "\ufeff":
        return True
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:  # noncharacters
        return True
    return unicodedata.category(ch) in ("Cc", "Cs")


def clean_text(value: str, max_len: int) -> str:
    """`value` without undrawable characters, whitespace collapsed, at most `max_len`
    characters (cut with "…"). Idempotent: cleaning a cleaned string changes nothing."""
    if value.isascii() and value.isprintable():  # most catalog text: nothing to drop
        return _cut(" ".join(value.split()), max_len)
    out: list[str] = []
    marks = 0
    for ch in value:
        if ch in _SPACES:
            out.append(" ")
            marks = 0
            continue
        if _dropped(ch):
            continue
        if unicodedata.combining(ch):
            marks += 1
            if marks > MAX_COMBINING:
                continue
        else:
            marks = 0
        out.append(ch)
    text = " ".join("".join(out).split())
    if all(unicodedata.category(ch) in _INVISIBLE for ch in text):
        return ""  # a soft hyphen or a joiner alone: SDL_ttf refuses text of zero width
    return _cut(text, max_len)


def _cut(text: str, max_len: int) -> str:
    if len(text) > max_len:
        text = text[: max(0, max_len - 1)].rstrip() + ELLIPSIS
    return text


def escape_controls(value: str, max_len: int | None = None) -> str:
    """`value` with every control, format-control, surrogate and separator character
    written as a Python-style escape; everything else unchanged. Optionally cut."""
    out: list[str] = []
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") or _dropped(ch):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    text = "".join(out)
    if max_len is not None and len(text) > max_len:
        text = text[: max(0, max_len - 1)] + ELLIPSIS
    return text
