"""Building blocks of the pure layout: lines, paragraphs, chips and column flows.

A `Row` is something of known height that can be drawn at a point: one text line, a row
of chips, a table row. Screens are stacks of rows; `flow` pours rows into one or more
columns and stops, ellipsizing the last line it cut, when the space runs out, which is
how low-priority staff details drop gracefully on a handheld instead of overflowing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from kiosk.display.commands import Box, Color, Command, Fill, Text
from kiosk.display.text import Measure, ellipsize, visual, wrap

__all__ = [
    "ChipSpec",
    "Row",
    "chip_rows",
    "flow",
    "line",
    "para_rows",
    "stack",
    "text_row",
]

Align = Literal["left", "center", "right"]


@dataclass
class Row:
    height: int
    draw: Callable[[int, int], list[Command]]
    space_before: int = 0
    keep_next: bool = False
    truncated: Callable[[], Row] | None = None


def line(
    m: Measure, x: int, y: int, text: str, size: int, bold: bool, color: Color, max_w: int,
    role: str = "", align: Align = "left",
) -> Text | None:
    """One line of text at (x, y) within `max_w`, ellipsized; None if nothing fits."""
    fitted = ellipsize(text, size, bold, max_w, m)
    if not fitted:
        return None
    vis = visual(fitted)
    w = m.width(vis, size, bold)
    if not w:  # only invisible characters: SDL_ttf refuses to render zero width
        return None
    if align == "right":
        x += max_w - w
    elif align == "center":
        x += (max_w - w) // 2
    return Text(Box(x, y, w, m.line_height(size, bold)), vis, size, bold, color, role)


def is_rtl(text: str) -> bool:
    """True when the first strong character is right-to-left (paragraph direction)."""
    for ch in text:
        d = unicodedata.bidirectional(ch)
        if d == "L":
            return False
        if d in ("R", "AL"):
            return True
    return False


def text_row(
    m: Measure, text: str, size: int, bold: bool, color: Color, w: int, role: str = "",
    align: Align = "left", space_before: int = 0, keep_next: bool = False,
) -> Row:
    lh = m.line_height(size, bold)

    def draw(x: int, y: int) -> list[Command]:
        t = line(m, x, y, text, size, bold, color, w, role, align)
        return [t] if t else []

    return Row(lh, draw, space_before, keep_next)


def para_rows(
    m: Measure, text: str, size: int, bold: bool, color: Color, w: int, role: str = "",
    max_lines: int | None = None, space_before: int = 0, line_gap: int = 0,
) -> list[Row]:
    """A wrapped paragraph as one row per line; right-aligned when it is Hebrew."""
    lines = wrap(text, size, bold, w, m, max_lines)
    align: Align = "right" if is_rtl(text) else "left"
    rows: list[Row] = []
    for k, ln in enumerate(lines):
        row = text_row(m, ln, size, bold, color, w, role, align,
                       space_before if k == 0 else line_gap)
        if k < len(lines) - 1:
            # Made only for the one row a flow cuts at: eagerly, every line would
            # ellipsize the whole rest of the paragraph (quadratic in its length).
            row.truncated = _cut_at(m, lines, k, size, bold, color, w, role, align,
                                    row.space_before)
        rows.append(row)
    return rows


def _cut_at(m: Measure, lines: list[str], k: int, size: int, bold: bool, color: Color, w: int,
            role: str, align: Align, space_before: int) -> Callable[[], Row]:
    def cut() -> Row:
        rest = " ".join(lines[k:k + 2])  # enough to fill this line and show it goes on
        text = ellipsize(rest, size, bold, w, m) or lines[k]
        return text_row(m, text, size, bold, color, w, role, align, space_before)

    return cut


@dataclass(frozen=True)
class ChipSpec:
    label: str
    size: int
    bg: Color
    fg: Color
    bold: bool = True
    role: str = "chip"
    dot: Color | None = None  # a coloured dot before the label (status indicators)


@dataclass
class _Placed:
    spec: ChipSpec
    label: str
    x: int
    w: int
    h: int
    row: int = 0
    extra: list[Command] = field(default_factory=list)


def chip_rows(
    m: Measure, specs: Sequence[ChipSpec], w: int, gap: int, max_rows: int | None = None,
    space_before: int = 0, pad_x: int | None = None,
) -> list[Row]:
    """Rounded chips flowed left to right into rows of width `w`; extra rows are dropped."""
    if not specs:
        return []
    placed: list[list[_Placed]] = [[]]
    cx = 0
    for spec in specs:
        lh = m.line_height(spec.size, spec.bold)
        px = pad_x if pad_x is not None else max(6, round(spec.size * 0.6))
        py = max(2, round(spec.size * 0.22))
        dot_w = round(spec.size * 0.55) + px // 2 if spec.dot else 0
        label = ellipsize(spec.label, spec.size, spec.bold, w - 2 * px - dot_w, m)
        if not label:
            continue
        cw = m.width(visual(label), spec.size, spec.bold) + 2 * px + dot_w
        if cx and cx + cw > w:
            placed.append([])
            cx = 0
        placed[-1].append(_Placed(spec, label, cx, cw, lh + 2 * py))
        cx += cw + gap
    if max_rows is not None:
        placed = placed[:max_rows]
    rows: list[Row] = []
    for k, items in enumerate(placed):
        if not items:
            continue
        h = max(p.h for p in items)
        rows.append(Row(h, _chip_drawer(m, items, h), space_before if k == 0 else gap))
    return rows


def _chip_drawer(m: Measure, items: list[_Placed], h: int) -> Callable[[int, int], list[Command]]:
    def draw(x: int, y: int) -> list[Command]:
        out: list[Command] = []
        for p in items:
            s = p.spec
            cy = y + (h - p.h) // 2
            out.append(Fill(Box(x + p.x, cy, p.w, p.h), s.bg, p.h // 2, "chip", s.role))
            lh = m.line_height(s.size, s.bold)
            px = (p.w - m.width(visual(p.label), s.size, s.bold)) // 2
            tx = x + p.x + px
            if s.dot:
                d = round(s.size * 0.55)
                dot_w = d + max(6, round(s.size * 0.6)) // 2
                tx = x + p.x + (p.w - m.width(visual(p.label), s.size, s.bold) - dot_w) // 2
                out.append(Fill(Box(tx, cy + (p.h - d) // 2, d, d), s.dot, d // 2, "panel",
                                s.role + ":dot"))
                tx += dot_w
            vis = visual(p.label)
            out.append(Text(Box(tx, cy + (p.h - lh) // 2, m.width(vis, s.size, s.bold), lh),
                            vis, s.size, s.bold, s.fg, s.role + ":label"))
        return out

    return draw


def stack(rows: Sequence[Row]) -> int:
    """Total height of rows drawn one under another."""
    return sum(r.height + (r.space_before if i else 0) for i, r in enumerate(rows))


def flow(rows: Sequence[Row], columns: Sequence[Box]) -> tuple[list[Command], int]:
    """Pour rows into columns in order; return the commands and how many rows fitted.

    A row that does not fit moves to the next column; a `keep_next` row (a heading)
    moves with its follower. When the columns are full, the last placed row is swapped
    for its ellipsized variant if it has one, so cut text visibly ends with "…".
    """
    out: list[Command] = []
    placed: list[tuple[Row, int, int, int]] = []  # row, x, y, index of first command
    ci = 0
    y = columns[0].y if columns else 0
    i = 0
    while i < len(rows) and ci < len(columns):
        col = columns[ci]
        row = rows[i]
        gap = row.space_before if y > col.y else 0
        need = gap + row.height
        if row.keep_next and i + 1 < len(rows):
            need += rows[i + 1].space_before + rows[i + 1].height
        if y + need > col.bottom:
            if y == col.y and not row.keep_next:  # taller than a whole column: give up
                break
            ci += 1
            if ci < len(columns):
                y = columns[ci].y
            continue
        start = len(out)
        out.extend(row.draw(col.x, y + gap))
        placed.append((row, col.x, y + gap, start))
        y += need if not row.keep_next else gap + row.height
        i += 1
    if i < len(rows) and placed:
        row, x, ry, start = placed[-1]
        if row.keep_next:  # never end on a dangling heading
            del out[start:]
            placed.pop()
            i -= 1
        elif row.truncated is not None:
            del out[start:]
            out.extend(row.truncated().draw(x, ry))
    return out, i
