"""Keyboard layouts: which character a key position gives, per layout and modifier.

A USB HID barcode reader is a keyboard: it sends key *positions* (Linux key codes, named
after the US layout), and the text depends on the layout the reader was configured for.
A reader set to German swaps Y and Z; one set to French (AZERTY) sends Shift+key for
every digit, because the unshifted digit row gives ``&é"'(-è_çà``. Decoding with the
wrong table is the classic source of garbled scans, so the table is a config choice
(`scanner.layout`) and each one is spelled out here as data.

Each row string lists the characters of the keys in `_ROWS` order; ``\\0`` marks a
position that gives no character. Dead keys (circumflex and acute accent on German and French) are
taken literally: a reader never composes accents.
"""

from __future__ import annotations

from dataclasses import dataclass

from evdev import ecodes as e

__all__ = ["KEYPAD", "LAYOUTS", "Layout", "char_for"]

_ROWS: tuple[tuple[int, ...], ...] = (
    (e.KEY_GRAVE, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4, e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8,
     e.KEY_9, e.KEY_0, e.KEY_MINUS, e.KEY_EQUAL),
    (e.KEY_Q, e.KEY_W, e.KEY_E, e.KEY_R, e.KEY_T, e.KEY_Y, e.KEY_U, e.KEY_I, e.KEY_O,
     e.KEY_P, e.KEY_LEFTBRACE, e.KEY_RIGHTBRACE, e.KEY_BACKSLASH),
    (e.KEY_A, e.KEY_S, e.KEY_D, e.KEY_F, e.KEY_G, e.KEY_H, e.KEY_J, e.KEY_K, e.KEY_L,
     e.KEY_SEMICOLON, e.KEY_APOSTROPHE),
    (e.KEY_102ND, e.KEY_Z, e.KEY_X, e.KEY_C, e.KEY_V, e.KEY_B, e.KEY_N, e.KEY_M,
     e.KEY_COMMA, e.KEY_DOT, e.KEY_SLASH),
)

#: Keypad keys, as a reader in "keypad digits" mode sends them (NumLock assumed on: a
#: reader never means the navigation functions). Shift does not change them.
KEYPAD: dict[int, str] = {
    e.KEY_KP0: "0", e.KEY_KP1: "1", e.KEY_KP2: "2", e.KEY_KP3: "3", e.KEY_KP4: "4",
    e.KEY_KP5: "5", e.KEY_KP6: "6", e.KEY_KP7: "7", e.KEY_KP8: "8", e.KEY_KP9: "9",
    e.KEY_KPMINUS: "-", e.KEY_KPPLUS: "+", e.KEY_KPASTERISK: "*", e.KEY_KPSLASH: "/",
    e.KEY_KPDOT: ".", e.KEY_KPEQUAL: "=", e.KEY_KPCOMMA: ",",
}


@dataclass(frozen=True)
class Layout:
    """One layout: characters per key code for the plain, Shift and AltGr levels."""

    name: str
    plain: dict[int, str]
    shifted: dict[int, str]
    altgr: dict[int, str]
    keypad: dict[int, str]

    def is_letter(self, code: int) -> bool:
        """CapsLock applies to a key whose two levels are a lower/upper case pair."""
        low, up = self.plain.get(code), self.shifted.get(code)
        return low is not None and up is not None and low.isalpha() and up == low.upper() != low


def _layout(
    name: str, plain: tuple[str, ...], shifted: tuple[str, ...], altgr: dict[int, str],
    keypad: dict[int, str] | None = None,
) -> Layout:
    p: dict[int, str] = {e.KEY_SPACE: " "}
    s: dict[int, str] = {e.KEY_SPACE: " "}
    for codes, row_p, row_s in zip(_ROWS, plain, shifted, strict=True):
        if not len(codes) == len(row_p) == len(row_s):
            raise ValueError(f"layout {name}: row {row_p!r} does not match its keys")
        for code, cp, cs in zip(codes, row_p, row_s, strict=True):
            if cp != "\0":
                p[code] = cp
            if cs != "\0":
                s[code] = cs
    return Layout(name, p, s, altgr, {**KEYPAD, **(keypad or {})})


_US = _layout(
    "us",
    ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "<zxcvbnm,./"),
    ("~!@#$%^&*()_+", "QWERTYUIOP{}|", 'ASDFGHJKL:"', ">ZXCVBNM<>?"),
    {},
)
_UK = _layout(
    "uk",
    ("`1234567890-=", "qwertyuiop[]#", "asdfghjkl;'", "\\zxcvbnm,./"),
    ('¬!"£$%^&*()_+', "QWERTYUIOP{}~", "ASDFGHJKL:@", "|ZXCVBNM<>?"),
    {e.KEY_4: "€", e.KEY_GRAVE: "¦"},
)
_DE = _layout(
    "de",
    ("^1234567890ß\u00b4", "qwertzuiopü+#", "asdfghjklöä", "<yxcvbnm,.-"),
    ('°!"§$%&/()=?`', "QWERTZUIOPÜ*'", "ASDFGHJKLÖÄ", ">YXCVBNM;:_"),
    {
        e.KEY_Q: "@", e.KEY_7: "{", e.KEY_8: "[", e.KEY_9: "]", e.KEY_0: "}",
        e.KEY_MINUS: "\\", e.KEY_RIGHTBRACE: "~", e.KEY_102ND: "|", e.KEY_E: "€",
        e.KEY_2: "²", e.KEY_3: "³", e.KEY_M: "µ",
    },
    {e.KEY_KPDOT: ","},
)
_FR = _layout(
    "fr",
    ("²&é\"'(-è_çà)=", "azertyuiop^$*", "qsdfghjklmù", "<wxcvbn,;:!"),
    ("\x001234567890°+", "AZERTYUIOP¨£µ", "QSDFGHJKLM%", ">WXCVBN?./§"),
    {
        e.KEY_2: "~", e.KEY_3: "#", e.KEY_4: "{", e.KEY_5: "[", e.KEY_6: "|", e.KEY_7: "`",
        e.KEY_8: "\\", e.KEY_9: "^", e.KEY_0: "@", e.KEY_MINUS: "]", e.KEY_EQUAL: "}",
        e.KEY_E: "€",
    },
)

LAYOUTS: dict[str, Layout] = {lay.name: lay for lay in (_US, _UK, _DE, _FR)}


def char_for(layout: Layout, code: int, *, shift: bool, caps: bool, altgr: bool) -> str | None:
    """The character key `code` types, or None if it types nothing in this layout.

    CapsLock inverts Shift for letters only (Shift+CapsLock gives lower case, as on
    Linux); AltGr selects the third level where the layout has one.
    """
    if code in layout.keypad:
        return layout.keypad[code]
    if altgr:
        return layout.altgr.get(code)
    if caps and layout.is_letter(code):
        shift = not shift
    return (layout.shifted if shift else layout.plain).get(code)
