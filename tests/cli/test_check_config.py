"""`kiosk check-config` (and `kiosk --help`) as a process: the example passes, a bad file
is refused with exit status 78 and the key named, and no secret is ever printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE_CONFIG, REPO, write_config

KEY = "sk_test_0123456789abcdef"


def run_kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True,
        env=full_env, cwd=REPO, timeout=60, check=False,
    )


def test_check_config_accepts_the_example() -> None:
    proc = run_kiosk("check-config", "--config", str(EXAMPLE_CONFIG))
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[api\n", "malformed TOML"),
        ("[display]\nmode = 'kiosk'\n", "display.mode"),
        ("[scanner]\nbaudrate = 'x'\n", "scanner.baudrate"),
        ("[storage]\ncahce_dir = '/tmp'\n", "did you mean 'cache_dir'"),
        ("[api]\nbase_url = 'http://10.0.0.5/api/v1'\n", "api.base_url"),
    ],
)
def test_check_config_refuses_bad_files_with_78(tmp_path: Path, text: str, key: str) -> None:
    proc = run_kiosk("check-config", "--config", str(write_config(tmp_path, text)))
    assert proc.returncode == 78
    assert key in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_bad_proxy_and_a_missing_ca_file_are_reported_without_the_password(
        tmp_path: Path) -> None:
    text = ('[api]\nproxy = "ftp://kiosk:hunter2-secret@proxy.lan:3128"\n'
            'ca_file = "store-ca.pem"\n')
    proc = run_kiosk("check-config", "--config", str(write_config(tmp_path, text)))
    assert proc.returncode == 78
    assert "api.proxy: 'ftp://kiosk:****@proxy.lan:3128' is not an http:// or https://" in (
        proc.stderr)
    assert f"api.ca_file: {tmp_path / 'store-ca.pem'}: no such file" in proc.stderr
    assert "hunter2" not in proc.stdout + proc.stderr


def with_key_file(tmp_path: Path, mode: int) -> tuple[Path, Path]:
    """A key file of `mode` and a configuration naming it."""
    key_file = tmp_path / "api_key"
    key_file.write_text(KEY)
    key_file.chmod(mode)
    path = write_config(tmp_path,
                        f"[api]\nclient_id = 'rd_client_t'\napi_key_file = '{key_file}'\n")
    return key_file, path


def test_a_key_file_every_user_can_read_is_refused(tmp_path: Path) -> None:
    key_file, path = with_key_file(tmp_path, 0o644)
    proc = run_kiosk("check-config", "--key", "--config", str(path))
    assert proc.returncode == 78
    assert f"{key_file}: readable by every user (mode 0644)" in proc.stderr
    assert f"chmod 600 {key_file}" in proc.stderr and KEY not in proc.stdout + proc.stderr
    key_file.chmod(0o640)  # group-readable (root:kiosk) is a legitimate set-up
    assert run_kiosk("check-config", "--key", "--config", str(path)).returncode == 0


def test_check_config_key_is_found_but_never_printed(tmp_path: Path) -> None:
    key_file, path = with_key_file(tmp_path, 0o600)
    proc = run_kiosk("check-config", "--key", "--config", str(path))
    assert proc.returncode == 0, proc.stderr
    assert KEY not in proc.stdout + proc.stderr
    key_file.unlink()
    proc = run_kiosk("check-config", "--key", "--config", str(path), env={"RD_API_KEY": ""})
    assert proc.returncode == 78
    assert "no API key found" in proc.stderr


def test_help_for_every_subcommand() -> None:
    proc = run_kiosk("--help")
    assert proc.returncode == 0
    for name in ("sandbox", "check-config", "config", "run", "demo", "status", "lookup"):
        assert name in proc.stdout
        sub = run_kiosk(name, "--help")
        assert sub.returncode == 0, sub.stderr
        assert "usage: kiosk " + name in sub.stdout
