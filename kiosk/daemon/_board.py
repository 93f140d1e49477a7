"""What the kiosk says about itself, kept current in one place.

`Health` is refreshed from what the API client and the queue know, then shown on the
staff status bar (with the recent scans) and published (systemd's STATUS= and the status
file, soon: a burst of changes is one write). Every change the main loop sees goes
through `changed`, so no caller can refresh and forget to publish, or the reverse.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.api import ApiClient
from kiosk.daemon.health import Health, StatusPublisher
from kiosk.display import Display, RecentScan
from kiosk.store import Queue

__all__ = ["StatusBoard"]


class StatusBoard:
    """Main thread only, like `Health` and the display."""

    def __init__(self, health: Health, publisher: StatusPublisher, api: ApiClient,
                 queue: Queue, display: Display, recent: Sequence[RecentScan]) -> None:
        self.health = health
        self._publisher = publisher
        self._api = api
        self._queue = queue
        self._display = display
        self._recent = recent

    def refresh(self) -> Health:
        """`Health` as of now: what the API client and the queue know."""
        self.health.refresh(self._api, self._queue)
        return self.health

    def changed(self, *, refresh: bool = True, bar: bool = False) -> None:
        """Something `Health` says changed: take it up (`refresh`), show it on the staff
        bar now (`bar`) and publish it soon."""
        if refresh:
            self.refresh()
        if bar:
            self.show()
        self._publisher.schedule()

    def show(self) -> None:
        """The staff status bar and recent scans as `Health` says now (repainted at once
        on a staff screen when they changed)."""
        self._display.set_status(self.health.status_info(), list(self._recent))

    def publish_due(self, now: float) -> None:
        """Publish now if it is due (refreshed first)."""
        if self._publisher.due is not None and now >= self._publisher.due:
            self.refresh()
            self._publisher.publish(self._display.mode)
