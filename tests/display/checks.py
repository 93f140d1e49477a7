"""Geometry checks shared by the layout tests: inside the screen, no overlaps, text fits.

A box is one drawn element: a text line (its measured width × the font's line height),
an image or placeholder, the idle arrow, or a chip (badge, allergen chip, nutrition tile,
status chip). Panels are backgrounds and may contain anything. Content (text, images,
arrows) must not overlap other content; chips must not overlap each other; a text line
is either wholly inside one chip (its label) or clear of every chip.
"""

from __future__ import annotations

from kiosk.display.commands import Arrow, Box, Fill, Image, Layout, Placeholder, Text
from kiosk.display.text import Measure

MIN_FONT = 11


def problems(lay: Layout, m: Measure) -> list[str]:
    w, h = lay.size
    screen = Box(0, 0, w, h)
    out: list[str] = []
    content: list[tuple[Box, str]] = []
    chips: list[tuple[Box, str]] = []
    texts: list[Text] = []
    for c in lay.commands:
        if not c.box.inside(screen):
            out.append(f"{c.role or type(c).__name__} {c.box} leaves the {w}x{h} screen")
        if c.box.w <= 0 or c.box.h <= 0:
            out.append(f"{c.role} has an empty box {c.box}")
        if isinstance(c, Text):
            texts.append(c)
            content.append((c.box, f"text {c.text!r}"))
            if c.size < MIN_FONT:
                out.append(f"text {c.text!r} at {c.size}px is below {MIN_FONT}px")
            if m.width(c.text, c.size, c.bold) > c.box.w:
                out.append(f"text {c.text!r} is wider than its box {c.box}")
            if c.box.h < m.line_height(c.size, c.bold):
                out.append(f"text {c.text!r} is taller than its box {c.box}")
            if not c.text.strip():
                out.append(f"blank text line at {c.box}")
        elif isinstance(c, Image | Arrow | Placeholder):
            if not isinstance(c, Placeholder):
                content.append((c.box, c.role))
        elif isinstance(c, Fill) and c.kind == "chip":
            chips.append((c.box, c.role))
    out += _pairwise(content, "overlaps")
    out += _pairwise(chips, "overlaps chip")
    for t in texts:
        holders = [b for b, _ in chips if t.box.overlaps(b)]
        if holders and not (len(holders) == 1 and t.box.inside(holders[0])):
            out.append(f"text {t.text!r} {t.box} straddles chip(s) {holders}")
    for c in lay.commands:
        if isinstance(c, Image | Arrow):
            for b, role in chips:
                if c.box.overlaps(b):
                    out.append(f"{c.role} overlaps chip {role}")
    return out


def _pairwise(items: list[tuple[Box, str]], verb: str) -> list[str]:
    out = []
    ordered = sorted(items, key=lambda it: it[0].y)
    for i, (a, na) in enumerate(ordered):
        for b, nb in ordered[i + 1:]:
            if b.y >= a.bottom:
                break
            if a.overlaps(b):
                out.append(f"{na} {a} {verb} {nb} {b}")
    return out


def pixel(x: int, y: int) -> tuple[int, int, int]:
    """The colour on the open window at (x, y)."""
    import pygame.display

    c = pygame.display.get_surface().get_at((x, y))
    return (c.r, c.g, c.b)
