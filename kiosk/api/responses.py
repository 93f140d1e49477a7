"""Reading API responses: the JSON body, the error envelope, and which error it means.

The contract promises JSON with an `error` envelope for 4xx, but not for 5xx or a
proxy's error page, so nothing here assumes a body parses.
"""

from __future__ import annotations

from typing import Any

import httpx

from kiosk.api.backoff import parse_retry_after
from kiosk.api.errors import (
    ApiError,
    BadRequest,
    CredentialsRefused,
    InsufficientCredits,
    NotFound,
    RateLimited,
    ServerError,
)

__all__ = ["error_code", "error_from_response", "json_body", "request_id"]


def json_body(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def error_code(response: httpx.Response) -> str | None:
    body = json_body(response)
    if body is None:
        return None
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def request_id(response: httpx.Response) -> str | None:
    body = json_body(response) if response.headers.get("content-type", "").startswith(
        "application/json") else None
    meta = body.get("meta") if body else None
    rid = meta.get("request_id") if isinstance(meta, dict) else None
    return rid if isinstance(rid, str) else response.headers.get("X-Request-Id")


def error_from_response(response: httpx.Response) -> ApiError:
    """The typed error for a non-2xx response (messages never include credentials)."""
    status = response.status_code
    code = error_code(response)
    rid = request_id(response)
    what = f"{status} {code or response.reason_phrase or 'error'}"
    kw: dict[str, Any] = {"status": status, "code": code, "request_id": rid}
    if status == 404:
        return NotFound(f"not in the catalog ({what})", **kw)
    if status == 402:
        return InsufficientCredits(f"out of credits ({what})", **kw)
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(f"rate limited ({what}), retry in {wait:.0f} s", retry_after=wait, **kw)
    if status == 401:
        return CredentialsRefused(f"not authorised ({what})", **kw)
    if status >= 500:
        return ServerError(f"server error ({what})", **kw)
    return BadRequest(f"request refused ({what})", **kw)
