"""A password in a configuration file others can read: found, and the fix named."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import config
from kiosk.config.exposure import exposed_secret
from tests.helpers import write_config

PROXY = '[api]\nproxy = "http://kiosk:hunter2-secret@proxy.lan:3128"\n'


@pytest.mark.parametrize(("text", "mode", "exposed"), [
    (PROXY, 0o644, True),
    (PROXY, 0o604, True),
    (PROXY, 0o640, False),   # what install-pi writes (root:kiosk)
    (PROXY, 0o600, False),
    ('[api]\nproxy = "http://proxy.lan:3128"\n', 0o644, False),   # no password
    ('[api]\nproxy = "http://kiosk@proxy.lan:3128"\n', 0o644, False),  # a user alone
    ("", 0o644, False),
])
def test_a_password_others_can_read(tmp_path: Path, text: str, mode: int,
                                    exposed: bool) -> None:
    path = write_config(tmp_path, text)
    path.chmod(mode)
    warning = exposed_secret(config.load(path))
    assert (warning is not None) is exposed
    if warning is not None:
        assert warning == (
            f"{path} holds a password (api.proxy) and every local user can read it (mode "
            f"{mode:04o}); run: sudo chown root:kiosk {path} && sudo chmod 0640 {path}")
        assert "hunter2" not in warning

