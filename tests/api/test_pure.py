"""Pure parts of the API layer: pacing, pricing, image completeness (back-off:
tests/test_backoff.py)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from kiosk.api.pacing import Pacer
from kiosk.api.pricing import Pricing
from kiosk.backoff import MAX_WAIT_S
from kiosk.imagecheck import image_kind
from tests.helpers import FakeClock


@pytest.mark.parametrize("reset", ["1e9", "inf", "-1", "nan"])
def test_rate_limit_reset_is_clamped(reset: str) -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    pacer.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    assert 0.0 <= pacer.delay() <= MAX_WAIT_S
    pacer.hold_off(float("inf"))
    assert pacer.delay() == MAX_WAIT_S


def test_pacer_spreads_requests_as_the_budget_runs_low() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(reserve=5, clock=clock)
    pacer.observe({"X-RateLimit-Remaining": "40", "X-RateLimit-Reset": "30"})
    pacer.sent()
    assert pacer.delay() == 0
    pacer.observe({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "30"})
    assert pacer.delay() == pytest.approx(10)
    pacer.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12"})
    assert pacer.delay() == pytest.approx(12)
    clock.now += 12
    pacer.observe({"X-RateLimit-Remaining": "59", "X-RateLimit-Reset": "1"})
    assert pacer.delay() == 0
    pacer.hold_off(5)
    assert pacer.delay() == pytest.approx(5)


def test_pricing_formula_matches_the_seed_examples() -> None:
    p = Pricing()
    assert p.product_cost(scopes=2, images=4) == 4.6
    assert p.product_cost(scopes=2, images=2) == 2.6
    assert p.product_cost(scopes=1, images=1) == 1.3
    assert Pricing.from_api({"per_scope_rate": 0.5, "per_image_rate": 2, "head_rate": 0.1,
                             "image_redirect_rate": 1.5}).product_cost(1, 1) == 2.5


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    import pygame

    surface = pygame.Surface((16, 16))
    surface.fill((200, 30, 30))
    buf = io.BytesIO()
    pygame.image.save(surface, buf, "x.jpg")
    return buf.getvalue()


def test_complete_images_are_recognised_and_cut_ones_are_not() -> None:
    png, jpeg = png_bytes(), jpeg_bytes()
    assert image_kind(png) == "png"
    assert image_kind(jpeg) == "jpeg"
    for data in (png, jpeg):
        for cut in (len(data) // 2, len(data) - 1, 10):
            assert image_kind(data[:cut]) is None
    assert image_kind(b"") is None
    assert image_kind(b"<html>not an image</html>") is None
    corrupted = bytearray(png)
    corrupted[40] ^= 0xFF
    assert image_kind(bytes(corrupted)) is None
