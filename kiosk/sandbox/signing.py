"""Signed, IP-bound, single-use image URLs: `<payload>.<HMAC-SHA-256>`, both base64url.

The payload is compact JSON beginning with the barcode (so it starts "eyJi" like the
published examples) and carries the variant, the bound IP, the expiry and a nonce; the
nonce is what makes a URL single-use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass

__all__ = ["SignedUrlError", "UrlClaims", "UrlSigner"]


@dataclass(frozen=True)
class UrlClaims:
    barcode: str
    variant: str
    ip: str
    expires: float
    nonce: str


class SignedUrlError(Exception):
    """A signed URL that must be refused; `status` and `code` are the API's answer."""

    def __init__(self, status: int, code: str, message: str, claims: UrlClaims | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.claims = claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UrlSigner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)
        self._used: dict[str, float] = {}

    def new_secret(self) -> None:
        """Invalidate every URL issued so far (a restart of the signing service)."""
        with self._lock:
            self._secret = secrets.token_bytes(32)
            self._used.clear()

    def sign(self, barcode: str, variant: str, ip: str, expires: float) -> str:
        payload = {"b": barcode, "v": variant, "ip": ip, "exp": round(expires, 3),
                   "n": secrets.token_urlsafe(9)}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        with self._lock:
            mac = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def redeem(self, token: str, ip: str, now: float) -> UrlClaims:
        """Check a URL token for this caller and mark it used; raises `SignedUrlError`."""
        claims = self._verify(token)
        if now >= claims.expires:
            raise SignedUrlError(410, "signed_url_expired", "Signed URL has expired", claims)
        if ip != claims.ip:
            raise SignedUrlError(
                403, "signed_url_ip_mismatch", "Signed URL is bound to another IP", claims
            )
        with self._lock:
            if claims.nonce in self._used:
                raise SignedUrlError(410, "signed_url_used", "Signed URL was already used", claims)
            if len(self._used) > 10_000:
                self._used = {n: e for n, e in self._used.items() if e > now}
            self._used[claims.nonce] = claims.expires
        return claims

    def _verify(self, token: str) -> UrlClaims:
        invalid = SignedUrlError(403, "signed_url_invalid", "Signed URL is invalid")
        body, dot, sig = token.partition(".")
        if not dot:
            raise invalid
        with self._lock:
            want = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        try:
            got = _unb64(sig)
            if not hmac.compare_digest(want, got):
                raise invalid
            data = json.loads(_unb64(body))
            return UrlClaims(str(data["b"]), str(data["v"]), str(data["ip"]),
                             float(data["exp"]), str(data["n"]))
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise invalid from None
