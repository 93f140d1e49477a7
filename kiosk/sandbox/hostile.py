"""Hostile answers: the bodies a broken or malicious API could send, made on demand.

The `hostile=NAME` fault (see `kiosk.sandbox.faults`) replaces the body of the next
matching 200 answer with one of these, *after* it was charged, as a real API would
have charged it. Images go on a signed-URL path (`path=/image`), JSON on a product
(`path=/products/…`):

    png_bomb      a 70-byte PNG whose header claims 20000x20000 pixels
    jpeg_bomb     a small JPEG whose frame header claims 65000x65000 pixels
    huge_image    a valid 5000x5000 greyscale PNG (decodes to 25 MB, 75 MB as RGB)
    gzip_bomb     200 MB of zeros as a 200 KB `Content-Encoding: gzip` body
    endless       a body that never ends (no Content-Length, 64 KB chunks)
    drip          the real body, one byte every `seconds` (default 1)
    huge_json     the real product with a 3 MB note: valid JSON, too large
    deep_json     the real product with 100,000 nested arrays in it
    wrong_types   every field of the real product of the wrong JSON type
    hostile_text  every string of the real product full of control characters, escape
                  sequences, bidi overrides, lone surrogates and emoji
    truncated     the real body cut at `fraction` (default 0.5) under the Content-Length
                  of the whole: the connection closes before the body is complete
    reset         the same, then a TCP reset instead of an orderly close
    html          a proxy's or load balancer's HTML page, answered as a 200

Each generator is a pure function of its parameters and cached, so a test run makes
each body once.
"""

from __future__ import annotations

import functools
import io
import json
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["BODIES", "HostileBody", "drip", "endless", "gzip_bomb", "huge_png", "jpeg_bomb",
           "png_bomb"]

_HOSTILE_TEXT = ("\x00\x1b[2J\x1b]0;pwned\x07\u202etxet desrever\u202c \ud800\udfff "
                 "🥫👨\u200d👩\u200d👧 \n\rSTATUS=injected\t\x7f\x85\u2028 שָׁלוֹם "
                 + "\u0301" * 40)


