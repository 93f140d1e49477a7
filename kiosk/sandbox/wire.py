"""Plain values passed between the HTTP plumbing and the endpoints, and JSON helpers."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Request", "Response", "error", "iso_now", "json_response", "new_request_id"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_request_id() -> str:
    """`req_` + a ULID-like id: sortable by time, unique enough for a support ticket."""
    ms = int(time.time() * 1000)
    stamp = "".join(_CROCKFORD[(ms >> (5 * i)) & 31] for i in reversed(range(10)))
    return f"req_{stamp}{secrets.token_hex(5)}"


def iso_now(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    client_ip: str
    request_id: str
    raw_query: str = ""
    scheme: str = "http"  # as the client reached us: signed URLs point back the same way


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    charged: float = 0.0
    barcode: str | None = None
    error_code: str | None = None
    drop: bool = False
    fault: str | None = None
    stream: Iterator[bytes] | None = None  # a body of unknown length, sent until it ends
    reset: bool = False  # a TCP reset after the body, not an orderly close


def json_response(status: int, payload: Mapping[str, Any], **kw: Any) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, "application/json; charset=utf-8", **kw)


def error(status: int, code: str, message: str, request_id: str, **kw: Any) -> Response:
    """The one error envelope every failure uses."""
    payload = {"error": {"code": code, "message": message}, "meta": {"request_id": request_id}}
    return json_response(status, payload, error_code=code, **kw)
