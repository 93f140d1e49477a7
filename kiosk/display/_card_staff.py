"""The staff card: every detail, flowed into the columns of the card's frame.

On a wide screen the header spans the middle column with the details below it, the
lookup facts sit under the photo, and nutrition and the recent scans fill the right;
on a handheld everything flows below the thumbnail. What does not fit is cut at the end
of the last column (`flow`), least important details last.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.display._card_chips import allergen_chips, badges, bracha_chip, flags
from kiosk.display._card_frame import CardFrame
from kiosk.display._nutrition import nutrition_rows
from kiosk.display.blocks import Row, chip_rows, flow, para_rows, text_row
from kiosk.display.chrome import recent_rows
from kiosk.display.commands import Box, Command
from kiosk.display.screens import Card, RecentScan
from kiosk.display.text import Measure
from kiosk.display.theme import PALETTE, Scale
from kiosk.product import Product

__all__ = ["staff_info"]

P = PALETTE


def staff_info(
    card: Card, fr: CardFrame, s: Scale, m: Measure, recent: Sequence[RecentScan],
) -> list[Command]:
    p = card.product
    out: list[Command] = []
    small_screen = fr.side is None
    head_w = fr.info.w
    head: list[Row] = []
    if p.brand and p.name:
        head.append(text_row(m, p.brand, s.small, True, P.accent, head_w, "brand"))
    name_size = (s.title + s.large) // 2 if not small_screen else s.large
    head += para_rows(m, p.title, name_size, True, P.ink, head_w, "name", 2 if not small_screen
                      else 3)
    sub = "  ·  ".join(b for b in (p.net_weight, p.category, p.country) if b)
    if sub:
        head += para_rows(m, sub, s.tiny, False, P.muted, head_w, "subline", 2, s.px(2))
    if small_screen:
        head.append(text_row(m, _lookup_summary(card), s.tiny, True, _source_color(card),
                             head_w, "lookup", space_before=s.px(2)))
        cmds, _ = flow(head, [fr.info])
        out.extend(cmds)
        col_w = fr.flow[0].w
        rows = _staff_details(card, s, m, col_w) + nutrition_rows(p, s, m, col_w)
        if p.updated_at:
            rows.append(text_row(m, f"Updated {p.updated_at}", s.tiny, False, P.muted, col_w,
                                 "updated", space_before=s.gap))
        cmds, _ = flow(rows, list(fr.flow))
        out.extend(cmds)
        return out
    # Wide: the header spans the middle, details flow below it in one or two columns.
    head += _staff_chips(p, s, m, head_w)
    cmds, _ = flow(head, [fr.info])
    out.extend(cmds)
    used = max((c.box.bottom for c in cmds), default=fr.info.y)
    used += s.gap
    cols = _split(Box(fr.info.x, used, fr.info.w, fr.info.bottom - used), fr.ncols, s.pad)
    cmds, _ = flow(_staff_details(card, s, m, cols[0].w, chips=False), cols)
    out.extend(cmds)
    if fr.under_image is not None and fr.under_image.h > 0:
        cmds, _ = flow(_lookup_rows(card, s, m, fr.under_image.w), [fr.under_image])
        out.extend(cmds)
    assert fr.side is not None
    side_rows = nutrition_rows(p, s, m, fr.side.w) + recent_rows(m, s, recent, fr.side.w)
    cmds, _ = flow(side_rows, [fr.side])
    out.extend(cmds)
    return out


def _split(box: Box, n: int, gap: int) -> list[Box]:
    if n <= 1 or box.h <= 0:
        return [box]
    w = (box.w - gap * (n - 1)) // n
    return [Box(box.x + k * (w + gap), box.y, w, box.h) for k in range(n)]


def _lookup_summary(card: Card) -> str:
    bits = [card.product.barcode, _source(card)]
    if card.credits_debited is not None:
        bits.append(f"{card.credits_debited:g} cr")
    return " · ".join(bits)


def _source(card: Card) -> str:
    if card.offline:
        source = "offline, from cache"
    elif card.from_cache:
        source = "from cache"
    else:
        source = "live lookup"
    return source + (" (stale)" if card.stale else "")


def _source_color(card: Card) -> tuple[int, int, int]:
    return P.banner_offline if (card.offline or card.stale) else P.muted


def _staff_chips(p: Product, s: Scale, m: Measure, w: int) -> list[Row]:
    rows = chip_rows(m, badges(p, s.small, True), w, s.px(6), 3, space_before=s.gap)
    rows += chip_rows(m, flags(p, s.small), w, s.px(6), 1, space_before=s.px(6))
    rows += chip_rows(m, allergen_chips(p, s.small), w, s.px(6), 2, space_before=s.px(6))
    bracha = bracha_chip(p, s.small, w, m)
    if bracha:
        rows += chip_rows(m, [bracha], w, s.px(6), 1, space_before=s.px(6))
    return rows


def _heading(m: Measure, s: Scale, text: str, w: int) -> Row:
    return text_row(m, text.upper(), s.tiny, True, P.accent, w, "heading",
                    space_before=s.gap, keep_next=True)


def _staff_details(card: Card, s: Scale, m: Measure, w: int, chips: bool = True) -> list[Row]:
    p = card.product
    t = s.tiny
    rows: list[Row] = _staff_chips(p, s, m, w) if chips else []
    if p.hechshers:
        rows.append(_heading(m, s, "Kashrus", w))
        for h in p.hechshers:
            bits = [b for b in (h.org, h.dairy_meat_pareve or "dairy/meat/pareve unspecified")
                    if b]
            if h.designation:
                bits.append(h.designation)
            rows += para_rows(m, f"{h.symbol}: " + " · ".join(bits), t, False, P.ink, w,
                              "hechsher-detail", 2, s.px(2))
    if p.contains or p.may_contain:
        rows.append(_heading(m, s, "Allergen statements", w))
        if p.contains:
            rows += para_rows(m, p.contains, t, True, P.allergen_ink, w, "contains")
        if p.may_contain:
            rows += para_rows(m, p.may_contain, t, False, P.ink, w, "may-contain",
                              space_before=s.px(3))
    if p.additional_certifications:
        rows.append(_heading(m, s, "Certifications", w))
        rows += para_rows(m, p.additional_certifications, t, False, P.ink, w, "certifications")
    if p.ingredients_text:
        rows.append(_heading(m, s, "Ingredients", w))
        rows += para_rows(m, p.ingredients_text, t, False, P.ink, w, "ingredients")
    if p.notes:
        rows.append(_heading(m, s, "Notes", w))
        rows += para_rows(m, p.notes, t, False, P.ink, w, "notes")
    for lbl, v in (("Description", p.description), ("Manufacturer", p.manufacturer),
                   ("Distributor", p.distributor)):
        if v:
            rows.append(_heading(m, s, lbl, w))
            rows += para_rows(m, v, t, False, P.ink, w, lbl.lower())
    return rows


def _lookup_rows(card: Card, s: Scale, m: Measure, w: int) -> list[Row]:
    p = card.product
    t = s.tiny
    rows = [text_row(m, p.barcode, s.small, True, P.ink, w, "barcode")]
    rows.append(text_row(m, _source(card).capitalize(), t, True, _source_color(card), w, "source",
                         space_before=s.px(2)))
    if card.credits_debited is not None:
        rows.append(text_row(m, f"Cost {card.credits_debited:g} credits", t, False, P.muted, w,
                             "cost", space_before=s.px(2)))
    if card.credits_remaining is not None:
        rows.append(text_row(m, f"Balance {card.credits_remaining:,.1f}", t, False, P.muted, w,
                             "balance", space_before=s.px(2)))
    if p.updated_at:
        rows.append(text_row(m, "Updated", t, False, P.muted, w, "updated",
                             space_before=s.px(2)))
        rows.append(text_row(m, p.updated_at, t, False, P.muted, w, "updated"))
    return rows
