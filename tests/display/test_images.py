from __future__ import annotations

import io

import pygame
import pytest

from kiosk.display.images import load_prepared, prepare_image, prepared_size
from kiosk.display.layout import card_image_box
from tests.barcodes import FISH


def _encode(surf: pygame.Surface, name: str) -> bytes:
    buf = io.BytesIO()
    pygame.image.save(surf, buf, name)
    return buf.getvalue()


def _photo(size: tuple[int, int] = (1000, 1000)) -> pygame.Surface:
    surf = pygame.Surface(size)
    surf.fill((255, 255, 255))
    pygame.draw.rect(surf, (20, 80, 200), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    return surf


@pytest.mark.parametrize("screen", [(800, 480), (1920, 1080), (320, 480)])
@pytest.mark.parametrize("mode", ["shopper", "staff"])
def test_jpeg_is_fitted_to_the_card_box(screen: tuple[int, int], mode: str) -> None:
    prepared = prepare_image(_encode(_photo((1000, 1500)), "x.jpg"), screen, mode)  # type: ignore[arg-type]
    assert prepared is not None
    box = card_image_box(screen, mode)  # type: ignore[arg-type]
    w, h = prepared_size(prepared) or (0, 0)
    assert h == box.h and w <= box.w  # tall image: fitted by height, aspect kept
    assert abs(w / h - 1000 / 1500) < 0.02


def test_transparent_png_keeps_alpha_and_round_trips() -> None:
    surf = pygame.Surface((400, 400), pygame.SRCALPHA)
    surf.fill((0, 0, 0, 0))
    pygame.draw.circle(surf, (250, 10, 10, 255), (200, 200), 100)
    prepared = prepare_image(_encode(surf, "x.png"), (800, 480), "shopper")
    assert prepared is not None and prepared[4] == 4
    loaded = load_prepared(prepared)
    w, h = loaded.get_size()
    c = loaded.get_at((w // 2, h // 2))
    assert c.r > 240 and c.g < 20 and c.b < 20 and c.a > 245
    assert loaded.get_at((1, 1)).a == 0


def test_prepared_bytes_load_without_decoding() -> None:
    prepared = prepare_image(_encode(_photo(), "x.jpg"), (800, 480), "shopper")
    assert prepared is not None and prepared[:4] == b"KIM1"
    loaded = load_prepared(prepared)
    w, h = loaded.get_size()
    c = loaded.get_at((w // 2, h // 2))
    assert abs(c.r - 20) < 12 and abs(c.g - 80) < 12 and abs(c.b - 200) < 12


def test_sandbox_packshots_prepare() -> None:
    images = pytest.importorskip("kiosk.sandbox.images")
    from kiosk.sandbox.catalog import build_catalog

    product = build_catalog()[FISH]
    for variant in ("front", "front_clean"):
        prepared = prepare_image(images.render(product, variant), (1024, 600), "shopper")
        assert prepared is not None and prepared_size(prepared) is not None


@pytest.mark.parametrize("body", [b"", b"<html>502 Bad Gateway</html>", b"\x89PNG\r\n\x1a\n",
                                  b"\xff\xd8\xff\xe0" + b"\x00" * 64, bytes(range(256)) * 4])
def test_not_an_image_gives_none(body: bytes) -> None:
    assert prepare_image(body, (800, 480), "shopper") is None


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_jpeg_does_not_crash(keep: float) -> None:
    data = _encode(_photo(), "x.jpg")
    out = prepare_image(data[: int(len(data) * keep)], (800, 480), "shopper")
    # libjpeg may salvage the top of a truncated file; either way the result is usable.
    assert out is None or load_prepared(out).get_size() == prepared_size(out)


def test_truncated_png_does_not_crash() -> None:
    data = _encode(_photo(), "x.png")
    out = prepare_image(data[: len(data) // 2], (800, 480), "shopper")
    assert out is None or prepared_size(out) is not None


@pytest.mark.parametrize("bad", [b"", b"KIM1", b"KIM1\x03\x00\x02\x00\x02" + b"\x00" * 5,
                                 b"XXXX\x03\x00\x01\x00\x01abc"])
def test_load_prepared_rejects_malformed(bad: bytes) -> None:
    with pytest.raises(ValueError):
        load_prepared(bad)
