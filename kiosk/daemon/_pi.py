"""The Pi's own realities, for the daemon: is the state durable, is the power good.

Checked where the daemon's other periodic work is: the durability once at start (a
mount does not change under a running kiosk), the firmware's power report every few
seconds from the main loop (`PowerWatch`: two small sysfs reads). Both end in `Health`
(metrics, STATUS=, the staff bar); each problem is one journal line when it starts. A
password in a configuration others can read is said at start too.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.config import Config, StorageConfig
from kiosk.config.exposure import exposed_secret
from kiosk.daemon.health import Health
from kiosk.daemon.power import PowerWatch
from kiosk.store.durable import MOUNTINFO, volatile_dirs, volatile_warning

__all__ = ["PiHealth"]

logger = logging.getLogger(__name__)

STATE_NOTICE = "queued scans are kept in RAM: see the journal"


class PiHealth:
    """Main thread only, like `Health`. `power` and `mountinfo` are the seams."""

    def __init__(self, health: Health, power: PowerWatch | None = None,
                 mountinfo: Path = MOUNTINFO) -> None:
        self._health = health
        self._power = power if power is not None else PowerWatch()
        self._mountinfo = mountinfo

    def at_start(self, cfg: Config) -> None:
        """One warning each: a configuration others can read that holds a password; the
        state or cache directory held in RAM."""
        if (secret := exposed_secret(cfg)) is not None:
            logger.warning("%s", secret)
        self.check_state(cfg.storage)

    def check_state(self, storage: StorageConfig) -> None:
        """One warning if the state or cache directory is held in RAM."""
        found = volatile_dirs([storage.state_dir, storage.cache_dir], self._mountinfo)
        self._health.state_durable = not found
        if found:
            logger.warning("%s", volatile_warning(found))
            self._health.notices["state"] = STATE_NOTICE
        else:
            self._health.notices.pop("state", None)

    @property
    def due(self) -> float | None:
        """When the power report is read next (monotonic); None: never (not a Pi)."""
        return self._power.due

    def poll_if_due(self, now: float) -> bool:
        """Read the power report if due; True when what `Health` says changed."""
        if not self._power.poll_if_due(now):
            return False
        self._health.power = self._power.reading
        hint = self._power.hint
        if hint:
            self._health.notices["power"] = hint
        else:
            self._health.notices.pop("power", None)
        return True
