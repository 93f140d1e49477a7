"""Colours and type scale: one place decides how the kiosk looks.

Sizes scale with the screen's short side so a 1080p panel and a 320-pixel handheld get
the same proportions; every font size has a floor so handheld text stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.display.commands import Color

__all__ = ["KOSHER_COLORS", "PALETTE", "Palette", "Scale", "scale_for"]


@dataclass(frozen=True)
class Palette:
    bg: Color = (246, 244, 239)
    panel: Color = (255, 255, 255)
    ink: Color = (28, 32, 38)
    muted: Color = (96, 104, 115)
    faint: Color = (225, 221, 212)
    accent: Color = (13, 110, 101)
    idle_bg: Color = (14, 34, 52)
    idle_ink: Color = (244, 241, 232)
    idle_muted: Color = (150, 176, 196)
    idle_arrow: Color = (246, 190, 72)
    allergen_bg: Color = (255, 228, 181)
    allergen_ink: Color = (122, 52, 8)
    flag_bg: Color = (222, 240, 226)
    flag_ink: Color = (24, 94, 48)
    passover_bg: Color = (232, 226, 250)
    passover_ink: Color = (76, 52, 150)
    bracha_bg: Color = (250, 243, 224)
    bracha_ink: Color = (102, 76, 18)
    banner_offline: Color = (180, 83, 9)
    banner_stale: Color = (120, 113, 108)
    on_dark: Color = (255, 255, 255)
    ok: Color = (22, 163, 74)
    warn: Color = (217, 119, 6)
    bad: Color = (220, 38, 38)
    placeholder: Color = (232, 228, 218)
    placeholder_ink: Color = (170, 162, 146)
    status_bg: Color = (31, 41, 55)
    status_ink: Color = (229, 231, 235)


PALETTE = Palette()

KOSHER_COLORS: dict[str | None, Color] = {
    "dairy": (29, 78, 216),
    "meat": (198, 40, 40),
    "pareve": (46, 125, 50),
    None: (107, 114, 128),
}


@dataclass(frozen=True)
class Scale:
    """Pixel sizes for one screen, derived from its short side."""

    unit: float
    pad: int
    gap: int
    radius: int
    hero: int      # product name on the shopper card
    title: int     # screen titles, staff product name
    large: int     # brand line, key facts
    body: int
    small: int
    tiny: int      # staff details: the floor of readability

    def px(self, v: float) -> int:
        return max(1, round(v * self.unit))


def scale_for(size: tuple[int, int]) -> Scale:
    w, h = size
    unit = min(w, h) / 480
    # Portrait handhelds are narrow: keep type a notch smaller so lines are not one word.
    if w < h:
        unit = min(unit, w / 400)

    def font(v: float, floor: int) -> int:
        return max(floor, round(v * unit))

    return Scale(
        unit=unit,
        pad=max(8, round(22 * unit)),
        gap=max(4, round(12 * unit)),
        radius=max(4, round(12 * unit)),
        hero=font(38, 22),
        title=font(30, 19),
        large=font(22, 15),
        body=font(18, 13),
        small=font(15, 12),
        tiny=font(13, 11),
    )
