"""SIGHUP: what of a new configuration applies now, and what waits for a restart.

The fleet labels, the scanner settings (the readers are reopened) and the display's
store name, logo and texts apply at once; the screen's size, mode, font, backlight,
output and rotation, and the [api], [storage], [metrics] and [prices] sections, after a
restart (said once in the journal). A file that does not load is refused whole: the running
configuration stays.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from kiosk import config as config_mod
from kiosk.config import Config, DisplayConfig
from kiosk.errors import ConfigError

__all__ = ["FIXED_DISPLAY", "display_now", "load_again", "restart_only"]

logger = logging.getLogger(__name__)

FIXED_DISPLAY = ("size", "mode", "fullscreen", "font", "backlight", "brightness_percent",
                 "output", "rotation")
"""The display settings a running kiosk keeps until it restarts."""


def load_again(path: Path | None, running: Config) -> Config | None:
    """The configuration read again from `path` (`running` when there is no file); None
    (said in the journal) when it does not load."""
    try:
        return config_mod.load(path) if path else running
    except ConfigError as exc:
        logger.error("reload refused, keeping the running configuration: %s",
                     "; ".join(exc.problems))
        return None


def display_now(old: DisplayConfig, new: DisplayConfig) -> DisplayConfig:
    """`new` with the settings that wait for a restart kept as they are (said once)."""
    if any(getattr(old, f) != getattr(new, f) for f in FIXED_DISPLAY):
        logger.warning("display size, mode, full screen, font, backlight, output and "
                       "rotation apply after a restart")
    return replace(new, **{f: getattr(old, f) for f in FIXED_DISPLAY})


def restart_only(old: Config, new: Config) -> None:
    """Say when sections that apply only after a restart changed."""
    if (new.api, new.storage, new.metrics, new.prices) != (old.api, old.storage, old.metrics,
                                                           old.prices):
        logger.warning("[api], [storage], [metrics] and [prices] changes apply after a restart")