class HostileBody:
    """What replaces a body: bytes, or a stream of chunks, and extra headers."""

    def __init__(self, body: bytes = b"", *, stream: Iterator[bytes] | None = None,
                 content_type: str | None = None, headers: dict[str, str] | None = None,
                 reset: bool = False) -> None:
        self.reset = reset  # end with a TCP reset after the body
        self.body = body
        self.stream = stream
        self.content_type = content_type
        self.headers = headers or {}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def _png(width: int, height: int, color_type: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


@functools.cache
def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A complete, well-formed PNG (every CRC right) with almost no pixel data."""
    return _png(width, height, 2, zlib.compress(b""))


@functools.cache
def huge_png(width: int = 5000, height: int = 5000) -> bytes:
    """A real, fully decodable black greyscale PNG of `width` x `height`."""
    z = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte 0, then the pixels
    parts = [z.compress(row) for _ in range(height)]
    parts.append(z.flush())
    return _png(width, height, 0, b"".join(parts))


@functools.cache
def jpeg_bomb(width: int = 65000, height: int = 65000) -> bytes:
    """A small real JPEG whose frame header is rewritten to claim `width` x `height`."""
    import pygame
    import pygame.image

    buf = io.BytesIO()
    pygame.image.save(pygame.Surface((8, 8)), buf, "x.jpg")
    data = bytearray(buf.getvalue())
    pos = 2
    while pos + 4 <= len(data):
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[pos + 5:pos + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        pos += 2 + length
    raise RuntimeError("pygame wrote a JPEG without a frame header")


@functools.cache
def gzip_bomb(megabytes: int = 200) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip container
    block = b"\x00" * (1 << 20)
    parts = [z.compress(block) for _ in range(megabytes)]
    parts.append(z.flush())
    return b"".join(parts)


def endless() -> Iterator[bytes]:
    chunk = b" " * 65536
    while True:
        yield chunk


def drip(body: bytes, seconds: float) -> Iterator[bytes]:
    for i in range(len(body)):
        yield body[i:i + 1]
        time.sleep(seconds)


def _huge_json(record: dict[str, Any]) -> bytes:
    record = json.loads(json.dumps(record))
    record.setdefault("product_meta", {})["notes"] = "x" * (3 * 1024 * 1024)
    return json.dumps(record).encode()


def _deep_json(record: dict[str, Any]) -> bytes:
    text = json.dumps({**record, "deep": "@@DEEP@@"})
    return text.replace('"@@DEEP@@"', "[" * 100_000 + "]" * 100_000).encode()


def _wrong(value: Any) -> Any:
    """A value of another JSON type than `value`, chosen to trip a careless reader."""
    if isinstance(value, str):
        return [value, {"nested": value}]
    if isinstance(value, bool):
        return "definitely"
    if isinstance(value, int | float):
        return {"amount": str(value)}
    if isinstance(value, list):
        return {"0": value}
    if isinstance(value, dict):
        return [_wrong(v) for v in value.values()] or "none"
    return 1e308


def _wrong_types(record: dict[str, Any]) -> bytes:
    meta = record.get("product_meta") or {}
    broken = {k: _wrong(v) for k, v in meta.items()}
    broken["product_name"] = 12345
    return json.dumps({**record, "barcode": {"digits": record.get("barcode")},
                       "product_meta": broken, "images": "front",
                       "meta": {"credits_debited": "1.3", "credits_remaining": [],
                                "request_id": {"id": 1}}}).encode()


def _hostile(value: Any) -> Any:
    if isinstance(value, str):
        return _HOSTILE_TEXT + value + _HOSTILE_TEXT
    if isinstance(value, list):
        return [_hostile(v) for v in value]
    if isinstance(value, dict):
        return {k: _hostile(v) for k, v in value.items()}
    return value


def _hostile_text(record: dict[str, Any]) -> bytes:
    meta = _hostile(record.get("product_meta") or {})
    # ensure_ascii writes lone surrogates as \ud800 escapes, which json.loads returns as is.
    return json.dumps({**record, "product_meta": meta}, ensure_ascii=True).encode()


JSON_BODIES: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "huge_json": _huge_json, "deep_json": _deep_json, "wrong_types": _wrong_types,
    "hostile_text": _hostile_text,
}
IMAGE_BODIES: dict[str, Callable[[], bytes]] = {
    "png_bomb": png_bomb, "jpeg_bomb": jpeg_bomb, "huge_image": huge_png,
}
BODIES = (*JSON_BODIES, *IMAGE_BODIES, "gzip_bomb", "endless", "drip", "truncated", "reset",
          "html")
_HTML = b"<html><head><title>Gateway</title></head><body><h1>OK</h1>nginx</body></html>"


def replace_body(name: str, body: bytes, params: dict[str, Any]) -> HostileBody:
    """The hostile stand-in for `body` (the 200 answer it replaces)."""
    if name in JSON_BODIES:
        return HostileBody(JSON_BODIES[name](json.loads(body)),
                           content_type="application/json")
    if name in IMAGE_BODIES:
        return HostileBody(IMAGE_BODIES[name]())
    if name == "gzip_bomb":
        return HostileBody(gzip_bomb(int(params.get("megabytes", 200))),
                           headers={"Content-Encoding": "gzip"})
    if name == "endless":
        return HostileBody(stream=endless())
    if name == "drip":
        return HostileBody(stream=drip(body, float(params.get("seconds", 1.0))))
    if name in ("truncated", "reset"):
        cut = body[:int(len(body) * float(params.get("fraction", 0.5)))]
        return HostileBody(stream=iter([cut]), headers={"Content-Length": str(len(body))},
                           reset=name == "reset")
    if name == "html":
        return HostileBody(_HTML, content_type="text/html")
    raise ValueError(f"unknown hostile body {name!r}; known: {', '.join(BODIES)}")
