"""Errors of the Retail Digitals API layer, one class per way a call can fail.

The tree (all under `kiosk.errors.ApiError`)::

    ApiError
    ├── RetryableError           try again later; the scan is queued
    │   ├── TransportError       connect/read timeout, reset, DNS
    │   │   ├── UntrustedCertificate  the certificate did not verify (CA not installed)
    │   │   │   └── ClockWrong   "not yet valid" / "expired": the kiosk's clock is off
    │   │   └── ProxyRefused     the proxy answered CONNECT with an error (407, 403, ...)
    │   ├── ServerError          5xx, or a body that is not the JSON we expect
    │   │   └── AnswerRefused    a body the kiosk stopped reading: too large, too slow,
    │   │                        too deeply nested, or in an encoding it does not take
    │   ├── RateLimited          429; `retry_after` seconds
    │   │   └── SpendLimited     the kiosk's own guard: api.max_credits_per_hour/_day spent
    │   ├── InsufficientCredits  402; staff must top up, the scan is kept for later
    │   └── CredentialsRefused   401 invalid_client: the API key was rotated or is wrong
    └── PermanentError           asking again will not help
        ├── NotFound             404 barcode_not_found (cached as a miss)
        ├── BadRequest           400, or any other 4xx we do not expect
        └── BadAnswer            a product answer the API charged for (200) that cannot be
                                 used; asking again would buy the same answer again

Every error carries the HTTP `status`, the API's error `code` and the `request_id`
when the API gave them (attributes of the base `ApiError`), so the journal line and a
support ticket can quote them.
Messages never include tokens or the API key.
"""

from __future__ import annotations

from kiosk.errors import ApiError

__all__ = [
    "AnswerRefused",
    "ApiError",
    "BadAnswer",
    "BadRequest",
    "ClockWrong",
    "CredentialsRefused",
    "InsufficientCredits",
    "NotFound",
    "PermanentError",
    "ProxyRefused",
    "RateLimited",
    "RetryableError",
    "ServerError",
    "SpendLimited",
    "TransportError",
    "UntrustedCertificate",
]


class RetryableError(ApiError):
    """The lookup may succeed later: keep the scan and try again."""


class TransportError(RetryableError):
    """No usable HTTP answer: connection refused or reset, timeout, DNS, TLS.

    `sent`: the URL path of a request that went out before the failure (a read timeout,
    a reset or a body cut short), None when none did (no connection): a product request
    that went out may have been charged for. `status` is then the answer's status when
    its headers had arrived (the body failed), else None."""

    sent: str | None = None
    maybe_charged = False  # a product request that went out, retried once, no answer

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


class ClockWrong(UntrustedCertificate):
    """The certificate is "not yet valid" or "expired" at the kiosk's time: on a Pi
    without a real-time clock that is almost always the kiosk's clock (a boot at the
    time fake-hwclock saved, NTP blocked), not the API's certificate. The admin must set
    the clock, not install a CA; scans are queued meanwhile, like any TLS failure."""

    @property
    def reason(self) -> str:
        return "clock"


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


class AnswerRefused(ServerError):
    """The kiosk stopped reading an answer: larger than its bound (compressed or not),
    still arriving at the deadline, nested too deeply, or in an unknown encoding.
    `status` is the answer's HTTP status: after a 200 to a product lookup the credits
    were spent, and the client turns this into `BadAnswer`. `path`: the URL path it
    answered (a token call's answer is not a product's)."""

    def __init__(self, message: str, *, path: str = "", status: int | None = None,
                 code: str | None = None, request_id: str | None = None) -> None:
        super().__init__(message, status=status, code=code, request_id=request_id)
        self.path = path


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


class SpendLimited(RateLimited):
    """The kiosk's own spending guard: `api.max_credits_per_hour` or `_per_day` is spent.
    Nothing was sent; `retry_after` is when the window frees enough credits."""

    @property
    def reason(self) -> str:
        return "spend_limit"


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


class BadAnswer(PermanentError):
    """A product answer that was charged for (a 200) and cannot be used: too large, too
    slow, too deep, or not readable at all. Not queued and not retried: the same
    answer would be bought again."""
