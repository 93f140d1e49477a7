"""Barcode-scanner makers by USB id: the one table behind the udev rules and `kiosk scanners`.

Every id and name below is copied from usb.ids, the USB ID repository that Debian ships
in its `usb.ids` / `hwdata` packages (/usr/share/misc/usb.ids): upstream hwdata
(github.com/vcrhonek/hwdata) usb.ids "Version: 2026.06.26", commit d1f6971. None is from
memory. A maker whose vendor id belongs to scanners alone is matched on the vendor id;
a general-purpose chip or peripheral vendor (Cypress, Winbond, HP…) only on the products
usb.ids names as barcode readers. Makers asked about but absent from usb.ids under their
own name (Code Corp, Zebex, Opticon, Cino/Fuzzy Scientific, Unitech, Inateck, Netum,
Eyoyo) are not listed: many sell scanners built on another maker's engine (Newland,
Honeywell), which the table then recognises by that engine's id.

`udev_rules()` renders the table as the generated block of
systemd/99-barcode-scanner.rules (a test holds the file to it); after a change to the
table, `python -m kiosk.scanner.vendors systemd/99-barcode-scanner.rules` rewrites it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BEGIN", "END", "MAKERS", "Maker", "lookup", "replace_block", "udev_rules"]


@dataclass(frozen=True)
class Maker:
    """One usb.ids entry: a vendor (`product` None: all its products) or one product."""

    vendor: str  # 4 lowercase hex digits, as udev's ATTRS{idVendor} shows it
    name: str
    product: str | None = None


MAKERS: tuple[Maker, ...] = (
    Maker("0536", "Hand Held Products (Welch Allyn, Inc.)"),
    Maker("05e0", "Symbol Technologies"),
    Maker("05f9", "PSC Scanning, Inc."),
    Maker("067e", "Intermec Technologies Corp."),
    Maker("080c", "Datalogic S.p.A."),
    Maker("0a5f", "Zebra Technologies"),
    Maker("0c2e", "Metrologic Instruments"),
    Maker("0db5", "Access IS"),
    Maker("10ac", "Honeywell, Inc."),
    Maker("1306", "FM20 Barcode Scanner"),
    Maker("1eab", "Fujian Newland Computer Co., Ltd"),
    Maker("27dd", "Mindeo"),
    # General-purpose vendors: only the products usb.ids calls barcode readers.
    Maker("03f0", "HP, Inc Barcode Scanner 4430", "0139"),
    Maker("03f0", "HP, Inc Barcode scanner", "1d24"),
    Maker("040b", "Weltrend Semiconductor Bar Code Reader", "6510"),
    Maker("0416", "Winbond Electronics Corp. Barcode Scanner", "c141"),
    Maker("04b4", "Cypress Semiconductor Corp. Barcode Reader", "bca1"),
    Maker("04b4", "Cypress Semiconductor Corp. Barcode Reader", "de61"),
    Maker("04b4", "Cypress Semiconductor Corp. Barcode Reader", "de64"),
    Maker("0581", "Racal Data Group Tera Barcode Scanner 2.4 GHz Receiver", "0107"),
    Maker("0581", "Racal Data Group Tera 2D Barcode Scanner EVHK0012", "020c"),
    Maker("13ba", "PCPlay Barcode PCP-BCG4209", "0018"),
    Maker("24ae", "Shenzhen Rapoo Technology Co., Ltd. meva Barcode Scanner", "0197"),
    Maker("24ea", "Meva Barcode Scanner", "0197"),
)

BEGIN = "# --- BEGIN generated from kiosk/scanner/vendors.py: do not edit by hand ---"
END = "# --- END generated ---"


def lookup(vendor: int | str | None, product: int | str | None = None) -> Maker | None:
    """The table's entry for a USB vendor (and product) id, as an int or hex text."""
    if vendor is None:
        return None
    v = _hex4(vendor)
    p = None if product is None else _hex4(product)
    for maker in MAKERS:
        if maker.vendor == v and (maker.product is None or maker.product == p):
            return maker
    return None


def _hex4(value: int | str) -> str:
    if isinstance(value, int):
        return f"{value:04x}"
    text = value.strip().lower()
    return text.removeprefix("0x").zfill(4)


def udev_rules() -> str:
    """The generated block: per entry, one rule for its HID event node and one for its
    serial port (cdc_acm ttyACM, or a USB-serial ttyUSB), the port kept from
    ModemManager, whose probe (AT commands) would otherwise be read as scans or swallow
    them."""
    lines = [BEGIN]
    for m in MAKERS:
        match = f'ATTRS{{idVendor}}=="{m.vendor}"'
        if m.product is not None:
            match += f', ATTRS{{idProduct}}=="{m.product}"'
        lines += [
            f"# {m.vendor}{':' + m.product if m.product else ''} {m.name}",
            f'SUBSYSTEM=="input", KERNEL=="event*", {match}, ENV{{KIOSK_SCANNER}}="1", '
            'SYMLINK+="input/barcode-scanner", GROUP="input", MODE="0660"',
            f'SUBSYSTEM=="tty", {match}, ENV{{ID_MM_DEVICE_IGNORE}}="1", '
            'ENV{KIOSK_SCANNER}="1", SYMLINK+="barcode-serial", GROUP="dialout", MODE="0660"',
        ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def replace_block(text: str) -> str:
    """`text` (a rules file) with its generated block replaced by `udev_rules()`."""
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    return text[:start] + udev_rules() + text[end:]


def _main(argv: list[str]) -> int:
    path = Path(argv[0])
    path.write_text(replace_block(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
