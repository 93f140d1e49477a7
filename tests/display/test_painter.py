"""The painter and the Display on SDL's dummy driver: pixels where they must be."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pygame
import pytest

from kiosk.config import DisplayConfig
from kiosk.display import Card, Display, Idle, NotFound, ScannerDisconnected, StatusInfo
from kiosk.display.commands import Arrow, Box, Fill, Layout
from kiosk.display.layout import card_image_box, layout
from kiosk.display.theme import KOSHER_COLORS, PALETTE
from kiosk.product import Product
from tests.barcodes import UNKNOWN
from tests.display.checks import pixel
from tests.display.samples import CEREAL, edge_cases


def _jpeg(size: tuple[int, int] = (600, 900), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    surf = pygame.Surface(size)
    surf.fill(color)
    buf = io.BytesIO()
    pygame.image.save(surf, buf, "x.jpg")
    return buf.getvalue()


def on_screen(d: Display, status: StatusInfo | None = None) -> Layout:
    """Where what `d` shows was put: the layout of its state for its size and mode (what
    it painted from), so a test can look at the pixels of one element."""
    return layout(d.state, d.size, d.mode, d.measure, status=status)


@pytest.fixture
def display() -> Iterator[Display]:
    d = Display(DisplayConfig(fullscreen=False, size=[800, 480], card_seconds=20,
                              dim_after_s=60, blank_after_s=120), now=1000.0)
    yield d
    d.close()


def _close(a: tuple[int, int, int], b: tuple[int, int, int], tol: int = 12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_card_image_is_painted_in_its_box(display: Display) -> None:
    image = display.prepare_image(_jpeg())
    assert image is not None
    display.show(Card(Product.from_api(CEREAL), image), now=1001.0)
    box = card_image_box(display.size, "shopper")
    cx, cy = box.x + box.w // 2, box.y + box.h // 2
    assert _close(pixel(cx, cy), (200, 30, 30))
    # The image is taller than wide: fitted by height, so the box's left edge stays panel.
    assert _close(pixel(box.x + 2, cy), PALETTE.panel)


def test_placeholder_instead_of_a_missing_image(display: Display) -> None:
    display.show(Card(Product.from_api(CEREAL), None), now=1001.0)
    box = card_image_box(display.size, "shopper")
    assert _close(pixel(box.x + box.w // 8, box.y + box.h // 2), PALETTE.placeholder)


def test_the_photo_arriving_changes_only_the_photo_box(display: Display) -> None:
    product = Product.from_api(CEREAL)
    box = card_image_box(display.size, "shopper")
    cx, cy = box.x + box.w // 2, box.y + box.h // 2
    display.show(Card(product, None, photo_pending=True), now=1001.0)
    assert _close(pixel(cx, cy), PALETTE.placeholder)
    before = _screen_outside(box)
    image = display.prepare_image(_jpeg())
    display.show(Card(product, image), now=1001.5)
    assert _close(pixel(cx, cy), (200, 30, 30))
    assert _screen_outside(box) == before


def _screen_outside(box: Box) -> bytes:
    """The window's pixels with `box` blanked: what must not change around the photo."""
    shot = pygame.display.get_surface().copy()
    shot.fill((0, 0, 0), box.as_tuple())
    return pygame.image.tobytes(shot, "RGB")


