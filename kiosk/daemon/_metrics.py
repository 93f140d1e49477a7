"""The Prometheus textfile (`metrics.textfile`): made at start, written every
`metrics.interval_s` (the oldest queued scan ages, and a file that stops changing means
a stuck kiosk), removed on an orderly stop."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from kiosk.api import ApiClient
from kiosk.daemon.health import Health
from kiosk.errors import StoreError
from kiosk.metrics import Gauges, Metrics
from kiosk.store import Store

__all__ = ["MetricsFile"]

logger = logging.getLogger(__name__)


class MetricsFile:
    """`metrics` is None when no file is named (and until `open`)."""

    def __init__(self, path: Path | None, started_at: float | None = None) -> None:
        self.path = path
        self._started_at = time.time() if started_at is None else started_at
        self.metrics: Metrics | None = None
        self.due: float | None = 0.0 if path else None  # monotonic; None: never

    def open(self, store: Store) -> None:
        """Start counting, from what the store says was spent so far."""
        if self.path is not None:
            self.metrics = Metrics(started_at=self._started_at,
                                   credits_spent_at_start=_spent_so_far(store))

    def observe_lookup(self, seconds: float, credits: float) -> None:
        """From the scan worker's and the drainer's threads (Metrics is thread-safe)."""
        assert self.metrics is not None
        self.metrics.observe_lookup(seconds)
        self.metrics.record_spend(credits)

    def write(self, health: Health, api: ApiClient, store: Store) -> None:
        """The gauges as of now (`health` refreshed by the caller), and the file
        node_exporter reads."""
        assert self.metrics is not None and self.path is not None
        try:
            oldest = store.queue.stats().oldest_age_s or 0.0
        except StoreError:
            oldest = 0.0  # the queue's own trouble is logged where it happens
        h = health
        self.metrics.update(Gauges(
            queue_depth=h.queue_depth, oldest_queued_age_s=oldest, set_aside=h.set_aside,
            credits_remaining=h.credits_remaining, token_expires_at=h.token_expires_at,
            scanners=dict(h.scanners), online=h.online,
            last_api_success_at=api.state.last_answer_at,
            spend_limit_reached=api.spend is not None and api.spend.limited,
            state_durable=h.state_durable,
            undervoltage=None if h.power is None else h.power.under_voltage,
            throttled=None if h.power is None else h.power.throttled,
            clock_skew_s=api.clock_skew))
        self.metrics.write(self.path)

    def remove(self) -> None:
        if self.path is not None:
            Metrics.remove(self.path)


def _spent_so_far(store: Store) -> float:
    try:
        return store.spending.total()
    except StoreError as exc:  # the queue file is unusable: the counter starts again
        logger.warning("credits spent so far are unknown, kiosk_credits_spent_total "
                       "starts from 0: %s", exc)
        return 0.0
