"""Waiting, at boot only, for the kernel to bring up the screen before SDL looks for it.

systemd starts the kiosk as soon as multi-user.target allows, and that can be before the
display driver has bound to its device: the system test saw it on a loaded machine
(virtio-gpu), and a Pi's vc4 driver binds after its firmware has answered. SDL then
finds no /dev/dri card, settles for a driver that shows nothing, and the kiosk refuses
to start; systemd restarts it two seconds later and that works, but every boot leaves a
failed start in the journal, which teaches admins to ignore failures.

So in the first minutes after boot the kiosk waits, briefly, for a KMS connector to
appear in sysfs (`/sys/class/drm/card0-HDMI-A-1` and the like: only display cards have
them, not a Pi 5's render-only v3d). Later, a missing screen is a real fault and is
reported at once, as it is on a machine that has no display at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["BOOT_WINDOW_S", "DRM_CLASS", "WAIT_S", "has_connector", "wait_for_screen"]

logger = logging.getLogger(__name__)

DRM_CLASS = Path("/sys/class/drm")
BOOT_WINDOW_S = 180.0  # seconds since boot during which a missing screen may still come
WAIT_S = 20.0  # under the unit's WatchdogSec=30, so the wait can never look like a hang
_POLL_S = 0.25


def has_connector(root: Path = DRM_CLASS) -> bool:
    """Whether a display card has registered a connector (`cardN-<type>-<n>`)."""
    try:
        return any(p.name.startswith("card") and "-" in p.name for p in root.iterdir())
    except OSError:  # no DRM at all on this kernel
        return False


def wait_for_screen(root: Path = DRM_CLASS, *, since_boot: float | None = None,
                    wait_s: float = WAIT_S,
                    clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], None] = time.sleep) -> bool:
    """True once a connector is there; waits up to `wait_s` only early after boot.

    `since_boot` is the system's uptime (CLOCK_BOOTTIME, readable where the service's
    ProcSubset=pid hides /proc/uptime); given for tests.
    """
    if has_connector(root):
        return True
    uptime = time.clock_gettime(time.CLOCK_BOOTTIME) if since_boot is None else since_boot
    if uptime > BOOT_WINDOW_S:
        return False
    logger.info("no screen under %s yet, %.0f s after boot: waiting up to %.0f s for the "
                "display driver", root, uptime, wait_s)
    start = clock()
    while clock() - start < wait_s:
        sleep(_POLL_S)
        if has_connector(root):
            logger.info("screen appeared after %.1f s", clock() - start)
            return True
    return False
