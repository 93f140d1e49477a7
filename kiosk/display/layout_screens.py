"""Every screen but the product card: the idle/attract screen and the message screens.

Messages speak to whoever is holding the scanner: a shopper gets a short, kind sentence
and never a stack trace; staff get the barcode, the reason and what to do next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kiosk.display.blocks import Row, flow, para_rows, stack, text_row
from kiosk.display.chrome import recent_rows, status_bar, status_bar_height
from kiosk.display.commands import Arrow, Box, Color, Command, Fill, Image, Text
from kiosk.display.screens import (
    Error,
    Idle,
    Invalid,
    Mode,
    NotFound,
    Offline,
    OutOfCredits,
    RecentScan,
    ScannerDisconnected,
    StatusInfo,
)
from kiosk.display.text import Measure
from kiosk.display.theme import PALETTE, Scale, scale_for

__all__ = ["BILLING_URL", "Message", "Notice", "layout_idle", "layout_message", "message_for"]

P = PALETTE
BILLING_URL = "images.retaildigitals.com/billing"

Notice = NotFound | Invalid | Offline | OutOfCredits | ScannerDisconnected | Error

_WHERE = {
    "below": "below the screen",
    "above": "above the screen",
    "left": "to the left",
    "right": "to the right",
}


# --- idle -------------------------------------------------------------------------------------


def idle_arrow_box(size: tuple[int, int], idle: Idle, mode: Mode) -> Box:
    w, h = size
    s = scale_for(size)
    if mode == "staff":
        a = max(24, round(min(w, h) * 0.12))
        return Box(s.pad // 2 + 2, status_bar_height(s) + s.gap, a, a)
    a = round(min(w, h) * 0.22)
    pos = idle.scanner_position
    if pos == "below":
        return Box((w - a) // 2, h - s.pad - a, a, a)
    if pos == "above":
        return Box((w - a) // 2, s.pad, a, a)
    if pos == "left":
        return Box(s.pad, (h - a) // 2, a, a)
    return Box(w - s.pad - a, (h - a) // 2, a, a)


def layout_idle(
    idle: Idle, size: tuple[int, int], mode: Mode, m: Measure,
    status: StatusInfo | None = None, recent: Sequence[RecentScan] = (),
) -> list[Command]:
    w, h = size
    s = scale_for(size)
    arrow = idle_arrow_box(size, idle, mode)
    if mode == "staff":
        out: list[Command] = status_bar(m, s, w, status)
        out.append(Arrow(arrow, idle.scanner_position, P.accent))
        x = arrow.right + s.gap
        tw = w - x - s.pad // 2
        head = [text_row(m, "Ready · scan a product", s.large, True, P.ink, tw, "cta")]
        head += para_rows(m, f"{idle.store_name} · scanner {_WHERE[idle.scanner_position]}",
                          s.small, False, P.muted, tw, "subtitle", 2, s.px(4))
        y = arrow.y + max(0, (arrow.h - stack(head)) // 2)
        cmds, _ = flow(head, [Box(x, y, tw, max(arrow.bottom, y + stack(head)) - y)])
        out.extend(cmds)
        top = max(arrow.bottom, y + stack(head)) + s.gap
        rows = recent_rows(m, s, recent, w - s.pad - 4)
        if not rows:
            rows = [text_row(m, "No scans yet", s.small, False, P.muted, w - s.pad, "recent:none",
                             space_before=s.gap)]
        cmds, _ = flow(rows, [Box(s.pad // 2 + 2, top, w - s.pad - 4, h - top - s.pad // 2)])
        out.extend(cmds)
        return out
    # shopper attract screen: the text sits in the space the arrow leaves free
    pos = idle.scanner_position
    pad = s.pad
    if pos == "below":
        region = Box(pad, pad, w - 2 * pad, arrow.y - s.gap - pad)
    elif pos == "above":
        region = Box(pad, arrow.bottom + s.gap, w - 2 * pad, h - arrow.bottom - s.gap - pad)
    elif pos == "left":
        region = Box(arrow.right + s.gap, pad, w - arrow.right - s.gap - pad, h - 2 * pad)
    else:
        region = Box(pad, pad, arrow.x - s.gap - pad, h - 2 * pad)
    out = [Arrow(arrow, pos, P.idle_arrow)]
    rows = _idle_rows(idle, s, m, region, size)
    top = region.y + max(0, (region.h - stack(rows)) // 2)
    cmds, _ = flow(rows, [Box(region.x, top, region.w, region.bottom - top)])
    out.extend(cmds)
    return out


def _idle_rows(idle: Idle, s: Scale, m: Measure, region: Box, size: tuple[int, int]) -> list[Row]:
    w = region.w
    big = max(s.hero, round(s.hero * 1.3))
    for cta_size, sub in ((big, True), (s.hero, True), (s.title, True), (s.title, False),
                          (s.large, False)):
        rows: list[Row] = []
        if idle.logo is not None:
            lh = max(1, min(region.h // 3, round(min(size) * 0.22)))
            rows.append(Row(lh, _logo_drawer(w, lh)))
        else:
            rows += para_rows(m, idle.store_name, s.title, True, P.idle_muted, w, "store", 2)
            rows = [_center(r, m, w) for r in rows]
        rows += [_center(r, m, w) for r in para_rows(m, "Scan a product", cta_size, True,
                                                       P.idle_ink, w, "cta", 2, s.gap)]
        if sub:
            text = f"The scanner is {_WHERE[idle.scanner_position]}"
            rows += [_center(r, m, w) for r in para_rows(m, text, s.body, False, P.idle_muted,
                                                           w, "subtitle", 2, s.gap)]
        if stack(rows) <= region.h:
            return rows
    return rows


def _center(row: Row, m: Measure, w: int) -> Row:
    """Re-centre a left-aligned one-line row within width `w`."""
    inner = row.draw

    def draw(x: int, y: int) -> list[Command]:
        out: list[Command] = []
        for c in inner(x, y):
            if isinstance(c, Text):
                b = c.box
                c = Text(Box(x + (w - b.w) // 2, b.y, b.w, b.h), c.text, c.size, c.bold, c.color,
                         c.role)
            out.append(c)
        return out

    return Row(row.height, draw, row.space_before, row.keep_next)


def _logo_drawer(w: int, h: int) -> Callable[[int, int], list[Command]]:
    def draw(x: int, y: int) -> list[Command]:
        return [Image(Box(x, y, w, h), "logo")]

    return draw


# --- messages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    glyph: str
    color: Color
    title: str
    body: str
    detail: str = ""
    role: str = "message"


def message_for(state: Notice, mode: Mode) -> Message:
    """The words for a notice screen, for a shopper or for staff."""
    staff = mode == "staff"
    if isinstance(state, NotFound):
        return Message(
            "?", (100, 116, 139), "Product not found",
            f"Barcode {state.barcode} is not in the catalog. Nothing was charged."
            if staff else "We don't have details for this product yet.",
            "" if staff else f"Barcode {state.barcode}", "not_found")
    if isinstance(state, Invalid):
        raw = state.raw if len(state.raw) <= 40 else state.raw[:40] + "…"
        why = f" ({state.reason})" if state.reason else ""
        return Message(
            "!", P.warn, "That barcode didn't scan",
            f"Read {raw!r}{why}. No lookup was made; nothing was charged."
            if staff else "Please try scanning it again.",
            "" if staff else "Nothing was charged.", "invalid")
    if isinstance(state, Offline):
        saved = ("Saved — it will be looked up when the network is back."
                 if state.saved else "It could not be saved; please scan again later.")
        return Message(
            "⚡" if staff else "…", P.banner_offline,
            "We're offline" if not staff else "Offline",
            saved if staff else "We can't look this product up right now. " + saved,
            f"Barcode {state.barcode}", "offline")
    if isinstance(state, OutOfCredits):
        if staff:
            bal = f"{state.balance:,.2f}" if state.balance is not None else "unknown"
            return Message(
                "¢", P.bad, "Out of API credits",
                f"Balance {bal} credits. Top up on the Retail Digitals billing page, "
                f"{BILLING_URL}. Queued scans are looked up once it covers them.",
                "", "out_of_credits")
        return Message("i", P.accent, "Product details are unavailable right now",
                       "Please ask a member of staff for help.", "", "out_of_credits")
    if isinstance(state, ScannerDisconnected):
        if staff:
            dev = f" ({state.device})" if state.device else ""
            return Message("!", P.bad, "Scanner disconnected",
                           f"The barcode reader{dev} is not connected. Check its cable; the "
                           "kiosk picks it up again by itself.", "", "scanner")
        return Message("!", P.warn, "The scanner is resting",
                       "Please ask a member of staff for help.", "", "scanner")
    if staff:
        return Message("!", P.bad, "Something went wrong", state.message, "", "error")
    return Message("!", P.warn, "Sorry, something went wrong",
                   "Please try again, or ask a member of staff.", "", "error")


def layout_message(
    state: Notice, size: tuple[int, int], mode: Mode, m: Measure,
    status: StatusInfo | None = None, recent: Sequence[RecentScan] = (),
) -> list[Command]:
    w, h = size
    s = scale_for(size)
    msg = message_for(state, mode)
    out: list[Command] = []
    top = s.pad
    region_w = w - 2 * s.pad
    side: Box | None = None
    if mode == "staff":
        out.extend(status_bar(m, s, w, status))
        top = status_bar_height(s) + s.gap
        if w >= 700 and recent:
            side_w = round(w * 0.34)
            side = Box(w - s.pad // 2 - side_w, top, side_w, h - top - s.pad // 2)
            region_w = side.x - s.pad - s.pad
    region = Box(s.pad, top, region_w, h - top - s.pad)
    col_w = min(region.w, max(round(region.w * 0.85), 0))
    x = region.x + (region.w - col_w) // 2
    rows: list[Row] = []
    for icon_frac, title_size, body_size in ((0.2, s.hero, s.large), (0.14, s.title, s.body),
                                             (0.0, s.title, s.body), (0.0, s.large, s.small)):
        rows = []
        d = round(min(w, h) * icon_frac)
        if d >= 24:
            rows.append(Row(d, _icon_drawer(msg, d, col_w, m)))
        rows += [_center(r, m, col_w) for r in
                 para_rows(m, msg.title, title_size, True, P.ink, col_w, f"{msg.role}:title", 2,
                           s.gap)]
        rows += [_center(r, m, col_w) for r in
                 para_rows(m, msg.body, body_size, False, P.muted, col_w, f"{msg.role}:body",
                           5 if mode == "staff" else 3, s.gap)]
        if msg.detail:
            rows += [_center(r, m, col_w) for r in
                     para_rows(m, msg.detail, s.small, True, P.muted, col_w,
                               f"{msg.role}:detail", 1, s.gap)]
        if stack(rows) <= region.h:
            break
    extra: list[Row] = []
    if mode == "staff" and side is None and recent:
        extra = recent_rows(m, s, recent, region.w)
    avail = region.h - (stack(extra) + s.gap if extra and stack(rows) + stack(extra) + s.gap
                        <= region.h else 0)
    if avail == region.h:
        extra = []
    y = region.y + max(0, (avail - stack(rows)) // 2)
    cmds, _ = flow(rows, [Box(x, y, col_w, region.y + avail - y)])
    out.extend(cmds)
    if extra:
        cmds, _ = flow(extra, [Box(region.x, region.y + avail, region.w, region.h - avail)])
        out.extend(cmds)
    if side is not None:
        cmds, _ = flow(recent_rows(m, s, recent, side.w), [side])
        out.extend(cmds)
    return out


def _icon_drawer(msg: Message, d: int, w: int, m: Measure) -> Callable[[int, int], list[Command]]:
    def draw(x: int, y: int) -> list[Command]:
        box = Box(x + (w - d) // 2, y, d, d)
        out: list[Command] = [Fill(box, msg.color, d // 2, "chip", f"{msg.role}:icon")]
        size = max(8, round(d * 0.55))
        gw, lh = m.width(msg.glyph, size, True), m.line_height(size, True)
        if gw <= d and lh <= d:
            out.append(Text(Box(box.x + (d - gw) // 2, box.y + (d - lh) // 2, gw, lh), msg.glyph,
                            size, True, P.on_dark, f"{msg.role}:glyph"))
        return out

    return draw
