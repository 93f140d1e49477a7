"""A panel mounted turned: the layout is made upright, the frame turned back when shown.

The Pi's display engine rotates only by 0° and 180° (and not on every path), so a kiosk on
a portrait panel (the Touch Display 2 is 720x1280 natively) or a TV hung on its side
turns its picture itself.

Convention: `display.rotation` is how far the panel is turned **clockwise** from its
normal position, as the viewer sees it. A landscape 1920x1080 TV turned 90° clockwise
shows a 1080x1920 portrait layout; the panel's own top edge is then on the viewer's
right, so the layout's top-left corner must land at the frame's bottom-left, which is
what turning the layout 90° counter-clockwise does (`pygame.transform.rotate(s, 90)`).

"Logical" is the upright layout's coordinate space, "physical" the panel's frame.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["ROTATIONS", "Rect", "Rotation", "as_rotation", "logical_size", "physical_rect",
           "rotated"]

Rotation = Literal[0, 90, 180, 270]
ROTATIONS: tuple[Rotation, ...] = (0, 90, 180, 270)
Rect = tuple[int, int, int, int]


def as_rotation(degrees: int) -> Rotation:
    """`degrees` as a Rotation; ValueError for anything but a quarter turn."""
    for rotation in ROTATIONS:
        if degrees == rotation:
            return rotation
    raise ValueError(f"rotation must be one of {ROTATIONS}, not {degrees!r}")


def logical_size(physical: tuple[int, int], rotation: Rotation) -> tuple[int, int]:
    """The upright layout's size on a panel of `physical` size turned by `rotation`."""
    w, h = physical
    return (h, w) if rotation in (90, 270) else (w, h)


def physical_rect(rect: Rect, logical: tuple[int, int], rotation: Rotation) -> Rect:
    """Where the layout's `rect` lands on the panel's frame (for partial updates)."""
    x, y, w, h = rect
    lw, lh = logical
    if rotation == 90:
        return (y, lw - x - w, h, w)
    if rotation == 180:
        return (lw - x - w, lh - y - h, w, h)
    if rotation == 270:
        return (lh - y - h, x, h, w)
    return rect


def rotated(surface: Any, rotation: Rotation) -> Any:
    """`surface` turned for the panel; the same surface when there is nothing to turn.

    Quarter turns in pygame are exact pixel moves (no resampling, no size change beyond
    the swap), so the cost is one copy of the area turned.
    """
    if rotation == 0:
        return surface
    import pygame.transform

    return pygame.transform.rotate(surface, rotation)
