"""Token state: the access token in memory, the refresh token on disk.

Refresh tokens rotate: each successful refresh returns a new one and kills the one
used. So the new refresh token is written to disk (atomically, mode 0600) *before* the
access token that came with it is handed out; a crash can then never leave the kiosk
holding only a dead refresh token, and even if the file is lost the client falls back
to client_id + api_key.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.atomic import write_atomic

__all__ = ["AccessToken", "RefreshTokenFile"]

logger = logging.getLogger(__name__)

DEFAULT_LIFETIME_S = 3600
MIN_LIFETIME_S = 10
MAX_LIFETIME_S = 7 * 86400


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # on the clock of `TokenAuth` (monotonic: a wall step moves nothing)
    issued_at: float

    def __repr__(self) -> str:  # never show the token itself
        return f"AccessToken(expires_at={self.expires_at:.0f})"

    def usable(self, now: float, margin: float) -> bool:
        """Still valid `margin` seconds from now (refresh ahead of expiry, not after)."""
        return now + margin < self.expires_at

    @classmethod
    def from_response(cls, body: dict[str, Any], now: float) -> AccessToken:
        """`expires_in` as the API sent it when it is a sane number of seconds; missing,
        null, a string or absurd (negative, 10**9, NaN) reads as the documented 3600."""
        lifetime = body.get("expires_in")
        if (not isinstance(lifetime, int | float) or isinstance(lifetime, bool)
                or not MIN_LIFETIME_S <= lifetime <= MAX_LIFETIME_S):
            if lifetime is not None:
                logger.warning("token lifetime expires_in=%.40r is not usable; assuming %d s",
                               lifetime, DEFAULT_LIFETIME_S)
            lifetime = DEFAULT_LIFETIME_S
        return cls(value=str(body["access_token"]), expires_at=now + float(lifetime),
                   issued_at=now)


class RefreshTokenFile:
    """The refresh token, persisted in `state_dir/refresh_token` with mode 0600."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "refresh_token"

    def __repr__(self) -> str:
        return f"RefreshTokenFile({str(self.path)!r})"

    def load(self) -> str | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            token = data["refresh_token"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring unreadable refresh token file %s (%s)", self.path,
                           type(exc).__name__)
            return None
        return token if isinstance(token, str) and token else None

    def save(self, token: str) -> None:
        body = json.dumps({"refresh_token": token, "saved_at": time.time()})
        write_atomic(self.path, body.encode("utf-8"), mode=0o600)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
