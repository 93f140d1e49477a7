"""The API key: read from the credential, the key file or the environment, in that
order, a rotated file winning over systemd's older copy; held in a `Secret` that never
shows itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk import config
from kiosk.api import Secret, resolve_api_key
from kiosk.errors import ConfigError

KEY = "sk_test_0123456789abcdef"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_key_order_credential_then_file_then_env(tmp_path: Path) -> None:
    key_file = tmp_path / "api_key"
    key_file.write_text("from-file\n")
    key_file.chmod(0o600)
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "rd_api_key").write_text("from-credential\n")
    cfg = config.load(write(tmp_path, f"[api]\napi_key_file = '{key_file}'\n"))
    env = {"CREDENTIALS_DIRECTORY": str(creds), "RD_API_KEY": "from-env"}
    assert resolve_api_key(cfg, env).reveal() == "from-credential"
    (creds / "rd_api_key").unlink()
    assert resolve_api_key(cfg, env).reveal() == "from-file"
    key_file.unlink()
    assert resolve_api_key(cfg, env).reveal() == "from-env"
    with pytest.raises(ConfigError, match="no API key found"):
        resolve_api_key(cfg, {})


def test_a_key_file_replaced_after_start_wins_over_the_credential_copy(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "rd_api_key").write_text("old-key\n")
    key_file = tmp_path / "api_key"
    key_file.write_text("old-key\n")
    key_file.chmod(0o600)
    os.utime(key_file, (1_000_000, 1_000_000))  # the copy systemd made is newer
    cfg = config.load(write(tmp_path, f"[api]\napi_key_file = '{key_file}'\n"))
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    assert resolve_api_key(cfg, env).reveal() == "old-key"
    key_file.write_text("rotated-key\n")  # the admin replaces the file
    assert resolve_api_key(cfg, env).reveal() == "rotated-key"


def test_secret_never_shows_itself() -> None:
    secret = Secret(KEY)
    for shown in (str(secret), repr(secret), f"{secret}", f"{secret!r}", f"{[secret]}"):
        assert KEY not in shown
    assert secret.reveal() == KEY
