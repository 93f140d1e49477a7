"""`kiosk status`: what it reports of a running daemon, read from the status file the
daemon writes (hostile text in that file: tests/hostile/test_surfaces.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.cli.status import collect
from kiosk.config import Config, StorageConfig
from kiosk.store import StatusFile, StatusSnapshot


def test_kiosk_status_reads_a_running_daemons_status_from_the_runtime_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(run))
    cfg = Config(storage=StorageConfig(state_dir=tmp_path / "state", cache_dir=tmp_path / "c"))
    StatusFile.for_daemon(cfg.storage.state_dir).write(StatusSnapshot(
        True, 412.4, None, {"serial:/dev/ttyACM0": True}, None, "staff",  # this process: alive
        clock_skew=-63_072_000.4))  # two years behind the API
    status = collect(cfg)
    assert status["daemon"] == "running" and status["credits_remaining"] == 412.4
    assert status["clock_skew_s"] == -63_072_000
    assert status["scanner"] == {"serial:/dev/ttyACM0": "connected"}



def test_kiosk_status_says_the_state_is_in_ram(tmp_path: Path, ram_dir: Path) -> None:
    cfg = Config(storage=StorageConfig(state_dir=ram_dir / "state", cache_dir=tmp_path / "c"))
    status = collect(cfg)
    assert status["state_durable"] is False
    assert list(status["state_in_ram"]) == [f"{ram_dir}/state"]
    assert "install-pi --state-dir" in status["state_fix"]
    cfg = Config(storage=StorageConfig(state_dir=tmp_path / "s", cache_dir=tmp_path / "c"))
    status = collect(cfg)
    assert status["state_durable"] is True and "state_in_ram" not in status
