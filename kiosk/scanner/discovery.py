"""Which input and serial devices look like barcode readers, and which one the kiosk takes.

For `kiosk scanners`: an admin at a Pi with a scanner that does nothing wants to see
what the kiosk sees. Input devices are read with evdev (name, USB ids, keys), serial
ports with pyserial's port list (USB ids from sysfs); each is judged by the rules the
readers themselves apply (`is_keyboard_like`, `is_scanner_like`'s name pattern,
`not_a_tty`) and by the makers' table (`kiosk.scanner.vendors`). `describe` is pure:
tests hand it `InputInfo` and `SerialInfo` values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.config import ScannerConfig
from kiosk.scanner.vendors import Maker, lookup

__all__ = ["Finding", "InputInfo", "SerialInfo", "describe", "list_inputs", "list_serial"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputInfo:
    """One /dev/input/event* device, as evdev reports it."""

    path: str
    name: str
    vendor: int | None
    product: int | None
    keyboard_like: bool


@dataclass(frozen=True)
class SerialInfo:
    """One serial port, as pyserial's port list reports it."""

    path: str
    description: str
    vendor: int | None
    product: int | None


@dataclass(frozen=True)
class Finding:
    """One device and the verdict on it (one line of `kiosk scanners`)."""

    kind: str  # "hid" or "serial"
    path: str
    label: str  # name or description, and the maker from the table
    looks_like_scanner: bool
    used: bool
    why: str


def _maker(vendor: int | None, product: int | None) -> Maker | None:
    return lookup(vendor, product) if vendor else None


def _ids(vendor: int | None, product: int | None) -> str:
    return f" [{vendor:04x}:{product or 0:04x}]" if vendor else ""


def describe(cfg: ScannerConfig, devices: Sequence[str], inputs: Sequence[InputInfo],
             serial: Sequence[SerialInfo]) -> list[Finding]:
    """Every device with its verdict; `devices` are the configured paths
    (`Config.scanner_devices`), in order, as the readers take them."""
    findings = []
    autos = sum(1 for d in devices if d == "auto") if cfg.kind == "hid" else 0
    for dev in inputs:
        maker = _maker(dev.vendor, dev.product)
        named = bool(re.search(cfg.name_pattern, dev.name or ""))
        label = dev.name + _ids(dev.vendor, dev.product) + (f" {maker.name}" if maker else "")
        looks = dev.keyboard_like and (named or maker is not None)
        used, why = False, ""
        if cfg.kind != "hid":
            why = 'not used: scanner.kind is "serial"'
        elif dev.path in devices:
            used = dev.keyboard_like
            why = ("used: named in scanner.device" if used
                   else "named in scanner.device but refused: no Enter and digit keys")
        elif autos and dev.keyboard_like and named:
            used, autos = True, autos - 1
            why = f'used: device = "auto" and its name matches {cfg.name_pattern!r}'
        elif dev.keyboard_like and maker is not None and not named:
            why = (f"not used: a known maker, but its name does not match "
                   f"scanner.name_pattern {cfg.name_pattern!r}")
        elif not dev.keyboard_like:
            why = "not a reader: no Enter and digit keys"
        else:
            why = "not used: a keyboard" + ("" if autos else " (not named in scanner.device)")
        findings.append(Finding("hid", dev.path, label, looks, used, why))
    for port in serial:
        maker = _maker(port.vendor, port.product)
        label = (port.description + _ids(port.vendor, port.product)
                 + (f" {maker.name}" if maker else ""))
        used = cfg.kind == "serial" and port.path in devices
        if used:
            why = "used: named in scanner.device"
        elif cfg.kind != "serial":
            why = 'not used: scanner.kind is "hid"'
        else:
            why = "not used: not named in scanner.device (serial ports are never guessed)"
        findings.append(Finding("serial", port.path, label, maker is not None, used, why))
    return findings


def list_inputs() -> list[InputInfo]:
    """The input event devices this user may open, in the order the "auto" reader tries
    them (one it may not open is logged at debug)."""
    from evdev import InputDevice, list_devices

    from kiosk.scanner.evdev_reader import is_keyboard_like

    found = []
    for path in list_devices():
        try:
            dev = InputDevice(path)
        except OSError as exc:
            logger.debug("%s: %s", path, exc)
            continue
        try:
            found.append(InputInfo(path, dev.name, dev.info.vendor or None,
                                   dev.info.product or None,
                                   is_keyboard_like(dev.capabilities())))
        finally:
            dev.close()
    return found


def list_serial() -> list[SerialInfo]:
    """USB and on-board serial ports, from pyserial's look at sysfs."""
    from serial.tools import list_ports

    return sorted((SerialInfo(p.device, p.description or "", p.vid, p.pid)
                   for p in list_ports.comports()), key=lambda s: _natural(s.path))


def _natural(path: str) -> tuple[str, int]:
    m = re.match(r"(.*?)(\d+)$", path)
    return (m.group(1), int(m.group(2))) if m else (path, -1)
