"""`kiosk scanners`: the input and serial devices that look like barcode readers, which
one the kiosk uses and why.

The judging is `kiosk.scanner.discovery` (the readers' own rules and the makers' table);
this module only loads evdev and pyserial's port list, and prints. Input devices a user
outside the group `input` cannot open are not seen: the output says so.
"""

from __future__ import annotations

import dataclasses
import json
import os

from kiosk.config import Config
from kiosk.exitcodes import EX_OK
from kiosk.sanitize import escape_controls
from kiosk.scanner.discovery import Finding, describe, list_inputs, list_serial

__all__ = ["render_text", "scanners_command"]


def render_text(cfg: Config, findings: list[Finding], *, can_read_inputs: bool) -> str:
    """One line a device, `*` for the one(s) the kiosk uses; device names are escaped
    (a USB device names itself)."""
    devices = ", ".join(cfg.scanner_devices)
    lines = [f'scanner.kind = "{cfg.scanner.kind}", scanner.device = {devices}']
    for kind, title in (("hid", "Input devices (HID readers type like a keyboard):"),
                        ("serial", "Serial ports (USB-COM and serial readers):")):
        lines.append(title)
        mine = [f for f in findings if f.kind == kind]
        for f in mine:
            mark = "*" if f.used else ("?" if f.looks_like_scanner else " ")
            lines.append(f"  {mark} {f.path}  {escape_controls(f.label)}  ({f.why})")
        if not mine:
            lines.append("    none")
    if not can_read_inputs:
        lines.append("Input devices are readable by root and the group input only: run "
                     "`sudo kiosk scanners` to see them all.")
    if not any(f.used for f in findings):
        lines.append("The kiosk uses none of these now: plug the reader in, or set "
                     "scanner.device (and scanner.kind) to one of them.")
    lines.append("(* used by the kiosk, ? looks like a barcode reader)")
    return "\n".join(lines)


def scanners_command(cfg: Config, *, as_json: bool) -> int:
    findings = describe(cfg.scanner, cfg.scanner_devices, list_inputs(), list_serial())
    can_read = os.geteuid() == 0 or _in_group("input")
    if as_json:
        print(json.dumps([dataclasses.asdict(f) for f in findings]))
    else:
        print(render_text(cfg, findings, can_read_inputs=can_read))
    return EX_OK


def _in_group(name: str) -> bool:
    import grp

    try:
        return grp.getgrnam(name).gr_gid in os.getgroups()
    except KeyError:
        return False
