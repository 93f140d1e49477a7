"""A configuration file that holds a secret must not be readable by every local user.

`api.proxy` may carry ``user:password``; the API key has a file of its own (mode 0600,
a systemd credential). install-pi writes /etc/kiosk/kiosk.toml ``0640 root:kiosk``: the
service's group reads it, nobody else. A file readable by others (an older install's
0644, a copy made by hand) that holds a password gets a warning at start and from
`kiosk check-config`, with the command that fixes it. A warning, not a refusal: the
password is already out, and a kiosk that stops over it helps nobody.
"""

from __future__ import annotations

import os
import stat
import urllib.parse
from pathlib import Path

from kiosk.config._schema import Config

__all__ = ["SERVICE_GROUP", "exposed_secret"]

SERVICE_GROUP = "kiosk"  # the unit's User= and Group= (systemd/kiosk.service)


def _holds_credentials(cfg: Config) -> str | None:
    """The key that holds a secret, or None."""
    if cfg.api.proxy:
        try:
            parts = urllib.parse.urlsplit(cfg.api.proxy)
        except ValueError:
            return None
        if parts.password:
            return "api.proxy"
    return None


def exposed_secret(cfg: Config, path: Path | None = None) -> str | None:
    """A warning when `path` (default: the file `cfg` came from) holds a credential and
    others may read it; None when it does not, or cannot be looked at."""
    path = path or cfg.path
    key = _holds_credentials(cfg)
    if path is None or key is None:
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if not mode & stat.S_IROTH:
        return None
    return (f"{path} holds a password ({key}) and every local user can read it "
            f"(mode {stat.S_IMODE(mode):04o}); run: sudo chown root:{SERVICE_GROUP} {path} "
            f"&& sudo chmod 0640 {path}")