def test_unusable_image_bytes_fall_back_to_the_placeholder(display: Display) -> None:
    display.show(Card(Product.from_api(CEREAL), b"\xff\xd8 not really a jpeg"), now=1001.0)
    box = card_image_box(display.size, "shopper")
    assert _close(pixel(box.x + box.w // 8, box.y + box.h // 2), PALETTE.placeholder)


@pytest.mark.parametrize("kind", ["dairy", "meat", "pareve", None])
def test_hechsher_badge_has_its_kashrus_colour(display: Display, kind: str | None) -> None:
    data = edge_cases()["no-image"]
    data["product_meta"]["hechshers"] = [{"symbol": "OU", "dairy_meat_pareve": kind}]
    display.show(Card(Product.from_api(data)), now=1001.0)
    badges = [c for c in on_screen(display).commands
              if isinstance(c, Fill) and c.role == f"hechsher:{kind or 'unknown'}"]
    assert len(badges) == 1
    b = badges[0].box
    assert pixel(b.x + b.w // 2, b.y + 1) == KOSHER_COLORS[kind]


def _arrow_width(d: Display, box: Box, direction: str, frac: float) -> int:
    """Arrow-coloured pixels across the arrow at `frac` of the way toward its tip."""
    count = 0
    for k in range(box.w if direction in ("below", "above") else box.h):
        if direction == "below":
            x, y = box.x + k, box.y + round(frac * (box.h - 1))
        elif direction == "above":
            x, y = box.x + k, box.bottom - 1 - round(frac * (box.h - 1))
        elif direction == "right":
            x, y = box.x + round(frac * (box.w - 1)), box.y + k
        else:
            x, y = box.right - 1 - round(frac * (box.w - 1)), box.y + k
        if pixel(x, y) != PALETTE.idle_bg:
            count += 1
    return count


@pytest.mark.parametrize("direction", ["below", "above", "left", "right"])
def test_idle_arrow_points_toward_the_scanner(display: Display, direction: str) -> None:
    display.show(Idle("Shop", None, direction), now=1001.0)  # type: ignore[arg-type]
    (arrow,) = [c for c in on_screen(display).commands if isinstance(c, Arrow)]
    assert arrow.direction == direction
    shaft = _arrow_width(display, arrow.box, direction, 0.25)
    head = _arrow_width(display, arrow.box, direction, 0.62)
    assert shaft > 0 and head > shaft * 1.4


def test_card_returns_to_idle_after_card_seconds(display: Display) -> None:
    display.show(NotFound(UNKNOWN), now=2000.0)
    assert display.tick(2005.0) == pytest.approx(2020.0)
    assert isinstance(display.state, NotFound)
    display.tick(2020.0)
    assert isinstance(display.state, Idle)


def test_idle_animates_at_a_few_frames_per_second_then_dims_and_blanks(
    display: Display,
) -> None:
    display.show(Idle("Shop"), now=3000.0)
    first = display.tick(3000.0)
    assert first is not None and 3000.0 < first <= 3000.5
    bg = pixel(5, 5)
    assert display.tick(3061.0) == pytest.approx(3120.0)  # dimmed; next: blank
    assert sum(pixel(5, 5)) < sum(bg)
    assert display.tick(3121.0) is None  # blank: nothing to do until a scan
    assert pixel(5, 5) == (0, 0, 0)
    display.show(Card(Product.from_api(CEREAL)), now=3122.0)  # a scan wakes it at once
    assert pixel(5, 5) == PALETTE.bg


def test_an_arrow_frame_slower_than_the_interval_rests_three_times_its_cost(
    display: Display, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A screen drawn in software can take longer for one frame than the 1/3 s between
    frames: the arrow then holds at most a quarter of the main thread, never all of it."""
    import kiosk.display.display as module

    display.show(Idle("Shop"), now=5000.0)
    display.tick(5000.0)  # the first frame, at the usual pace
    readings = iter([10.0, 11.0])  # perf_counter around the next frame: it takes 1 s
    monkeypatch.setattr(module.time, "perf_counter", lambda: next(readings))
    assert display.tick(5000.5) == pytest.approx(5000.5 + module.ANIMATION_REST * 1.0)


def test_persistent_screens_have_no_timeout(display: Display) -> None:
    display.show(ScannerDisconnected(None), now=4000.0)
    assert display.tick(4100.0) is None
    assert isinstance(display.state, ScannerDisconnected)


def test_staff_status_bar_repaints_on_status_change() -> None:
    d = Display(DisplayConfig(mode="staff", fullscreen=False, size=[480, 320]), now=1.0)
    try:
        status = StatusInfo(online=False, scanner_connected=True)
        d.set_status(status)
        (dot,) = [c for c in on_screen(d, status).commands if c.role == "status:online:dot"]
        b = dot.box
        assert pixel(b.x + b.w // 2, b.y + b.h // 2) == PALETTE.bad
    finally:
        d.close()
