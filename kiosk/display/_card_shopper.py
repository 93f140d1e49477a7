"""The shopper's card: big and simple, read from two metres away.

What does not fit is given up one thing at a time, least important first (the second
subline, a line of the name, a row of nutrition tiles...), until the rest fits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.display._card_chips import allergen_chips, badges, bracha_chip, flags
from kiosk.display.blocks import ChipSpec, Row, chip_rows, flow, para_rows, stack, text_row
from kiosk.display.commands import Box, Command, Fill
from kiosk.display.screens import Card
from kiosk.display.text import Measure, wrap
from kiosk.display.theme import PALETTE, Scale
from kiosk.product import KEY_NUTRIENTS, Product

__all__ = ["shopper_info"]

P = PALETTE

_SHORT_LABELS = {
    "total_fat": "Fat",
    "sodium": "Sodium",
    "total_carbohydrate": "Carbs",
    "total_sugars": "Sugars",
    "protein": "Protein",
}


def _sublines(p: Product) -> list[str]:
    """Net weight and origin; the shorter forms are tried when the full one does not fit."""
    origin = f"Product of {p.country}" if p.country else None
    full = "  ·  ".join(b for b in (p.net_weight, origin) if b)
    return [c for c in dict.fromkeys((full, p.net_weight or "", origin or "")) if c]



def shopper_info(card: Card, box: Box, s: Scale, m: Measure) -> list[Command]:
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
        top += chip_rows(m, badges(p, s.body, False), w, s.px(8), opt["chip_max"],
                         space_before=s.gap + s.px(4))
        top += chip_rows(m, flags(p, s.body), w, s.px(8), 1, space_before=s.px(10))
        top += chip_rows(m, allergen_chips(p, s.body), w, s.px(8), opt["chip_max"],
                         space_before=s.px(10))
        chip = bracha_chip(p, s.body, w, m)
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
