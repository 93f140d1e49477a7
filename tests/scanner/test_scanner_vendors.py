"""The scanner makers' table and the udev rules generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.scanner import vendors
from kiosk.scanner.vendors import MAKERS, lookup, replace_block, udev_rules

RULES = Path(__file__).resolve().parents[2] / "systemd" / "99-barcode-scanner.rules"


def test_the_rules_file_holds_the_tables_block() -> None:
    text = RULES.read_text(encoding="utf-8")
    assert udev_rules() in text, (
        "systemd/99-barcode-scanner.rules is out of date with kiosk/scanner/vendors.py: "
        "python -m kiosk.scanner.vendors systemd/99-barcode-scanner.rules")
    assert replace_block(text) == text


def test_every_entry_has_a_hid_and_a_serial_rule_and_the_serial_one_keeps_modemmanager_off(
) -> None:
    rules = [line for line in udev_rules().splitlines() if line and not line.startswith("#")]
    assert len(rules) == 2 * len(MAKERS)
    for maker, hid, tty in zip(MAKERS, rules[::2], rules[1::2], strict=True):
        ids = f'ATTRS{{idVendor}}=="{maker.vendor}"'
        assert hid.startswith(f'SUBSYSTEM=="input", KERNEL=="event*", {ids}')
        assert tty.startswith(f'SUBSYSTEM=="tty", {ids}')
        assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in tty
        assert "ID_MM_DEVICE_IGNORE" not in hid
        if maker.product:
            assert f'ATTRS{{idProduct}}=="{maker.product}"' in hid
            assert f'ATTRS{{idProduct}}=="{maker.product}"' in tty
        else:
            assert "idProduct" not in hid + tty


def test_ids_are_four_lowercase_hex_digits_and_unique() -> None:
    for maker in MAKERS:
        assert re.fullmatch(r"[0-9a-f]{4}", maker.vendor), maker
        assert maker.product is None or re.fullmatch(r"[0-9a-f]{4}", maker.product), maker
    keys = [(m.vendor, m.product) for m in MAKERS]
    assert len(keys) == len(set(keys))
    # A vendor is listed whole or by products, never both (the whole would hide them).
    whole = {m.vendor for m in MAKERS if m.product is None}
    assert not [m for m in MAKERS if m.product is not None and m.vendor in whole]


@pytest.mark.parametrize(("vendor", "product", "name"), [
    (0x0C2E, 0x0B81, "Metrologic Instruments"),      # Honeywell Voyager 1400g
    ("05e0", "1200", "Symbol Technologies"),
    ("0x1EAB", None, "Fujian Newland Computer Co., Ltd"),
    (0x04B4, 0xDE61, "Cypress Semiconductor Corp. Barcode Reader"),
])
def test_lookup_finds_the_makers(vendor: int | str, product: int | str | None,
                                 name: str) -> None:
    found = lookup(vendor, product)
    assert found is not None and found.name == name


@pytest.mark.parametrize(("vendor", "product"), [
    (0x04B4, 0x6001),   # a Cypress chip that is not a barcode reader
    (0x046D, 0xC31C),   # a Logitech keyboard
    (None, None),
    (0x04B4, None),     # a by-product vendor without a product: not known
])
def test_lookup_leaves_other_devices_alone(vendor: int | None, product: int | None) -> None:
    assert lookup(vendor, product) is None


def test_main_rewrites_only_the_block(tmp_path: Path) -> None:
    stale = tmp_path / "r.rules"
    stale.write_text(f"# mine\n{vendors.BEGIN}\nold\n{vendors.END}\n# after\n",
                     encoding="utf-8")
    assert vendors._main([str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == f"# mine\n{udev_rules()}# after\n"
