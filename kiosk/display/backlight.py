"""The panel's backlight: dimmed, then switched off, while the idle screen waits.

Painting the idle screen black saves nothing on an LCD: its backlight still burns power
and ages. A DSI panel (the Raspberry Pi touch displays) exposes its backlight in sysfs,
``/sys/class/backlight/<name>/{brightness,max_brightness,bl_power}``; writing there is
what actually saves it. An HDMI monitor has no such node: for it the kiosk only paints.

Only state changes write (dim, off, wake), a few bytes each, so waking is as instant as
the scan that causes it. A backlight the kiosk may not write (permissions, a read-only
/sys) is reported once and left alone; the screen is still dimmed by painting.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

__all__ = ["BACKLIGHT_CLASS", "DIM_FRACTION", "Backlight", "Power"]

logger = logging.getLogger(__name__)

BACKLIGHT_CLASS = Path("/sys/class/backlight")
DIM_FRACTION = 0.3  # of the "on" brightness
# fbdev blanking levels written to bl_power (linux/fb.h).
_FB_BLANK_UNBLANK = "0"
_FB_BLANK_POWERDOWN = "4"

Power = Literal["on", "dim", "blank"]


class Backlight:
    """One sysfs backlight directory, driven to on, dim or blank."""

    def __init__(self, path: Path, brightness_percent: float = 100.0) -> None:
        """Read the panel's range; raise OSError when `path` is no readable backlight."""
        self.path = path
        self.max = int((path / "max_brightness").read_text().strip())
        if self.max <= 0:
            raise OSError(f"{path}: max_brightness is {self.max}")
        self.on_level = max(1, round(self.max * brightness_percent / 100))
        self.dim_level = max(1, round(self.on_level * DIM_FRACTION))
        self._has_power = (path / "bl_power").exists()
        self._failed = False

    @classmethod
    def find(cls, setting: str, brightness_percent: float = 100.0,
             root: Path = BACKLIGHT_CLASS) -> Backlight | None:
        """The backlight `setting` names: "" none, "auto" the first under `root`, or a
        directory. None (said once in the journal) when there is none to drive."""
        if not setting:
            return None
        if setting == "auto":
            found = sorted(root.iterdir()) if root.is_dir() else []
            if not found:
                logger.info("no backlight under %s (an HDMI monitor?): the idle screen is "
                            "dimmed and blanked by painting only", root)
                return None
            path = found[0]
        else:
            path = Path(setting)
        try:
            light = cls(path, brightness_percent)
        except (OSError, ValueError) as exc:
            logger.warning("backlight %s unusable (%s): the idle screen is dimmed and "
                           "blanked by painting only", path, exc)
            return None
        logger.info("backlight %s: on %d, dim %d of %d", path, light.on_level,
                    light.dim_level, light.max)
        return light

    def set(self, power: Power) -> bool:
        """Drive the panel to `power`: True when done. After a failed write (said once)
        it stops trying and answers False, so the caller paints instead."""
        if self._failed:
            return False
        try:
            if power == "blank":
                if self._has_power:
                    self._write("bl_power", _FB_BLANK_POWERDOWN)
                else:
                    self._write("brightness", "0")
                return True
            self._write("brightness", str(self.on_level if power == "on" else self.dim_level))
            if self._has_power:
                self._write("bl_power", _FB_BLANK_UNBLANK)
        except OSError as exc:
            self._failed = True
            logger.warning("cannot set backlight %s (%s); the idle screen is dimmed and "
                           "blanked by painting only. On a Pi, scripts/install-pi sets up "
                           "the permissions it needs.", self.path, exc.strerror or exc)
            return False
        return True

    def _write(self, name: str, value: str) -> None:
        # sysfs attributes take one write() each; no temp file, no fsync.
        with open(self.path / name, "w", encoding="ascii") as f:
            f.write(value)
