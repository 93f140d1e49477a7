"""From scanned text to the GTIN the catalog is keyed by (pure, strings only).

The catalog keys products as UPC-A (12 digits, leading zeros kept), EAN-13 and EAN-8
(see api-contract.md, "Barcodes"). Scanners send many spellings of the same product, so
`normalize()` maps each to that one form, and refuses anything else with a reason a human
can act on, before a single API credit is spent:

* EAN-13 starting with ``0`` is a UPC-A: the ``0`` is dropped. A GTIN-14 with leading
  zeros is reduced the same way, 14 -> 13 -> 12 digits as far as the zeros allow. A
  GTIN-14 that starts with a packaging indicator (1-9) stays 14 digits.
* 8 digits are ambiguous: UPC-E (as most scanners transmit it: number system, six data
  digits, check digit) or EAN-8. The rule: if the first digit is 0 or 1 and the UPC-E
  check digit (that of the expanded UPC-A) verifies, it is a UPC-E and expands to its
  UPC-A; otherwise, if the EAN-8 check digit verifies, it is an EAN-8 and kept as is.
  UPC-E is preferred because it is far more common on shelves than an EAN-8 starting
  with 0 or 1 (GS1 reserves the 0 prefix of EAN-8 for restricted circulation). An AIM
  symbology identifier settles it: ``]E4`` is EAN-8, ``]E0`` with 8 digits is UPC-E.
* The bare 6-digit UPC-E (no number system, no check digit) is refused: without a check
  digit nothing can be verified, and "always verify" is the rule.
* The GS1 mod-10 check digit is verified for every length. Codes are never turned into
  integers: leading zeros are part of the key.

A leading AIM symbology identifier (``]E0``, ``]C1``...) is understood; for the GS1
symbologies (GS1-128, DataBar, DataMatrix, QR) the GTIN is taken from application
identifier ``01`` at the start of the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.scanner.scan import Scan, printable

__all__ = [
    "Invalid",
    "Normalized",
    "check_digit",
    "gs1_gtin",
    "has_valid_check_digit",
    "normalize",
    "upca_to_upce",
    "upce_to_upca",
    "validate",
]

_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_GS1_AIM = {"]C1", "]e0", "]d2", "]Q3", "]J1"}


@dataclass(frozen=True)
class Normalized:
    """A valid product code in the catalog's form; `symbology` names what was scanned."""

    gtin: str
    symbology: str


@dataclass(frozen=True)
class Invalid:
    """Not a product code; `reason` is one printable human line."""

    reason: str


def check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for `body` (all digits but the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        total += d * 3 if i % 2 == 0 else d
    return str((10 - total % 10) % 10)


def has_valid_check_digit(code: str) -> bool:
    """True if the last digit of the all-digit `code` is its GS1 mod-10 check digit."""
    return len(code) >= 2 and code.isascii() and code.isdigit() and (
        check_digit(code[:-1]) == code[-1]
    )


def upce_to_upca(upce: str) -> str:
    """Expand an 8-digit UPC-E (number system, 6 digits, check digit) to its UPC-A.

    The check digit is carried over unchanged; whether it verifies is the caller's test.
    """
    ns, d, check = upce[0], upce[1:7], upce[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def upca_to_upce(upca: str) -> str | None:
    """Compress a UPC-A to its 8-digit UPC-E, or None when it has no UPC-E form."""
    ns, mfr, prod, check = upca[0], upca[1:6], upca[6:11], upca[11]
    if ns not in "01":
        return None
    if mfr[2] in "012" and mfr[3:5] == "00" and prod[0:2] == "00":
        mid = mfr[0:2] + prod[2:5] + mfr[2]
    elif mfr[3:5] == "00" and prod[0:3] == "000":
        mid = mfr[0:3] + prod[3:5] + "3"
    elif mfr[4] == "0" and prod[0:4] == "0000":
        mid = mfr[0:4] + prod[4] + "4"
    elif mfr[4] != "0" and prod[0:4] == "0000" and prod[4] in "56789":
        mid = mfr[0:5] + prod[4]
    else:
        return None
    return ns + mid + check


def _reduce(code: str) -> str:
    """Drop leading zeros of a 13/14-digit GTIN down to 12 digits at most."""
    while len(code) > 12 and code[0] == "0":
        code = code[1:]
    return code


def _bad_check(code: str) -> str:
    return f"check digit should be {check_digit(code[:-1])}, not {code[-1]}"


def _eight(code: str, aim: str | None) -> Normalized | Invalid:
    upce_ok = code[0] in "01" and has_valid_check_digit(upce_to_upca(code))
    ean8_ok = has_valid_check_digit(code)
    if aim == "]E4":
        return Normalized(code, "EAN-8") if ean8_ok else Invalid(f"EAN-8: {_bad_check(code)}")
    if upce_ok:
        return Normalized(upce_to_upca(code), "UPC-E")
    if ean8_ok and aim != "]E0":
        return Normalized(code, "EAN-8")
    if code[0] in "01":
        as_upce = check_digit(upce_to_upca(code)[:-1])
        return Invalid(
            f"check digit should be {as_upce} (as UPC-E) or {check_digit(code[:-1])} "
            f"(as EAN-8), not {code[-1]}"
        )
    return Invalid(f"EAN-8: {_bad_check(code)}")


def normalize(text: str) -> Normalized | Invalid:
    """Map scanned text to the catalog's GTIN form, or say why it is not a product code."""
    text = text.strip(" ")
    aim: str | None = None
    if _AIM.match(text):
        aim, text = text[:3], text[3:]
        if aim in _GS1_AIM:
            if not (text.startswith("01") and len(text) >= 16):
                return Invalid(f"GS1 data without a GTIN (AI 01) at its start ({aim})")
            text = text[2:16]
    if not text:
        return Invalid("empty scan")
    if len(text) > 20:
        return Invalid(f"{len(text)} characters: too long for a GTIN")
    for pos, ch in enumerate(text, start=1):
        if not ("0" <= ch <= "9"):
            return Invalid(f"'{printable(ch)}' at position {pos}: a GTIN has digits only")
    n = len(text)
    if n == 6:
        return Invalid("6 digits: a UPC-E without number system and check digit cannot be verified")
    if n == 8:
        return _eight(text, aim)
    if n not in (12, 13, 14):
        return Invalid(f"{n} digits: not a GTIN length (8, 12, 13 or 14)")
    if not has_valid_check_digit(text):
        return Invalid(_bad_check(text))
    reduced = _reduce(text)
    symbology = {12: "UPC-A", 13: "EAN-13", 14: "GTIN-14"}[n]
    return Normalized(reduced, symbology)


def validate(scan: Scan) -> Normalized | Invalid:
    """A scan's verdict: the reader's own `problem` wins, then the text is normalized."""
    if scan.problem is not None:
        return Invalid(scan.problem)
    return normalize(scan.raw)


def gs1_gtin(text: str) -> str:
    """`normalize` as the price file's `Normalize` (`kiosk.prices`): the GTIN, or
    ValueError with the reason. The daemon and `kiosk check-prices` both pass it, so a
    price file's barcode and a scan of it meet at the same key."""
    verdict = normalize(text)
    if isinstance(verdict, Invalid):
        raise ValueError(verdict.reason)
    return verdict.gtin
