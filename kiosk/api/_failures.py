"""What a failed request means: which typed error, and whether it may have cost credits.

Pure functions over httpx's exceptions and the request's `Bounds`, used by the request
plumbing (`kiosk.api._requests`) and the endpoints (`kiosk.api.client`). Credits are
money, so the line between "charged" and "not charged" is drawn here once: a request
that never went out, or got a 4xx/5xx, cost nothing (the contract); one that went out
and got no answer may have; a 200 cut short did.
"""

from __future__ import annotations

import ssl
from typing import Literal

import httpx

from kiosk.api.errors import (
    AnswerRefused,
    ApiError,
    ClockWrong,
    ProxyRefused,
    ServerError,
    TransportError,
    UntrustedCertificate,
)
from kiosk.api.responses import error_code
from kiosk.api.transport import Bounds

__all__ = [
    "CLOCK_VERIFY_CODES",
    "Charged",
    "charged_kind",
    "closed_unanswered",
    "code_or_status",
    "mark_sent",
    "no_link",
    "short",
    "transport_error",
]

Charged = Literal["yes", "maybe", "no"]

CLOCK_VERIFY_CODES = frozenset({9, 10})
"""OpenSSL's X509_V_ERR_CERT_NOT_YET_VALID and X509_V_ERR_CERT_HAS_EXPIRED: the
certificate is fine, the time it was checked at is not (see `ClockWrong`)."""


def transport_error(exc: httpx.HTTPError, what: str) -> TransportError:
    """The typed error for an httpx failure below HTTP: no link, TLS refused, proxy
    refused, or a connection that broke."""
    verify = _cause(exc, ssl.SSLCertVerificationError)
    if verify is not None:
        detail = getattr(verify, "verify_message", None) or str(verify)
        host = exc.request.url.host if _has_request(exc) else "the API"
        code = getattr(verify, "verify_code", None)
        if code in CLOCK_VERIFY_CODES:
            state = "is not yet valid" if code == 9 else "has expired"
            return ClockWrong(f"the kiosk's clock is off: the certificate of {host} {state} "
                              "at its time", code="tls_clock")
        return UntrustedCertificate(
            f"certificate of {host} not trusted ({detail})", code="tls_untrusted")
    if isinstance(exc, httpx.ProxyError):
        return ProxyRefused(f"the proxy refused the connection ({exc})", code="proxy_refused")
    if isinstance(exc, httpx.ConnectError):
        return no_link(exc)
    return TransportError(f"{what}: {type(exc).__name__}")


def mark_sent(exc: httpx.HTTPError, limits: Bounds, error: TransportError) -> TransportError:
    """Note the path of a request that went out before it failed, and the status of its
    answer if the headers had arrived (see `charged_kind`).

    An idle connection (pooled, or the spare) that ends before a byte of answer is taken
    as one the server, or a relay before it, let go as the request was written: HTTP
    lets a client send the request again (RFC 9112, 9.3.1). Counted as possibly charged,
    it made the first scan after the API went away cost 1.3 credits in the kiosk's books
    and none in the API's (the system test's guest, where a relay closes what the API no
    longer takes). Over TLS a reset reads as the same end of stream, so a server that
    read the request on an idle connection, charged and died goes uncounted here; the
    `/account` check brings it in. On a connection opened for this request the same end
    may follow a charge: counted."""
    if closed_unanswered(exc) and not limits.fresh:
        return error
    if (error.code != "connect" and _has_request(exc)
            and not isinstance(exc, httpx.PoolTimeout | httpx.ConnectTimeout
                               | httpx.ConnectError | httpx.ProxyError)
            and not isinstance(error, UntrustedCertificate | ProxyRefused)):
        error.sent = exc.request.url.path
        error.status = limits.statuses[-1] if limits.statuses else None
    return error


def closed_unanswered(exc: httpx.HTTPError) -> bool:
    """The connection ended before the first byte of the answer (httpcore's HTTP/1.1
    connection read end of stream while waiting for the status line)."""
    return (isinstance(exc, httpx.RemoteProtocolError)
            and "disconnected without sending a response" in str(exc))


def charged_kind(exc: ApiError, path: str) -> Charged:
    """Whether a failed product request was charged: "yes" after a 200's headers (a
    body cut short, reset, not JSON or refused), "maybe" when it went out and nothing
    came back (a read timeout, a reset before any answer), "no" otherwise (no
    connection, or a 4xx/5xx: the contract charges none)."""
    if isinstance(exc, TransportError):
        if exc.sent is None or not exc.sent.endswith(path):
            return "no"
        return "maybe" if exc.status is None else "yes" if exc.status == 200 else "no"
    if isinstance(exc, AnswerRefused):
        return "yes" if exc.status == 200 and exc.path.endswith(path) else "no"
    return "yes" if isinstance(exc, ServerError) and exc.status == 200 else "no"


def no_link(exc: httpx.HTTPError) -> TransportError:
    # No connection at all: the network is down. Retrying at once rarely helps and would
    # keep a shopper waiting for the "saved" screen.
    return TransportError(f"cannot reach the API ({type(exc).__name__})", code="connect")


def _cause(exc: BaseException, kind: type[ssl.SSLCertVerificationError]
           ) -> ssl.SSLCertVerificationError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 - httpx raises RuntimeError when no request is attached
    except RuntimeError:
        return False
    return True


def short(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def code_or_status(response: httpx.Response) -> str:
    return error_code(response) or str(response.status_code)
