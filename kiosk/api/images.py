"""Structural checks of downloaded image bytes.

A signed-URL download can be cut short by a proxy or a flaky link and still arrive
with a matching Content-Length. Such a body must count as "no image", not be cached
and later crash the painter, so the client checks the container is complete: a JPEG
from its SOI marker to its EOI marker, a PNG from its signature to its IEND chunk.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["image_kind"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_kind(data: bytes) -> str | None:
    """'jpeg' or 'png' when `data` is a complete image of that kind, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg" if _jpeg_complete(data) else None
    if data.startswith(_PNG_SIGNATURE):
        return "png" if _png_complete(data) else None
    return None


def _jpeg_complete(data: bytes) -> bool:
    # Trailing padding after EOI is legal and common; the EOI must be there.
    tail = data.rstrip(b"\x00")
    return len(tail) > 4 and tail.endswith(b"\xff\xd9")


def _png_complete(data: bytes) -> bool:
    pos = len(_PNG_SIGNATURE)
    seen_idat = False
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return False
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[pos + 4 : end - 4]) != crc:
            return False
        seen_idat = seen_idat or kind == b"IDAT"
        if kind == b"IEND":
            return seen_idat
        pos = end
    return False
