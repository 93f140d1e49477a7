"""The API key: where it is read from, who may read its file, and a value that hides it.

Only the API client needs the key (to get a token), so it lives here rather than in the
configuration, which names the key file but never holds the key. It is read on every
call, from a systemd credential, `api.api_key_file` or RD_API_KEY, and held in a
`Secret` that never prints itself: not in a log, an exception or on the screen.
"""

from __future__ import annotations

import os
import typing
from pathlib import Path

from kiosk.config import Config
from kiosk.errors import ConfigError

__all__ = ["Secret", "resolve_api_key"]

CREDENTIAL_NAME = "rd_api_key"  # LoadCredential=rd_api_key:/etc/kiosk/api_key in the unit


class Secret:
    """A secret string that never shows itself in `str`, `repr` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def resolve_api_key(cfg: Config, env: typing.Mapping[str, str] | None = None) -> Secret:
    """Find the API key: systemd credential, then `api.api_key_file`, then RD_API_KEY.

    Read on every call, so that replacing the key file (after a key rotation) is picked
    up without a restart: a key file newer than the credential wins over it, because the
    credential is systemd's copy from when the service started.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    candidates: list[Path] = []
    if cred_dir:
        candidates.append(Path(cred_dir) / CREDENTIAL_NAME)
    if cfg.api.api_key_file is not None:
        candidates.append(cfg.api.api_key_file)
        if len(candidates) == 2 and _newer(cfg.api.api_key_file, candidates[0]):
            # systemd copies the credential when the service starts; a key file replaced
            # since (a rotated key) is the current one.
            candidates.reverse()
    if cfg.api.api_key_file is not None:  # also when the credential copy of it is used
        _refuse_if_others_read(cfg.api.api_key_file)
    for candidate in candidates:
        try:
            key = candidate.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(f"{candidate}: cannot be read: {exc.strerror}")
            continue
        if key:
            return Secret(key)
        problems.append(f"{candidate}: is empty")
    if env.get("RD_API_KEY", "").strip():
        return Secret(env["RD_API_KEY"].strip())
    where = ", ".join(str(c) for c in candidates) or "no key file configured"
    problems.append(
        f"no API key found (looked in: {where}; environment RD_API_KEY); "
        "set api.api_key_file or LoadCredential=rd_api_key"
    )
    raise ConfigError(problems)


def _refuse_if_others_read(path: Path) -> None:
    """A key file every local user can read is refused: the key is a secret."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing or unreadable: reported where it is read
    if mode & 0o004:
        raise ConfigError([
            f"{path}: readable by every user (mode {mode & 0o777:04o}); the API key is a "
            f"secret: run `sudo chmod 600 {path}` (owner kiosk), then replace the key in "
            "the Retail Digitals web UI if others could have read it"])


def _newer(path: Path, than: Path) -> bool:
    try:
        return os.access(path, os.R_OK) and path.stat().st_mtime > than.stat().st_mtime
    except OSError:
        return False
