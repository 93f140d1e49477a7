"""Draw commands: the output of the pure layout and the only input of the painter.

A *box* is an integer rectangle in screen pixels. Every command carries the box it
occupies, so tests can check "inside the screen" and "no overlap" without a screen:

- `Text`: one line, already in visual (left-to-right) order; its box is exactly the
  measured width and the font's line height.
- `Image`: the product photo or logo, fitted (aspect kept) and centred in its box.
- `Placeholder`: the soft panel drawn when there is no photo.
- `Arrow`: the idle screen's pointer; `pulse` means the painter animates it in place.
- `Fill`: a rounded rectangle. `kind="chip"` fills are badges and chips (they hold text
  and must not overlap each other); `kind="panel"` fills are backgrounds that contain
  other elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Arrow",
    "Box",
    "Color",
    "Command",
    "Fill",
    "Image",
    "Layout",
    "Placeholder",
    "Text",
]

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def inside(self, other: Box) -> bool:
        return (
            self.x >= other.x and self.y >= other.y
            and self.right <= other.right and self.bottom <= other.bottom
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right and other.x < self.right
            and self.y < other.bottom and other.y < self.bottom
        )

    def inset(self, d: int) -> Box:
        return Box(self.x + d, self.y + d, max(0, self.w - 2 * d), max(0, self.h - 2 * d))

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


@dataclass(frozen=True)
class Text:
    box: Box
    text: str
    size: int
    bold: bool
    color: Color
    role: str = ""


@dataclass(frozen=True)
class Fill:
    box: Box
    color: Color
    radius: int = 0
    kind: Literal["panel", "chip"] = "panel"
    role: str = ""


@dataclass(frozen=True)
class Image:
    box: Box
    role: str = "image"


@dataclass(frozen=True)
class Placeholder:
    box: Box
    color: Color
    role: str = "placeholder"


@dataclass(frozen=True)
class Arrow:
    box: Box
    direction: Literal["below", "above", "left", "right"]
    color: Color
    pulse: bool = True
    role: str = "arrow"


Command = Text | Fill | Image | Placeholder | Arrow


@dataclass(frozen=True)
class Layout:
    """A whole screen: background colour and commands in paint order."""

    size: tuple[int, int]
    background: Color
    commands: tuple[Command, ...]

    def find(self, role: str) -> list[Command]:
        return [c for c in self.commands if c.role == role]
