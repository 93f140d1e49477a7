"""Reading API responses: the JSON body, the error envelope, and which error it means.

The contract promises JSON with an `error` envelope for 4xx, but not for 5xx or a
proxy's error page, so nothing here assumes a body parses.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from kiosk.api.errors import (
    AnswerRefused,
    ApiError,
    BadRequest,
    CredentialsRefused,
    InsufficientCredits,
    NotFound,
    RateLimited,
    ServerError,
)
from kiosk.backoff import parse_retry_after
from kiosk.sanitize import escape_controls

__all__ = ["error_code", "error_from_response", "json_body", "request_id", "safe_token"]

_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{1,80}")
Body = dict[str, Any] | None


def json_body(response: httpx.Response) -> Body:
    """The body as a JSON object, or None when it is not one.

    Raises `AnswerRefused` for JSON nested too deeply to parse (the parser's recursion
    limit), which is a property of the answer, not of the network.
    """
    try:
        body = response.json()
    except ValueError:
        return None
    except RecursionError:
        path = response.request.url.path
        raise AnswerRefused(f"{path}: answer nested too deeply", path=path,
                            status=response.status_code, code="answer_too_deep") from None
    return body if isinstance(body, dict) else None


def safe_token(value: object) -> str | None:
    """An error code or request id from the API as the journal and STATUS= may show it:
    a short token as is, anything else escaped and cut (it came from outside)."""
    if not isinstance(value, str) or not value:
        return None
    return value if _TOKEN.fullmatch(value) else escape_controls(value[:80], 80)


def _parsed(response: httpx.Response, body: Body) -> Body:
    if body is not None:
        return body
    try:
        return json_body(response)
    except AnswerRefused:
        return None


def error_code(response: httpx.Response, body: Body = None) -> str | None:
    body = _parsed(response, body)
    error = body.get("error") if body else None
    return safe_token(error.get("code")) if isinstance(error, dict) else None


def request_id(response: httpx.Response, body: Body = None) -> str | None:
    if body is None and response.headers.get("content-type", "").startswith(
            "application/json"):
        body = _parsed(response, None)
    meta = body.get("meta") if body else None
    rid = safe_token(meta.get("request_id")) if isinstance(meta, dict) else None
    return rid or safe_token(response.headers.get("X-Request-Id"))


def error_from_response(response: httpx.Response, body: Body = None) -> ApiError:
    """The typed error for a non-2xx response (messages never include credentials)."""
    status = response.status_code
    body = _parsed(response, body)
    code = error_code(response, body)
    rid = request_id(response, body)
    reason = escape_controls(response.reason_phrase or "error", 40)
    what = f"{status} {code or reason}"
    kw: dict[str, Any] = {"status": status, "code": code, "request_id": rid}
    if status == 404:
        return NotFound(f"not in the catalog ({what})", **kw)
    if status == 402:
        return InsufficientCredits(f"out of credits ({what})", **kw)
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"),
                                 server_date=response.headers.get("Date"))
        return RateLimited(f"rate limited ({what}), retry in {wait:.0f} s", retry_after=wait, **kw)
    if status == 401:
        return CredentialsRefused(f"not authorised ({what})", **kw)
    if status >= 500:
        return ServerError(f"server error ({what})", **kw)
    return BadRequest(f"request refused ({what})", **kw)
