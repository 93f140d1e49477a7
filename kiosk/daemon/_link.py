"""Whether the API answers, as the main loop sees it.

Online and offline are what the API client saw on the wire (`ApiClient.on_link`, put on
the main loop's queue as `LinkChanged`); each transition is said once, and only "back"
wakes the drainer at once. While the kiosk is offline, or does not know yet, the free
`/balance` is asked in the background every `PROBE_EVERY_S`: its answer (or its
failure) is what tells.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kiosk.api import ApiClient
from kiosk.api.errors import ApiError
from kiosk.daemon.health import Health

__all__ = ["PROBE_EVERY_S", "Link"]

logger = logging.getLogger(__name__)

PROBE_EVERY_S = 30.0  # while offline, or unsure, ask the free /balance this often


class Link:
    """Main thread only (the probe's request runs on a thread of its own). `on_change`
    after every transition; `on_back` when the API answers again after being lost."""

    def __init__(self, api: ApiClient, health: Health, *, on_change: Callable[[], None],
                 on_back: Callable[[], None]) -> None:
        self._api = api
        self._health = health
        self._on_change = on_change
        self._on_back = on_back
        self._last_probe = float("-inf")
        self._prober: threading.Thread | None = None

    def changed(self, online: bool, reason: str | None = None) -> None:
        change = self._health.set_online(online)
        if change is None:
            return
        if change == "back":
            logger.warning("network back: the API answers again")
            self._on_back()
        elif change == "first_answer":
            logger.info("the API answers")
        else:
            logger.warning("network lost: the API does not answer (%s); scans are saved "
                           "and cached cards still show", reason or "no answer")
        self._on_change()

    @property
    def probe_due(self) -> float | None:
        """When to probe next (monotonic); None while the API answers."""
        return self._last_probe + PROBE_EVERY_S if self._health.online is not True else None

    def probe_if_due(self, now: float) -> None:
        if self._health.online is not True and now - self._last_probe >= PROBE_EVERY_S:
            self.probe()

    def probe(self) -> None:
        """Ask the free /balance in the background: what is left, and (through the
        client's `on_link`) whether the API answers. Then /pricing when it is due (free
        too): at start it is read here, so the first scan does not wait a round trip for
        it; the same one request either way."""
        if self._prober is not None and self._prober.is_alive():
            return
        self._last_probe = time.monotonic()
        api = self._api

        def probe() -> None:
            try:
                api.balance()
            except ApiError as exc:  # told to the main loop by `on_link` when it matters
                logger.debug("probe: %s", exc)
            else:
                api.refresh_pricing(when_due=True)

        self._prober = threading.Thread(target=probe, name="kiosk-probe", daemon=True)
        self._prober.start()
