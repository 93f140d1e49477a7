"""The thin painter: draw a `Layout` on a pygame surface, fast.

All decisions were made by the layout; the painter only fills, blits and caches. Rendered
text is cached per (string, size, weight, colour) so a card shown twice renders no glyphs
the second time, and the static parts of a screen are painted once: the idle arrow
animates by restoring its own small backdrop and redrawing only its box.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from kiosk.display.commands import Arrow, Box, Color, Fill, Image, Layout, Placeholder, Text
from kiosk.display.text import FontMeasure

__all__ = ["Painter", "arrow_points"]

logger = logging.getLogger(__name__)

# Rendered text kept for re-use, bounded by bytes rather than count: at 1920x1080 a few
# hundred large glyph runs are tens of MB, and a store's catalog has thousands of names.
# Idle and card labels repeat and stay; a product's own lines are cheap to render again.
_TEXT_CACHE_BYTES = 4 * 1024 * 1024


class Painter:
    def __init__(self, measure: FontMeasure) -> None:
        self.measure = measure
        self._text: OrderedDict[tuple[str, int, bool, Color], Any] = OrderedDict()
        self._text_bytes = 0
        self._fitted: OrderedDict[tuple[int, int, int], tuple[Any, Any]] = OrderedDict()

    def paint(
        self, target: Any, layout: Layout, images: Mapping[str, Any] | None = None,
        *, animate: bool = True,
    ) -> list[Arrow]:
        """Paint everything; return the pulsing arrows, which the caller animates.

        With `animate` the pulsing arrows are left out (the caller draws their frames);
        without it they are painted in their resting pose, for screenshots.
        """
        images = images or {}
        target.fill(layout.background)
        pulsing: list[Arrow] = []
        for cmd in layout.commands:
            if isinstance(cmd, Text):
                target.blit(self.text_surface(cmd.text, cmd.size, cmd.bold, cmd.color),
                            (cmd.box.x, cmd.box.y))
            elif isinstance(cmd, Fill):
                self._rect(target, cmd.box, cmd.color, cmd.radius)
            elif isinstance(cmd, Placeholder):
                self._rect(target, cmd.box, cmd.color, max(4, min(cmd.box.w, cmd.box.h) // 14))
            elif isinstance(cmd, Image):
                surf = images.get(cmd.role)
                if surf is not None:
                    self.blit_fitted(target, surf, cmd.box)
            elif isinstance(cmd, Arrow):
                if cmd.pulse and animate:
                    pulsing.append(cmd)
                else:
                    draw_arrow(target, cmd, 0.25)
        return pulsing

    def text_surface(self, text: str, size: int, bold: bool, color: Color) -> Any:
        key = (text, size, bold, color)
        surf = self._text.get(key)
        if surf is not None:
            self._text.move_to_end(key)
            return surf
        surf = self.measure.font(size, bold).render(text, True, color)
        surf = _converted(surf, alpha=True)
        self._text[key] = surf
        self._text_bytes += _nbytes(surf)
        while self._text_bytes > _TEXT_CACHE_BYTES and len(self._text) > 1:
            _, old = self._text.popitem(last=False)
            self._text_bytes -= _nbytes(old)
        return surf

    def blit_fitted(self, target: Any, surf: Any, box: Box) -> None:
        """Blit `surf` centred in `box`, scaled down (aspect kept) only if it is too big."""
        import pygame.transform

        w, h = surf.get_size()
        if w > box.w or h > box.h or (w < box.w and h < box.h):
            scale = min(box.w / w, box.h / h)
            size = (max(1, int(w * scale)), max(1, int(h * scale)))
            key = (id(surf), *size)
            hit = self._fitted.get(key)
            # The cache holds the source too, so its id cannot be reused while cached.
            if hit is not None and hit[0] is surf:
                fitted = hit[1]
            else:
                fitted = pygame.transform.smoothscale(_smoothable(surf), size)
                self._fitted[key] = (surf, fitted)
                if len(self._fitted) > 8:
                    self._fitted.popitem(last=False)
            surf = fitted
            w, h = size
        target.blit(surf, (box.x + (box.w - w) // 2, box.y + (box.h - h) // 2))

    @staticmethod
    def _rect(target: Any, box: Box, color: Color, radius: int) -> None:
        import pygame.draw

        r = min(radius, box.w // 2, box.h // 2)
        pygame.draw.rect(target, color, box.as_tuple(), border_radius=r)


def _converted(surf: Any, alpha: bool) -> Any:
    """Convert to the display's pixel format when there is a display (faster blits)."""
    import pygame.display

    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        return surf.convert_alpha() if alpha else surf.convert()
    return surf


def _smoothable(surf: Any) -> Any:
    if surf.get_bitsize() in (24, 32):
        return surf
    import pygame

    flat = pygame.Surface(surf.get_size(), pygame.SRCALPHA, 32)
    flat.blit(surf, (0, 0))
    return flat


def arrow_points(box: Box, direction: str, phase: float) -> list[tuple[int, int]]:
    """A bold arrow inside `box` pointing `direction`, nudged along it by `phase` (0..1).

    Drawn pointing down in a unit square, then rotated: the head takes the far half, the
    shaft the near half, and the whole arrow bobs by up to 14% of the box.
    """
    bob = 0.14 * (0.5 - 0.5 * math.cos(2 * math.pi * phase))
    pts = [(0.36, 0.0), (0.64, 0.0), (0.64, 0.46), (0.9, 0.46), (0.5, 0.86), (0.1, 0.46),
           (0.36, 0.46)]
    out: list[tuple[int, int]] = []
    for u, v in pts:
        v = v + bob
        if direction == "below":
            x, y = u, v
        elif direction == "above":
            x, y = u, 1 - v
        elif direction == "right":
            x, y = v, u
        else:
            x, y = 1 - v, u
        out.append((box.x + round(x * (box.w - 1)), box.y + round(y * (box.h - 1))))
    return out


def arrow_color(base: Color, phase: float) -> Color:
    k = 0.78 + 0.22 * (0.5 - 0.5 * math.cos(2 * math.pi * phase))
    return (round(base[0] * k), round(base[1] * k), round(base[2] * k))


def draw_arrow(target: Any, arrow: Arrow, phase: float) -> None:
    import pygame.draw

    pts = arrow_points(arrow.box, arrow.direction, phase)
    color = arrow_color(arrow.color, phase)
    pygame.draw.polygon(target, color, pts)
    if hasattr(pygame.draw, "aalines"):
        pygame.draw.aalines(target, color, True, pts)


def _nbytes(surf: Any) -> int:
    return int(surf.get_pitch()) * int(surf.get_height())
