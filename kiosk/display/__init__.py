"""The screen: pure layout of screen states into draw commands, and a thin pygame painter.

`layout()` is pure (no window; it measures text with the real font). `Display` owns the
window, paints layouts, animates the idle arrow and dims/blanks the idle screen.
`prepare_image` turns a downloaded JPEG/PNG into compact display-ready bytes for the
card's photo box; `load_prepared` turns those bytes back into a surface without decoding.

The product card's layout is private: `_card` (the card, its photo panel) with
`_card_frame` (the frame its three shapes share), `_card_shopper`, `_card_staff`,
`_nutrition` and `_card_chips`; `layout` and `card_image_box` are its public face.
"""

from __future__ import annotations

from kiosk.display.commands import Arrow, Box, Command, Fill, Image, Layout, Placeholder, Text
from kiosk.display.display import Display
from kiosk.display.images import load_prepared, prepare_image
from kiosk.display.layout import card_image_box, layout
from kiosk.display.painter import Painter
from kiosk.display.screens import (
    Card,
    Error,
    Idle,
    Invalid,
    Mode,
    NotFound,
    Offline,
    OutOfCredits,
    RecentScan,
    ScannerDisconnected,
    ScreenState,
    StatusInfo,
)
from kiosk.display.text import FontMeasure, Measure

__all__ = [
    "Arrow",
    "Box",
    "Card",
    "Command",
    "Display",
    "Error",
    "Fill",
    "FontMeasure",
    "Idle",
    "Image",
    "Invalid",
    "Layout",
    "Measure",
    "Mode",
    "NotFound",
    "Offline",
    "OutOfCredits",
    "Painter",
    "Placeholder",
    "RecentScan",
    "ScannerDisconnected",
    "ScreenState",
    "StatusInfo",
    "Text",
    "card_image_box",
    "layout",
    "load_prepared",
    "prepare_image",
]
