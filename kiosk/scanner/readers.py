"""Build the configured readers (not started) for the daemon."""

from __future__ import annotations

from kiosk.config import ScannerConfig
from kiosk.scanner.evdev_reader import EvdevReader
from kiosk.scanner.scan import OnScan, OnStatus, Reader
from kiosk.scanner.serial_reader import SerialReader

__all__ = ["open_readers"]


def open_readers(
    cfg: ScannerConfig, devices: list[str], on_scan: OnScan, on_status: OnStatus
) -> list[Reader]:
    """One reader per entry of `devices` (normally `Config.scanner_devices`).

    Nothing is opened here: each reader opens its device in its own thread after
    `start()`, and keeps trying if it is missing. Several ``"auto"`` entries each grab a
    different matching device (a grabbed device is busy for the next one); their sources
    are ``auto``, ``auto#2``... so that status and double-read state stay apart.
    """
    readers: list[Reader] = []
    seen: dict[str, int] = {}
    for device in devices:
        seen[device] = seen.get(device, 0) + 1
        source = device if seen[device] == 1 else f"{device}#{seen[device]}"
        if cfg.kind == "serial":
            readers.append(SerialReader(
                device, on_scan, on_status, baudrate=cfg.baudrate,
                inter_key_timeout_ms=cfg.inter_key_timeout_ms,
                strip_prefix=cfg.strip_prefix, strip_suffix=cfg.strip_suffix,
            ))
        else:
            readers.append(EvdevReader(
                device, on_scan, on_status, layout=cfg.layout, name_pattern=cfg.name_pattern,
                inter_key_timeout_ms=cfg.inter_key_timeout_ms, source=source,
            ))
    return readers
