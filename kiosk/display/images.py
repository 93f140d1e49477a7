"""Display-ready photos: decode and scale once at download time, blit at show time.

Decoding a 1000×1000 JPEG and smooth-scaling it costs tens of milliseconds on a Pi,
more than a frame. The daemon's lookups call `prepare_image` (as `Display.prepare_image`,
for this screen's size and mode) once when a photo arrives from the API, or the first
time a cached photo is shown on a screen of another size; the cache keeps the result
beside the original, and showing the card later only wraps the raw pixels in a surface
(`load_prepared`, no decode, no scale).

Format: ``b"KIM1"``, one byte channel count (3 or 4), width and height as big-endian
uint16, then the raw RGB or RGBA rows.
"""

from __future__ import annotations

import io
import logging
import struct
from typing import Any, Literal

from kiosk.display._card import card_image_box
from kiosk.display.screens import Mode
from kiosk.imagecheck import image_problem, image_size

__all__ = ["MAGIC", "load_prepared", "prepare_image", "prepared_size"]

logger = logging.getLogger(__name__)

MAGIC = b"KIM1"
_HEADER = struct.Struct(">4sBHH")


def prepare_image(data: bytes, screen_size: tuple[int, int], mode: Mode) -> bytes | None:
    """Decode a JPEG/PNG, fit it to the card's photo box, return display-ready bytes.

    Returns None, with a warning in the journal, for a body that is not a decodable
    image (truncated download, an HTML error page, an empty body) or one whose header
    claims more pixels than `kiosk.imagecheck` allows: those are never decoded.
    """
    box = card_image_box(screen_size, mode)
    return prepare_for_box(data, (box.w, box.h))


def prepare_for_box(data: bytes, box: tuple[int, int]) -> bytes | None:
    import pygame
    import pygame.image
    import pygame.transform

    problem = image_problem(data)
    if problem is not None:
        logger.warning("image refused before decoding: %s", problem)
        return None
    hint = "x.png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "x.jpg"
    try:
        surf = pygame.image.load(io.BytesIO(data), hint)
    except (pygame.error, ValueError, OSError, MemoryError) as exc:
        logger.warning("image could not be decoded (%d bytes): %s", len(data), exc)
        return None
    iw, ih = surf.get_size()
    if (iw, ih) != image_size(data):
        logger.warning("image decoded to %dx%d, not the %s its header says", iw, ih,
                       image_size(data))
        return None
    alpha = bool(surf.get_flags() & pygame.SRCALPHA) or surf.get_colorkey() is not None
    if surf.get_bitsize() < 24 or surf.get_colorkey() is not None:
        flat = pygame.Surface((iw, ih), pygame.SRCALPHA, 32)
        flat.fill((0, 0, 0, 0))
        flat.blit(surf, (0, 0))
        surf = flat
    bw, bh = max(1, box[0]), max(1, box[1])
    scale = min(bw / iw, bh / ih)
    size = (max(1, round(iw * scale)), max(1, round(ih * scale)))
    if size != (iw, ih):
        try:
            surf = pygame.transform.smoothscale(surf, size)
        except (pygame.error, ValueError) as exc:
            logger.warning("image could not be scaled to %s: %s", size, exc)
            return None
    fmt: Literal["RGBA", "RGB"] = "RGBA" if alpha else "RGB"
    pixels = pygame.image.tobytes(surf, fmt)
    return _HEADER.pack(MAGIC, len(fmt), size[0], size[1]) + pixels


def prepared_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of prepared bytes, or None if they are not prepared bytes."""
    if len(data) < _HEADER.size:
        return None
    magic, channels, w, h = _HEADER.unpack_from(data)
    if magic != MAGIC or channels not in (3, 4) or len(data) != _HEADER.size + w * h * channels:
        return None
    return w, h


def load_prepared(data: bytes) -> Any:
    """A `pygame.Surface` over prepared bytes (no decoding); ValueError if malformed."""
    import pygame.image

    size = prepared_size(data)
    if size is None:
        raise ValueError("not a prepared image (bad header or length)")
    channels = data[4]
    view = memoryview(data)[_HEADER.size:]
    return pygame.image.frombuffer(view, size, "RGBA" if channels == 4 else "RGB")
