"""The network state machine, as a table: what each thing the API client saw does; and
when the status is published."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.daemon.health import STATUS_WRITE_EVERY_S, Health, StatusPublisher
from kiosk.daemon.systemd import Notifier
from kiosk.store import StatusFile
from tests.helpers import FakeClock


@pytest.mark.parametrize(("seen", "transitions"), [
    ([True], ["first_answer"]),
    ([False], ["lost"]),
    ([True, True], ["first_answer", None]),
    ([True, False, False, True], ["first_answer", "lost", None, "back"]),
    ([False, True], ["lost", "back"]),
])
def test_set_online_names_each_change_once(seen: list[bool], transitions: list[str | None]
                                           ) -> None:
    health = Health()
    assert [health.set_online(online) for online in seen] == transitions
    assert health.online is seen[-1]


def test_status_is_published_soon_but_the_file_written_at_most_every_two_seconds(
        tmp_path: Path) -> None:
    clock = FakeClock(100.0)
    health = Health(online=True)
    status = StatusPublisher(health, Notifier(), StatusFile(tmp_path).write, clock=clock)
    assert status.due == 0.0  # at start: at once
    status.publish("staff")
    assert status.due is None and StatusFile(tmp_path).read()["online"] is True
    status.schedule()
    status.schedule()  # a burst is one write
    assert status.due == 100.0 + STATUS_WRITE_EVERY_S
    clock.advance(10)
    status.publish("staff")
    status.schedule()  # right after a write: the next waits its turn
    assert status.due == clock.now + STATUS_WRITE_EVERY_S
    clock.advance(10)
    status.publish("staff")
    clock.advance(10)
    status.schedule()  # long after: soon
    assert status.due == clock.now + 0.2
