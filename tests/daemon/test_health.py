"""The network state machine, as a table: what each thing the API client saw does; and
when the status is published."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiosk.daemon.health import STATUS_WRITE_EVERY_S, Health, StatusPublisher, StatusWriter
from kiosk.daemon.systemd import Notifier
from kiosk.store import StatusFile, StatusSnapshot
from tests.helpers import FakeClock, wait_for


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


def snapshot(online: bool = True) -> StatusSnapshot:
    return StatusSnapshot(online, 412.4, None, {"serial:/dev/ttyACM0": True}, None, "staff")


def test_under_systemd_the_status_file_is_in_the_runtime_directory(tmp_path: Path) -> None:
    state, run = tmp_path / "state", tmp_path / "run"
    assert StatusFile.for_daemon(state, {}).path == state / "status.json"
    daemon = StatusFile.for_daemon(state, {"RUNTIME_DIRECTORY": f"{run}:/run/other"})
    assert daemon.path == run / "status.json"
    assert daemon.write(snapshot()) is True
    assert (run / "status.json").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in run.iterdir()] == ["status.json"]  # no temporary file left
    found = StatusFile.find(state, {"RUNTIME_DIRECTORY": str(run)})
    assert found is not None and found["online"] is True
    assert found["state_dir"] == str(state)


def test_kiosk_status_takes_only_the_file_of_its_own_state_directory(tmp_path: Path) -> None:
    run = tmp_path / "run"
    env = {"RUNTIME_DIRECTORY": str(run)}
    StatusFile.for_daemon(tmp_path / "other", env).write(snapshot(online=False))
    assert StatusFile.find(tmp_path / "mine", env) is None  # another kiosk's
    StatusFile.for_daemon(tmp_path / "mine", {}).write(snapshot(online=True))
    found = StatusFile.find(tmp_path / "mine", env)  # its own, in the state directory
    assert found is not None and found["online"] is True


def test_the_status_writer_writes_the_newest_snapshot_off_the_callers_thread(
        tmp_path: Path) -> None:
    file = StatusFile(tmp_path)
    writer = StatusWriter(file)
    writer.start()
    try:
        writer.offer(snapshot(online=False))
        writer.offer(snapshot(online=True))
        # Written by its thread: wait for the newest to be there.
        wait_for(lambda: (file.read() or {}).get("online") is True, what="the newest snapshot")
    finally:
        writer.request_stop()
        assert writer.join(time.monotonic() + 10)
