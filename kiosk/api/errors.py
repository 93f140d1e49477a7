"""Errors of the Retail Digitals API layer, one class per way a call can fail.

The tree (all under `kiosk.errors.ApiError`)::

    ApiError
    ├── RetryableError           try again later; the scan is queued
    │   ├── TransportError       connect/read timeout, reset, DNS
    │   │   ├── UntrustedCertificate  the certificate did not verify (CA not installed, clock)
    │   │   └── ProxyRefused     the proxy answered CONNECT with an error (407, 403, ...)
    │   ├── ServerError          5xx, or a body that is not the JSON we expect
    │   ├── RateLimited          429; `retry_after` seconds
    │   ├── InsufficientCredits  402; staff must top up, the scan is kept for later
    │   └── CredentialsRefused   401 invalid_client: the API key was rotated or is wrong
    └── PermanentError           asking again will not help
        ├── NotFound             404 barcode_not_found (cached as a miss)
        └── BadRequest           400, or any other 4xx we do not expect

Every error carries the HTTP `status`, the API's error `code` and the `request_id`
when the API gave them (attributes of the base `ApiError`), so the journal line and a
support ticket can quote them.
Messages never include tokens or the API key.
"""

from __future__ import annotations

from kiosk.errors import ApiError

__all__ = [
    "ApiError",
    "BadRequest",
    "CredentialsRefused",
    "InsufficientCredits",
    "NotFound",
    "PermanentError",
    "ProxyRefused",
    "RateLimited",
    "RetryableError",
    "ServerError",
    "TransportError",
    "UntrustedCertificate",
]


class RetryableError(ApiError):
    """The lookup may succeed later: keep the scan and try again."""


class TransportError(RetryableError):
    """No usable HTTP answer: connection refused or reset, timeout, DNS, TLS."""

    @property
    def reason(self) -> str:
        return "network"


class UntrustedCertificate(TransportError):
    """TLS verification failed: a TLS-inspecting proxy whose CA is not installed, a wrong
    `api.ca_file`, or a clock so far off that the certificate looks expired. Retrying at
    once cannot help; the admin must act, so the message says what to do."""

    @property
    def reason(self) -> str:
        return "tls_untrusted"


class ProxyRefused(TransportError):
    """The configured proxy refused to open the tunnel (bad credentials, a blocked host)."""

    @property
    def reason(self) -> str:
        return "proxy_refused"


class ServerError(RetryableError):
    """A 5xx, or a body that is not the JSON the contract promises."""

    @property
    def reason(self) -> str:
        return self.code or "server_error"


class RateLimited(RetryableError):
    """429: wait `retry_after` seconds before the next call."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, request_id=request_id)
        self.retry_after = retry_after


class InsufficientCredits(RetryableError):
    """402: the balance does not cover the call. Staff must top up."""


class CredentialsRefused(RetryableError):
    """401 invalid_client: the API key is wrong or was rotated; fix the key file."""


class PermanentError(ApiError):
    """Asking again will not change the answer."""


class NotFound(PermanentError):
    """404: the barcode is not in the catalog."""


class BadRequest(PermanentError):
    """400 or an unexpected 4xx: the request itself is wrong."""
