"""Access and refresh tokens, with the rotation rules of the contract.

Expired access tokens are remembered (not deleted) so a late call gets `token_expired`
rather than `invalid_token`: clients treat the two differently (refresh vs. re-login).
Refresh tokens rotate: a successful refresh deletes the one just used.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass

__all__ = ["REFRESH_TTL", "TokenPair", "TokenStore"]

REFRESH_TTL = 90 * 86400.0
_FORGET_EXPIRED_AFTER = 86400.0


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenStore:
    """Thread-safe token bookkeeping; every method takes the current time explicitly."""

    def __init__(self, client_id: str) -> None:
        self._client_id = client_id
        self._lock = threading.Lock()
        self._access: dict[str, float] = {}
        self._refresh: dict[str, float] = {}

    def issue(self, now: float, access_ttl: float) -> TokenPair:
        # JWT-looking like production's, but opaque: clients must not parse it.
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = _b64(json.dumps({"sub": self._client_id, "jti": secrets.token_hex(8)}).encode())
        access = f"{header}.{claims}.{_b64(secrets.token_bytes(32))}"
        refresh = "rt_" + secrets.token_urlsafe(32)
        with self._lock:
            self._prune(now)
            self._access[access] = now + access_ttl
            self._refresh[refresh] = now + REFRESH_TTL
        return TokenPair(access, refresh, round(access_ttl))

    def check_access(self, token: str, now: float) -> str | None:
        """None when valid, else the 401 code: `invalid_token` or `token_expired`."""
        with self._lock:
            expires = self._access.get(token)
        if expires is None:
            return "invalid_token"
        return "token_expired" if now >= expires else None

    def use_refresh(self, token: str, now: float) -> bool:
        """Consume a refresh token; False when unknown, used or expired."""
        with self._lock:
            expires = self._refresh.pop(token, None)
        return expires is not None and now < expires

    def expire_access(self, now: float) -> None:
        with self._lock:
            for token in self._access:
                self._access[token] = min(self._access[token], now - 1)

    def revoke_refresh(self) -> None:
        with self._lock:
            self._refresh.clear()

    def forget_all(self) -> None:
        with self._lock:
            self._access.clear()
            self._refresh.clear()

    def _prune(self, now: float) -> None:
        dead = [t for t, exp in self._access.items() if exp < now - _FORGET_EXPIRED_AFTER]
        for token in dead:
            del self._access[token]
