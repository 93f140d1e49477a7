"""The pure layout step: a screen state, a screen size and a mode in; draw commands out.

Nothing here touches a window. Text is measured through the `Measure` protocol (backed by
`pygame.font` in production and in tests, which needs no display), so positions are
exact and the painter only has to blit.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.display._card import card_image_box, layout_card
from kiosk.display.commands import Box, Layout
from kiosk.display.layout_screens import idle_arrow_box, layout_idle, layout_message
from kiosk.display.screens import Card, Idle, Mode, RecentScan, ScreenState, StatusInfo
from kiosk.display.text import Measure
from kiosk.display.theme import PALETTE

__all__ = ["card_image_box", "idle_arrow_box", "layout", "logo_box"]


def layout(
    state: ScreenState, size: tuple[int, int], mode: Mode, measure: Measure, *,
    status: StatusInfo | None = None, recent: Sequence[RecentScan] = (),
) -> Layout:
    """Position everything `state` needs on a `size` screen for `mode`."""
    if isinstance(state, Card):
        mode = state.mode or mode
        cmds = layout_card(state, size, mode, measure, status, recent)
        bg = PALETTE.bg
    elif isinstance(state, Idle):
        cmds = layout_idle(state, size, mode, measure, status, recent)
        bg = PALETTE.idle_bg if mode == "shopper" else PALETTE.bg
    else:
        cmds = layout_message(state, size, mode, measure, status, recent)
        bg = PALETTE.bg
    return Layout(size, bg, tuple(cmds))


def logo_box(lay: Layout) -> Box | None:
    found = lay.find("logo")
    return found[0].box if found else None
