"""Validation of the strings that become database keys and file names.

Barcodes are strings (leading zeros matter: `017000161563` is not `17000161563`), and
they end up in cache file names, so anything but a short run of letters and digits is
refused before it can reach the file system.
"""

from __future__ import annotations

import re

__all__ = ["check_barcode", "check_image_key"]

_BARCODE = re.compile(r"[0-9A-Za-z]{1,64}")
_IMAGE_KEY = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,63}")


def check_barcode(barcode: str) -> str:
    if not isinstance(barcode, str):
        raise TypeError(f"a barcode is a string, not {type(barcode).__name__}: {barcode!r}")
    if not _BARCODE.fullmatch(barcode):
        raise ValueError(f"not a normalized barcode: {barcode!r}")
    return barcode


def check_image_key(key: str) -> str:
    if not isinstance(key, str) or not _IMAGE_KEY.fullmatch(key):
        raise ValueError(f"image key must be 1-64 of [A-Za-z0-9_.-]: {key!r}")
    return key
