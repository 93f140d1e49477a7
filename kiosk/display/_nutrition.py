"""The staff card's Nutrition Facts: a table of label and amount (and daily value),
the sub-nutrients indented under their parent."""

from __future__ import annotations

from kiosk.display.blocks import Row, para_rows, text_row
from kiosk.display.commands import Box, Command, Fill
from kiosk.display.text import Measure, visual
from kiosk.display.theme import PALETTE, Scale
from kiosk.product import KEY_NUTRIENTS, Product

__all__ = ["nutrition_rows"]

P = PALETTE

_SUB_NUTRIENTS = {"saturated_fat", "trans_fat", "dietary_fiber", "total_sugars", "added_sugars"}


def nutrition_rows(p: Product, s: Scale, m: Measure, w: int) -> list[Row]:
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
