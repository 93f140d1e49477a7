"""Staff chrome shared by every screen: the status bar and the recent-scans list."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.display.blocks import Row, line, text_row
from kiosk.display.commands import Box, Command, Fill, Text
from kiosk.display.screens import RecentScan, StatusInfo
from kiosk.display.text import Measure, visual
from kiosk.display.theme import PALETTE, Scale

__all__ = ["STATE_COLORS", "STATE_LABELS", "recent_rows", "status_bar", "status_bar_height"]

P = PALETTE

# By `RecentScan.chip`: the outcomes the list shows, and "resolved".
STATE_LABELS: dict[str, str] = {
    "shown": "shown",
    "cached": "cached",
    "queued": "queued",
    "resolved": "resolved",
    "not_found": "not found",
    "invalid": "invalid",
}
STATE_COLORS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "shown": ((220, 242, 228), (22, 101, 52)),
    "cached": ((224, 234, 248), (30, 64, 140)),
    "queued": ((254, 236, 200), (146, 64, 14)),
    "resolved": ((209, 240, 236), (15, 95, 87)),
    "not_found": ((236, 233, 228), (87, 83, 78)),
    "invalid": ((253, 224, 224), (153, 27, 27)),
}


def status_bar_height(s: Scale) -> int:
    """Fixed from the scale alone so the card's photo box never depends on a font."""
    return round(s.small * 1.45) + 2 * max(4, s.px(7))


def status_bar(m: Measure, s: Scale, width: int, status: StatusInfo | None) -> list[Command]:
    """A dark strip across the top: connectivity, queue, credits, scanner, last error."""
    st = status or StatusInfo()
    h = status_bar_height(s)
    out: list[Command] = [Fill(Box(0, 0, width, h), P.status_bg, 0, "panel", "status")]
    size = s.small
    lh = m.line_height(size, True)
    y = (h - lh) // 2
    x = s.pad // 2 + 2
    dot = max(6, round(size * 0.6))
    credits = f"{st.credits_remaining:,.1f} cr" if st.credits_remaining is not None else "– cr"
    compact = width < 560
    items: list[tuple[str, tuple[int, int, int] | None, str]] = [
        ("Online" if st.online else "Offline", P.ok if st.online else P.bad, "status:online"),
        (f"Q {st.queue_depth}" if compact else f"Queue {st.queue_depth}",
         None if not st.queue_depth else P.warn, "status:queue"),
        (credits, None, "status:credits"),
        ("Scanner" if st.scanner_connected else "No scanner",
         P.ok if st.scanner_connected else P.bad, "status:scanner"),
    ]
    if st.set_aside:
        items.insert(2, (f"{st.set_aside} set aside", P.bad, "status:set_aside"))
    gap = s.px(16)
    for label, color, role in items:
        vis = visual(label)
        need = m.width(vis, size, True) + (dot + dot // 2 if color else 0)
        if x + need > width - s.pad // 2:
            break
        if color:
            out.append(Fill(Box(x, (h - dot) // 2, dot, dot), color, dot // 2, "panel",
                            role + ":dot"))
            x += dot + dot // 2
        tw = m.width(vis, size, True)
        out.append(Text(Box(x, y, tw, lh), vis, size, True, P.status_ink, role))
        x += tw + gap
    if st.last_error:
        room = width - s.pad // 2 - x
        t = line(m, x, y, f"⚠ {st.last_error}", size, False, (252, 165, 165), room, "status:error")
        if t is not None and room > 4 * size:
            out.append(t)
    return out


def recent_rows(
    m: Measure, s: Scale, recent: Sequence[RecentScan], w: int, title: bool = True,
) -> list[Row]:
    """Header plus one row per recent scan: state chip, barcode, name, time."""
    if not recent:
        return []
    size = s.tiny
    rows: list[Row] = []
    if title:
        rows.append(text_row(m, "Recent scans", s.small, True, P.muted, w, "recent:title",
                             space_before=s.gap, keep_next=True))
    chip_w = max(m.width(visual(lbl), size, True) for lbl in STATE_LABELS.values()) + 2 * s.px(8)
    for scan in recent:
        rows.append(_recent_row(m, s, scan, w, size, chip_w))
    return rows


def _recent_row(m: Measure, s: Scale, scan: RecentScan, w: int, size: int, chip_w: int) -> Row:
    lh = m.line_height(size, True)
    pad_y = max(2, s.px(3))
    two_lines = bool(scan.name) and w >= 14 * size
    h = lh * (2 if two_lines else 1) + 2 * pad_y
    chip = scan.chip
    bg, fg = STATE_COLORS.get(chip, STATE_COLORS["not_found"])
    label = STATE_LABELS.get(chip, chip)

    def draw(x: int, y: int) -> list[Command]:
        ch = lh + 2 * pad_y
        vis = visual(label)
        tw = m.width(vis, size, True)
        out: list[Command] = [
            Fill(Box(x, y, chip_w, ch), bg, ch // 2, "chip", f"recent:{chip}"),
            Text(Box(x + (chip_w - tw) // 2, y + pad_y, tw, lh), vis, size, True, fg,
                 f"recent:{chip}:label"),
        ]
        cx = x + chip_w + s.px(8)
        room = x + w - cx
        when = scan.at or ""
        ww = m.width(when, size, False) if when else 0
        if when and room > ww + 8 * size:
            out.append(Text(Box(x + w - ww, y + pad_y, ww, lh), when, size, False, P.muted,
                            "recent:time"))
            room -= ww + s.px(8)
        code = line(m, cx, y + pad_y, scan.barcode, size, True, P.ink, room, "recent:barcode")
        if code is not None:
            out.append(code)
        if scan.name and two_lines:
            t = line(m, cx, y + pad_y + lh, scan.name, size, False, P.muted, x + w - cx,
                     "recent:name")
            if t is not None:
                out.append(t)
        elif scan.name and code is not None and room - code.box.w - s.px(8) > 4 * size:
            used = code.box.w + s.px(8)
            t = line(m, cx + used, y + pad_y, scan.name, size, False, P.muted, room - used,
                     "recent:name")
            if t is not None:
                out.append(t)
        return out

    return Row(h, draw, max(1, s.px(3)))
