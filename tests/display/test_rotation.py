"""A panel mounted turned: the layout at the turned size, the frame turned back.

Convention (kiosk.display.rotation): `rotation` is how far the panel is turned clockwise;
at 90 the layout's top-left corner lands at the frame's bottom-left.
"""

from __future__ import annotations

from pathlib import Path

import pygame
import pygame.mask
import pytest

from kiosk import config
from kiosk.config import DisplayConfig
from kiosk.display import Display, Idle
from kiosk.display.layout import layout
from kiosk.display.presenter import Presenter
from kiosk.display.rotation import ROTATIONS, Rotation, logical_size, physical_rect, rotated
from kiosk.display.screens import Mode
from kiosk.display.text import FontMeasure
from kiosk.errors import ConfigError
from kiosk.sandbox.gallery import SAMPLE_RECENT, SAMPLE_STATUS, sample_screens
from tests.display.checks import problems
from tests.display.fakes import frame_of

RED = (255, 0, 0)
MARK = (0, 0, 12, 8)  # x, y, w, h at the layout's top-left corner


def marked(size: tuple[int, int]) -> pygame.Surface:
    canvas = pygame.Surface(size)
    canvas.fill((0, 0, 0))
    canvas.fill(RED, MARK)
    return canvas


@pytest.mark.parametrize(("rotation", "corner"), [(0, "top-left"), (90, "bottom-left"),
                                                  (180, "bottom-right"), (270, "top-right")])
def test_the_layouts_top_left_lands_where_the_turned_panel_has_it(
        rotation: Rotation, corner: str) -> None:
    frame = rotated(marked((200, 100)), rotation)
    w, h = frame.get_size()
    assert (w, h) == ((100, 200) if rotation in (90, 270) else (200, 100))
    x = 0 if corner.endswith("left") else w - 1
    y = 0 if corner.startswith("top") else h - 1
    assert frame.get_at((x, y))[:3] == RED
    assert frame.get_at((w - 1 - x, h - 1 - y))[:3] == (0, 0, 0)


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_a_rect_maps_to_where_its_pixels_go(rotation: Rotation) -> None:
    canvas = pygame.Surface((200, 100))
    canvas.fill((0, 0, 0))
    rect = (30, 10, 50, 20)
    canvas.fill(RED, rect)
    frame = rotated(canvas, rotation)
    x, y, w, h = physical_rect(rect, (200, 100), rotation)
    red = pygame.mask.from_threshold(frame, RED, (1, 1, 1, 255))
    assert red.get_bounding_rects() == [pygame.Rect(x, y, w, h)]


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_a_partial_update_shows_what_a_full_one_would(rotation: Rotation) -> None:
    physical = (320, 200)
    cfg = DisplayConfig(fullscreen=False, size=list(physical), rotation=rotation)
    presenter = Presenter(cfg, rotation, kms=False)
    presenter.open_now()
    try:
        canvas = marked(logical_size(physical, rotation))
        presenter.present(canvas)
        canvas.fill((0, 200, 0), (40, 30, 25, 15))
        presenter.present(canvas, [(40, 30, 25, 15)])
        shown = pygame.image.tobytes(pygame.display.get_surface(), "RGB")
        assert shown == frame_of(canvas, rotation)
    finally:
        presenter.close()


def test_a_window_turned_shows_the_portrait_layout_and_its_animation() -> None:
    d = Display(DisplayConfig(fullscreen=False, size=[1280, 720], rotation=90), now=0.0)
    try:
        assert d.size == (720, 1280)
        assert pygame.display.get_surface().get_size() == (1280, 720)
        d.show(Idle("Portrait store"), now=0.0)
        for t in (0.4, 0.8, 1.2):  # the idle arrow's frames: partial updates, turned
            d.tick(t)
            shown = pygame.image.tobytes(pygame.display.get_surface(), "RGB")
            assert shown == frame_of(d.canvas, 90)
    finally:
        d.close()


# Every screen of the gallery at the Touch Display 2's native portrait size, and every
# rotation at a small and a large panel: the layout fits its turned size, the frame
# presented has the panel's. (Sampled: all of it at every size is the layout tests' job.)
CASES = [((720, 1280), 0, "shopper"), ((720, 1280), 0, "staff"),
         ((800, 480), 90, "shopper"), ((800, 480), 270, "staff"),
         ((1920, 1080), 90, "staff"), ((1920, 1080), 180, "shopper"),
         ((1280, 720), 270, "shopper")]


@pytest.mark.parametrize(("physical", "rotation", "mode"), CASES,
                         ids=[f"{p[0]}x{p[1]}-{r}-{m}" for p, r, m in CASES])
def test_every_screen_turned(physical: tuple[int, int], rotation: Rotation, mode: Mode,
                             measure: FontMeasure) -> None:
    d = Display(DisplayConfig(fullscreen=False, size=list(physical), rotation=rotation,
                              mode=mode), now=0.0)
    staff = mode == "staff"
    kw = {"status": SAMPLE_STATUS, "recent": SAMPLE_RECENT} if staff else {}
    try:
        if staff:
            d.set_status(SAMPLE_STATUS, SAMPLE_RECENT)
        assert d.size == logical_size(physical, rotation)
        for name, state in sample_screens(d.size, mode):
            found = problems(layout(state, d.size, mode, measure, **kw), measure)
            assert not found, f"{name} at {d.size}: " + "\n".join(found[:5])
            d.show(state, now=0.0)
            frame = pygame.display.get_surface()
            assert frame.get_size() == physical
            assert frame.get_at((physical[0] // 2, physical[1] // 2)) == d.canvas.get_at(
                _logical_point((physical[0] // 2, physical[1] // 2), d.size, rotation))
    finally:
        d.close()


def _logical_point(p: tuple[int, int], logical: tuple[int, int],
                   rotation: Rotation) -> tuple[int, int]:
    """The layout's pixel that lands at frame pixel `p` (the inverse of the turn)."""
    x, y = p
    lw, lh = logical
    return {0: (x, y), 90: (lw - 1 - y, x), 180: (lw - 1 - x, lh - 1 - y),
            270: (y, lh - 1 - x)}[rotation]


@pytest.mark.parametrize(("text", "expected"), [
    ("rotation = 45", "display.rotation: 45 is not one of 0, 90, 180, 270"),
    ("rotation = '90'", "display.rotation: expected an integer, got a string '90'"),
    ("rotaton = 90", "display.rotaton: unknown key (did you mean 'rotation'?)"),
    ("output = '/dev/dri/card1'", "display.output: '/dev/dri/card1' is not a connector name"),
    ("output = 'HDMI'", "display.output: 'HDMI' is not a connector name"),
])
def test_rotation_and_output_are_checked_with_the_rest(tmp_path: Path, text: str,
                                                       expected: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"[display]\n{text}\nsize = [1, 2]\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert any(expected in p for p in info.value.problems), info.value.problems
    assert any("display.size" in p for p in info.value.problems)  # collected, not first-only


def test_good_rotation_and_output(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[display]\nrotation = 270\noutput = 'HDMI-A-2'\n")
    cfg = config.load(path).display
    assert (cfg.rotation, cfg.output) == (270, "HDMI-A-2")
    for name in ("DSI-1", "Virtual-1", "DP-3", "eDP-1", "Composite-1", "SPI-1"):
        path.write_text(f"[display]\noutput = '{name}'\n")
        assert config.load(path).display.output == name
