"""`kiosk check-config` on what this machine does to a configuration: a password others
can read, a state directory held in RAM. Warnings: the file is still valid (exit 0)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_check_config import run_kiosk
from tests.helpers import write_config

PROXY = '[api]\nproxy = "http://kiosk:hunter2-secret@proxy.lan:3128"\n'


def test_a_password_others_can_read_is_warned_of_with_the_fix(tmp_path: Path) -> None:
    path = write_config(tmp_path, PROXY)
    path.chmod(0o644)
    proc = run_kiosk("check-config", "--config", str(path))
    assert proc.returncode == 0, proc.stderr
    assert f"warning: {path} holds a password (api.proxy)" in proc.stderr
    assert f"sudo chmod 0640 {path}" in proc.stderr
    assert "hunter2" not in proc.stdout + proc.stderr
    path.chmod(0o640)
    proc = run_kiosk("check-config", "--config", str(path))
    assert proc.returncode == 0 and "password" not in proc.stderr


def test_state_held_in_ram_is_named(tmp_path: Path, ram_dir: Path) -> None:
    path = write_config(tmp_path, f'[storage]\nstate_dir = "{ram_dir}/state"\n')
    proc = run_kiosk("check-config", "--config", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "warning: queued scans are kept in RAM: a power cut loses them" in proc.stderr
    assert f"{ram_dir}/state" in proc.stderr and "install-pi --state-dir" in proc.stderr
