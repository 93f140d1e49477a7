"""The product card, for shoppers (big, simple, two metres away) and staff (every detail).

The photo box depends only on the screen size and mode, never on the product, so the
API client can pre-scale a downloaded photo to exactly that box (`card_image_box`) and
the card paints it with a single blit; and a card drawn before its photo arrived (an
empty panel in that box) gets the photo without anything else moving.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.display.blocks import ChipSpec, Row, chip_rows, flow, para_rows, stack, text_row
from kiosk.display.chrome import recent_rows, status_bar, status_bar_height
from kiosk.display.commands import Box, Command, Fill, Image, Placeholder, Text
from kiosk.display.screens import Card, Mode, RecentScan, StatusInfo
from kiosk.display.text import Measure, visual, wrap
from kiosk.display.theme import KOSHER_COLORS, PALETTE, Scale, scale_for
from kiosk.product import KEY_NUTRIENTS, Product

__all__ = ["card_image_box", "layout_card"]

P = PALETTE

_SHORT_LABELS = {
    "total_fat": "Fat",
    "sodium": "Sodium",
    "total_carbohydrate": "Carbs",
    "total_sugars": "Sugars",
    "protein": "Protein",
}
_SUB_NUTRIENTS = {"saturated_fat", "trans_fat", "dietary_fiber", "total_sugars", "added_sugars"}


@dataclass(frozen=True)
class _Frame:
    panel: Box          # white rounded panel holding the photo
    image: Box          # where the photo goes
    info: Box           # first text region (the shopper's one column)
    flow: tuple[Box, ...] = ()   # staff: further columns the details flow into
    side: Box | None = None      # staff: nutrition + recent scans column
    under_image: Box | None = None  # staff: lookup facts under the photo
    top: int = 0
    ncols: int = 1               # staff: the details columns under the header


def _frame(size: tuple[int, int], mode: Mode) -> _Frame:
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
        return _Frame(panel, panel.inset(max(4, s.gap)), info)
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
        return _Frame(panel, panel.inset(max(3, s.gap // 2)), mid, (), right, under, top, ncols)
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
    return _Frame(panel, panel.inset(max(2, s.gap // 2)), info, cols, None, None, top)


def card_image_box(size: tuple[int, int], mode: Mode) -> Box:
    """Where the product photo goes on a card for this screen and mode."""
    return _frame(size, mode).image


def layout_card(
    card: Card, size: tuple[int, int], mode: Mode, m: Measure,
    status: StatusInfo | None = None, recent: Sequence[RecentScan] = (),
) -> list[Command]:
    s = scale_for(size)
    fr = _frame(size, mode)
    out: list[Command] = []
    if mode == "staff":
        out.extend(status_bar(m, s, size[0], status))
    out.extend(_photo(card, fr, s, m, mode))
    if mode == "shopper":
        out.extend(_shopper_info(card, fr.info, s, m))
    else:
        out.extend(_staff_info(card, fr, s, m, recent))
    return out


# --- the photo ----------------------------------------------------------------------------


def _photo(card: Card, fr: _Frame, s: Scale, m: Measure, mode: Mode) -> list[Command]:
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


# --- shared pieces ----------------------------------------------------------------------------


def _badges(p: Product, size: int, staff: bool) -> list[ChipSpec]:
    """Hechsher badges, coloured by dairy / meat / pareve (grey when unspecified)."""
    chips: list[ChipSpec] = []
    for h in p.hechshers:
        kind = h.dairy_meat_pareve
        label = f"{h.symbol} · {kind.capitalize()}" if kind else h.symbol
        chips.append(ChipSpec(label, size, KOSHER_COLORS[kind], P.on_dark, True,
                              f"hechsher:{kind or 'unknown'}"))
    return chips


def _flags(p: Product, size: int) -> list[ChipSpec]:
    chips: list[ChipSpec] = []
    if p.kosher_for_passover:
        chips.append(ChipSpec("Kosher for Passover", size, P.passover_bg, P.passover_ink, True,
                              "flag:passover"))
    for on, label, role in ((p.gluten_free, "Gluten-free", "flag:gluten_free"),
                            (p.vegan, "Vegan", "flag:vegan"),
                            (p.organic, "Organic", "flag:organic")):
        if on:
            chips.append(ChipSpec(label, size, P.flag_bg, P.flag_ink, True, role))
    return chips


def _allergen_chips(p: Product, size: int) -> list[ChipSpec]:
    if not p.allergens:
        return []
    chips = [ChipSpec("⚠ Contains", size, P.allergen_ink, P.on_dark, True, "allergen:label")]
    chips += [ChipSpec(a.capitalize(), size, P.allergen_bg, P.allergen_ink, True, "allergen")
              for a in p.allergens]
    return chips


def _bracha_chip(p: Product, size: int, w: int, m: Measure) -> ChipSpec | None:
    """The bracha in transliteration and Hebrew, shortened rather than cut when narrow."""
    if not p.bracha:
        return None
    he = p.bracha_hebrew
    name = p.bracha.capitalize()
    labels = ([f"Bracha: {name} · {he}", f"{name} · {he}", he] if he
              else [f"Bracha: {name}", name])
    pad = max(6, round(size * 0.6))
    for label in labels:
        if m.width(visual(label), size, True) + 2 * pad <= w:
            return ChipSpec(label, size, P.bracha_bg, P.bracha_ink, True, "bracha")
    return None


def _sublines(p: Product) -> list[str]:
    """Net weight and origin; the shorter forms are tried when the full one does not fit."""
    origin = f"Product of {p.country}" if p.country else None
    full = "  ·  ".join(b for b in (p.net_weight, origin) if b)
    return [c for c in dict.fromkeys((full, p.net_weight or "", origin or "")) if c]


# --- shopper -----------------------------------------------------------------------------------


def _shopper_info(card: Card, box: Box, s: Scale, m: Measure) -> list[Command]:
    p = card.product
    w = box.w
    banner = _banner(card, s)
    tiles_for = _tile_specs(p)
    # Start rich; give things up one at a time, least important first, until it all fits.
    opt: dict[str, Any] = {"name_size": s.hero, "name_lines": 3, "sub_lines": 2,
                           "chip_max": 2, "bracha": True, "serving": True, "tile_rows": 2}
    give_up: list[tuple[str, Any]] = [
        ("sub_lines", 1), ("name_lines", 2), ("tile_rows", 1), ("serving", False),
        ("name_size", s.title), ("tile_rows", 0), ("sub_lines", 0), ("chip_max", 1),
        ("bracha", False), ("name_size", s.large), ("name_lines", 1),
    ]
    top: list[Row] = []
    bottom: list[Row] = []
    for step in [None, *give_up]:
        if step is not None:
            opt[step[0]] = step[1]
        top = []
        if banner:
            top += chip_rows(m, [banner], w, s.gap, 1)
        if p.brand and p.name:
            top.append(text_row(m, p.brand, s.large, True, P.accent, w, "brand",
                                space_before=s.gap // 2))
        top += para_rows(m, p.title, opt["name_size"], True, P.ink, w, "name",
                         opt["name_lines"], space_before=s.px(4))
        subs = _sublines(p)
        if subs and opt["sub_lines"]:
            sub = next((c for c in subs if len(wrap(c, s.body, False, w, m)) <= opt["sub_lines"]),
                       subs[-1])
            top += para_rows(m, sub, s.body, False, P.muted, w, "subline", opt["sub_lines"],
                             space_before=s.px(6))
        top += chip_rows(m, _badges(p, s.body, False), w, s.px(8), opt["chip_max"],
                         space_before=s.gap + s.px(4))
        top += chip_rows(m, _flags(p, s.body), w, s.px(8), 1, space_before=s.px(10))
        top += chip_rows(m, _allergen_chips(p, s.body), w, s.px(8), opt["chip_max"],
                         space_before=s.px(10))
        chip = _bracha_chip(p, s.body, w, m)
        if opt["bracha"] and chip:
            top += chip_rows(m, [chip], w, s.gap, 1, space_before=s.px(10))
        bottom = _tiles(m, s, p, w, tiles_for, opt["serving"], opt["tile_rows"])
        need = stack(top) + (stack(bottom) + s.gap if bottom else 0)
        if need <= box.h:
            break
    out, _ = flow(top, [Box(box.x, box.y, w, box.h - (stack(bottom) + s.gap if bottom else 0))])
    if bottom:
        y = box.bottom - stack(bottom)
        for k, row in enumerate(bottom):
            y += row.space_before if k else 0
            out.extend(row.draw(box.x, y))
            y += row.height
    return out


def _banner(card: Card, s: Scale) -> ChipSpec | None:
    if card.offline:
        return ChipSpec("Offline · showing a saved copy", s.small, P.banner_offline, P.on_dark,
                        True, "banner:offline")
    if card.stale:
        return ChipSpec("Saved copy · may be out of date", s.small, P.banner_stale, P.on_dark,
                        True, "banner:stale")
    return None


def _tile_specs(p: Product) -> list[tuple[str, str, str | None, str]]:
    specs: list[tuple[str, str, str | None, str]] = []
    if p.calories:
        specs.append(("Calories", p.calories, None, "tile:calories"))
    for key in KEY_NUTRIENTS:
        e = p.nutrient(key)
        if e and e.amount:
            specs.append((_SHORT_LABELS[key], e.amount, e.dv, f"tile:{key}"))
    return specs


def _tiles(
    m: Measure, s: Scale, p: Product, w: int, specs: list[tuple[str, str, str | None, str]],
    serving: bool, max_rows: int,
) -> list[Row]:
    if not specs or max_rows <= 0:
        return []
    rows: list[Row] = []
    if serving and p.serving_size:
        rows.append(text_row(m, f"Nutrition per serving · {p.serving_size}", s.small, False,
                             P.muted, w, "serving"))
    gap = s.px(8)
    min_tile = max(max(m.width(a, s.large, True), m.width(lbl, s.small, False))
                   for lbl, a, _, _ in specs) + 2 * s.px(10)
    per_row = max(1, min(len(specs), (w + gap) // (min_tile + gap)))
    specs = specs[:per_row * max_rows]
    if len(specs) > per_row:  # balance the rows: 6 tiles in 3+3 rather than 4+2
        nrows = -(-len(specs) // per_row)
        per_row = -(-len(specs) // nrows)
    tile_w = (w - gap * (per_row - 1)) // per_row
    lh_l, lh_b, lh_s = (m.line_height(s.small), m.line_height(s.large, True),
                        m.line_height(s.small, True))
    ipad = s.px(7)
    tile_h = lh_l + lh_b + lh_s + 2 * ipad
    for start in range(0, len(specs), per_row):
        chunk = specs[start:start + per_row]
        rows.append(Row(tile_h, _tile_drawer(m, s, chunk, tile_w, tile_h, gap, ipad),
                        gap if start else s.px(6)))
    return rows


def _tile_drawer(
    m: Measure, s: Scale, chunk: list[tuple[str, str, str | None, str]], tile_w: int,
    tile_h: int, gap: int, ipad: int,
) -> Callable[[int, int], list[Command]]:
    def draw(x: int, y: int) -> list[Command]:
        out: list[Command] = []
        for k, (label, amount, dv, role) in enumerate(chunk):
            tx = x + k * (tile_w + gap)
            hot = role == "tile:calories"
            out.append(Fill(Box(tx, y, tile_w, tile_h), P.accent if hot else P.panel,
                            s.radius, "chip", role))
            ink = P.on_dark if hot else P.ink
            sub = (200, 230, 226) if hot else P.muted
            iw = tile_w - 2 * s.px(4)
            yy = y + ipad
            for text, size, bold, color, r in ((label, s.small, False, sub, "label"),
                                               (amount, s.large, True, ink, "amount"),
                                               (dv or " ", s.small, True,
                                                (200, 230, 226) if hot else P.accent, "dv")):
                lh = m.line_height(size, bold)
                if text.strip():
                    out.extend(text_row(m, text, size, bold, color, iw, f"{role}:{r}",
                                        "center").draw(tx + s.px(4), yy))
                yy += lh
        return out

    return draw


# --- staff --------------------------------------------------------------------------------------


def _staff_info(
    card: Card, fr: _Frame, s: Scale, m: Measure, recent: Sequence[RecentScan],
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
        rows = _staff_details(card, s, m, col_w) + _nutrition_rows(p, s, m, col_w)
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
    side_rows = _nutrition_rows(p, s, m, fr.side.w) + recent_rows(m, s, recent, fr.side.w)
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
    rows = chip_rows(m, _badges(p, s.small, True), w, s.px(6), 3, space_before=s.gap)
    rows += chip_rows(m, _flags(p, s.small), w, s.px(6), 1, space_before=s.px(6))
    rows += chip_rows(m, _allergen_chips(p, s.small), w, s.px(6), 2, space_before=s.px(6))
    bracha = _bracha_chip(p, s.small, w, m)
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


def _nutrition_rows(p: Product, s: Scale, m: Measure, w: int) -> list[Row]:
    if not p.has_nutrition:
        return []
    t = s.tiny
    rows = [text_row(m, "Nutrition Facts", s.small, True, P.ink, w, "nutrition:title",
                     space_before=s.gap, keep_next=True)]
    serving = " · ".join(b for b in (
        f"Serving {p.serving_size}" if p.serving_size else None,
        f"{p.servings_per_container} per pack" if p.servings_per_container else None) if b)
    if serving:
        rows += para_rows(m, serving, t, False, P.muted, w, "nutrition:serving", 2, s.px(2))
    if p.calories:
        rows.append(_pair_row(m, s, "Calories", p.calories, None, w, True, s.small, 0))
    for e in p.nutrition:
        indent = s.px(12) if e.key in _SUB_NUTRIENTS else 0
        rows.append(_pair_row(m, s, e.label, e.amount or "", e.dv, w, e.key not in _SUB_NUTRIENTS
                              and e.key in dict.fromkeys(KEY_NUTRIENTS), t, indent))
    return rows


def _pair_row(m: Measure, s: Scale, label: str, amount: str, dv: str | None, w: int, bold: bool,
              size: int, indent: int) -> Row:
    lh = m.line_height(size, True)
    rule = 1

    def draw(x: int, y: int) -> list[Command]:
        out: list[Command] = [Fill(Box(x, y, w, rule), P.faint, 0, "panel", "nutrition:rule")]
        right = f"{amount}   {dv}" if dv else amount
        rw = min(m.width(visual(right), size, bold), w // 2)
        r = text_row(m, right, size, bold, P.ink, w // 2, "nutrition:amount", "right")
        out.extend(r.draw(x + w - w // 2, y + rule))
        room = w - indent - rw - s.px(8)
        if room > size:
            out.extend(text_row(m, label, size, bold, P.ink, room, "nutrition:label")
                       .draw(x + indent, y + rule))
        return out

    return Row(lh + rule, draw, 0)

