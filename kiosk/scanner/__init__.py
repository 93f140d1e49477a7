"""Barcode readers: from what a USB HID or serial reader emits to validated GTINs.

Pure parts (`gs1`, `hid`, `keymaps`, `dedupe`, `SerialFramer`) hold every rule; the
evdev and serial readers are thin threaded adapters around them.
"""

from __future__ import annotations

from kiosk.scanner.dedupe import DuplicateWindow
from kiosk.scanner.evdev_reader import EvdevReader
from kiosk.scanner.fake import FakeReader
from kiosk.scanner.gs1 import Invalid, Normalized, gs1_gtin, normalize, validate
from kiosk.scanner.hid import Dropped, HidDecoder
from kiosk.scanner.readers import open_readers
from kiosk.scanner.scan import MAX_SCAN_CHARS, OnScan, OnStatus, Reader, Scan, printable
from kiosk.scanner.serial_reader import SerialFramer, SerialReader
from kiosk.scanner.window import WindowKeyboard

__all__ = [
    "MAX_SCAN_CHARS",
    "Dropped",
    "DuplicateWindow",
    "EvdevReader",
    "FakeReader",
    "HidDecoder",
    "Invalid",
    "Normalized",
    "OnScan",
    "OnStatus",
    "Reader",
    "Scan",
    "SerialFramer",
    "SerialReader",
    "WindowKeyboard",
    "gs1_gtin",
    "normalize",
    "open_readers",
    "printable",
    "validate",
]
