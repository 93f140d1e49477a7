"""Checks of image bytes before anything decodes them: complete, of a known kind, small.

A signed-URL download can be cut short by a proxy or a flaky link and still arrive
with a matching Content-Length. Such a body must count as "no image", not be cached
and later crash the painter, so `image_kind` checks the container is complete: a JPEG
from its SOI marker to its EOI marker, a PNG from its signature to its IEND chunk.

A complete image can still be hostile: a 70-byte PNG may claim 20000x20000 pixels, and
decoding allocates for the claim (1.6 GB) before it reads a single pixel. `image_size`
reads the dimensions from the header (PNG's IHDR, a JPEG's first SOF marker) without
decoding, and `image_problem` refuses anything above `MAX_PIXELS` or `MAX_SIDE`, so a
decode never needs more than 16 MB. The API's photos are 1000x1000 (legacy ones
smaller), well inside the bounds.

Pure functions over bytes, with no dependencies: the API client checks a download here
and the display checks again before it decodes (a cache written by an older version).
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["MAX_IMAGE_BYTES", "MAX_PIXELS", "MAX_SIDE", "image_kind", "image_problem",
           "image_size"]

MAX_IMAGE_BYTES = 8 * 1024 * 1024
"""A photo's file is 50 KB to 1 MB; anything past this is not a product photo."""
MAX_SIDE = 4096
MAX_PIXELS = 2048 * 2048

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def image_kind(data: bytes) -> str | None:
    """'jpeg' or 'png' when `data` is a complete image of that kind, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg" if _jpeg_complete(data) else None
    if data.startswith(_PNG_SIGNATURE):
        return "png" if _png_complete(data) else None
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's or PNG's header, without decoding; None if unreadable."""
    if data.startswith(_PNG_SIGNATURE):
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def image_problem(data: bytes) -> str | None:
    """Why these bytes must not be decoded, or None when they may be."""
    if len(data) > MAX_IMAGE_BYTES:
        return f"{len(data)} bytes, more than {MAX_IMAGE_BYTES}"
    kind = image_kind(data)
    if kind is None:
        return f"not a complete JPEG or PNG ({len(data)} bytes)"
    size = image_size(data)
    if size is None:
        return f"{kind} without a readable size"
    width, height = size
    if width <= 0 or height <= 0:
        return f"{kind} of {width}x{height} pixels"
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        return (f"{kind} of {width}x{height} pixels, more than {MAX_SIDE} a side or "
                f"{MAX_PIXELS} in all")
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos, end = 2, len(data)
    while pos < end:
        if data[pos] != 0xFF:
            return None
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            return None
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            continue
        if marker in (0xD8, 0xD9, 0xDA) or pos + 2 > end:
            return None  # a scan (or the end) before any frame header
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        if length < 2:
            return None
        if marker in _SOF:
            if length < 7 or pos + 7 > end:
                return None
            height, width = struct.unpack(">HH", data[pos + 3:pos + 7])
            return width, height
        pos += length
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
