"""The frame of a product card: where the photo and the text go, by screen shape and mode.

Three shapes share it: the shopper's card (photo beside the text on a wide screen, above
it on a tall one), the staff card on a screen 700 pixels wide or more (status bar, photo
with the lookup facts under it, details in the middle, nutrition and recent scans on the
right) and the staff card on a handheld (a thumbnail with the header beside it, details
below). It depends only on the screen size and mode, never on the product: the photo box
(`card_image_box`) is known before the product is, so a photo is pre-scaled to it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.display.chrome import status_bar_height
from kiosk.display.commands import Box
from kiosk.display.screens import Mode
from kiosk.display.theme import scale_for

__all__ = ["CardFrame", "card_frame", "card_image_box"]


@dataclass(frozen=True)
class CardFrame:
    panel: Box          # white rounded panel holding the photo
    image: Box          # where the photo goes
    info: Box           # first text region (the shopper's one column)
    flow: tuple[Box, ...] = ()   # staff: further columns the details flow into
    side: Box | None = None      # staff: nutrition + recent scans column
    under_image: Box | None = None  # staff: lookup facts under the photo
    top: int = 0
    ncols: int = 1               # staff: the details columns under the header


def card_frame(size: tuple[int, int], mode: Mode) -> CardFrame:
    w, h = size
    s = scale_for(size)
    pad = s.pad
    if mode == "shopper":
        if w >= h:
            side = min(h - 2 * pad, round(w * 0.42))
            panel = Box(pad, (h - side) // 2, side, side)
            x = panel.right + round(pad * 1.3)
            info = Box(x, pad, w - x - pad, h - 2 * pad)
        else:
            side = min(w - 2 * pad, round(h * 0.34))
            panel = Box((w - side) // 2, pad, side, side)
            y = panel.bottom + pad
            info = Box(pad, y, w - 2 * pad, h - y - pad)
        return CardFrame(panel, panel.inset(max(4, s.gap)), info)
    # staff: a status bar on top, then columns
    bar = status_bar_height(s)
    top = bar + pad // 2
    avail = h - top - pad // 2
    if w >= 700:
        side = min(round(w * 0.2), round(avail * 0.5))
        panel = Box(pad // 2 + 2, top, side, side)
        under = Box(panel.x, panel.bottom + s.gap, side, h - pad // 2 - panel.bottom - s.gap)
        x = panel.right + pad
        side_w = round(w * 0.27)
        right = Box(w - pad // 2 - side_w, top, side_w, avail)
        mid = Box(x, top, right.x - pad - x, avail)
        ncols = 2 if w >= 1600 else 1
        return CardFrame(panel, panel.inset(max(3, s.gap // 2)), mid, (), right, under, top, ncols)
    # handheld: thumbnail top-left, header beside it, details below in one or two columns
    side = min(round(w * 0.3), round(avail * 0.42))
    panel = Box(pad // 2, top, side, side)
    hx = panel.right + pad // 2
    info = Box(hx, top, w - hx - pad // 2, side)
    below_y = panel.bottom + s.gap
    below_h = h - below_y - pad // 2
    cols: tuple[Box, ...]
    if w > h:
        half = (w - pad - pad // 2) // 2
        cols = (Box(pad // 2, below_y, half, below_h),
                Box(pad // 2 + half + pad // 2, below_y, w - pad - half - pad // 2, below_h))
    else:
        cols = (Box(pad // 2, below_y, w - pad, below_h),)
    return CardFrame(panel, panel.inset(max(2, s.gap // 2)), info, cols, None, None, top)


def card_image_box(size: tuple[int, int], mode: Mode) -> Box:
    """Where the product photo goes on a card for this screen and mode."""
    return card_frame(size, mode).image

