"""The product card, for shoppers (big, simple, two metres away) and staff (every detail).

The photo box depends only on the screen size and mode, never on the product, so the
lookups can pre-scale a downloaded photo to exactly that box (`card_image_box`, through
`prepare_image`) and the card paints it with a single blit; and a card drawn before its
photo arrived (an empty panel in that box) gets the photo without anything else moving.

The pieces: `_card_frame` (the three shapes), `_card_shopper`, `_card_staff`,
`_nutrition` and `_card_chips` (what both cards show of a product).
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.display._card_frame import CardFrame, card_frame, card_image_box
from kiosk.display._card_shopper import shopper_info
from kiosk.display._card_staff import staff_info
from kiosk.display.blocks import text_row
from kiosk.display.chrome import status_bar
from kiosk.display.commands import Box, Command, Fill, Image, Placeholder, Text
from kiosk.display.screens import Card, Mode, RecentScan, StatusInfo
from kiosk.display.text import Measure
from kiosk.display.theme import PALETTE, Scale, scale_for

__all__ = ["card_image_box", "layout_card"]

P = PALETTE


def layout_card(
    card: Card, size: tuple[int, int], mode: Mode, m: Measure,
    status: StatusInfo | None = None, recent: Sequence[RecentScan] = (),
) -> list[Command]:
    s = scale_for(size)
    fr = card_frame(size, mode)
    out: list[Command] = []
    if mode == "staff":
        out.extend(status_bar(m, s, size[0], status))
    out.extend(_photo(card, fr, s, m, mode))
    if mode == "shopper":
        out.extend(shopper_info(card, fr.info, s, m))
    else:
        out.extend(staff_info(card, fr, s, m, recent))
    return out


# --- the photo ----------------------------------------------------------------------------


def _photo(card: Card, fr: CardFrame, s: Scale, m: Measure, mode: Mode) -> list[Command]:
    out: list[Command] = [Fill(fr.panel, P.panel, s.radius, "panel", "photo-panel")]
    if card.image is not None:
        out.append(Image(fr.image, "image"))
        return out
    out.append(Placeholder(fr.image, P.placeholder))
    if card.photo_pending:  # the photo is on its way: no "no photo" caption meanwhile
        return out
    p = card.product
    initial = (p.category or p.title or "?").strip()[:1].upper() or "?"
    big = max(s.small, min(fr.image.h // 3, round(fr.image.w * 0.3)))
    lh = m.line_height(big, True)
    cap = m.line_height(s.small, False)
    show_caption = fr.image.h >= lh + cap + 2 * s.gap and fr.image.w > 5 * s.small
    total = lh + (cap if show_caption else 0)
    y = fr.image.y + (fr.image.h - total) // 2
    w = m.width(initial, big, True)
    if 0 < w <= fr.image.w:  # a soft hyphen first draws nothing (SDL_ttf refuses it)
        out.append(Text(Box(fr.image.x + (fr.image.w - w) // 2, y, w, lh), initial, big, True,
                        P.placeholder_ink, "placeholder:initial"))
    if show_caption:
        label = (p.category or "no photo").capitalize() if mode == "shopper" else "No photo"
        row = text_row(m, label, s.small, False, P.placeholder_ink, fr.image.w - 2 * s.gap,
                       "placeholder:caption", "center")
        out.extend(row.draw(fr.image.x + s.gap, y + lh))
    return out
