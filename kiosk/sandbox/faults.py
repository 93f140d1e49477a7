"""Fault injection: make the next N matching requests slow, fail, vanish or lie.

Tests call `sandbox.faults.add("status", status=503, count=3, path="/products")`; the
demo passes `--fault status=503,count=3`. A fault applies to the next `count` requests
whose path (with or without the `/api/v1` prefix) starts with `path`, then disappears.

Kinds and their parameter (the CLI spec's first `key=value`):

    latency=SECONDS         answer normally, but this much later
    status=CODE             answer CODE (5xx) with a server_error body; json=0: an HTML page;
                            code=TEXT: that error code instead of server_error
    drop                    close the connection without answering (a reset)
    close                   close the connection in order (FIN) without answering: what
                            a server or relay that will not answer does
    garbage                 200 whose body is not JSON (content_type=... to change its type)
    rate_limit=SECONDS      429 rate_limited with Retry-After: SECONDS (default 30)
    bind_ip=IP              the next signed URLs issued are bound to IP (default 10.9.9.9);
                            count counts URLs, not requests
    expire_url              the next signed URLs issued are already expired (410 on use);
                            count counts URLs, not requests
    truncate_image=FRACTION signed-image bodies cut to this fraction (default 0.5), with a
                            Content-Length that matches the cut body
    expire_tokens           every access token expires just before this request
    hostile=BODY            the next 200 answers (charged as usual) get a hostile body
                            instead: png_bomb, jpeg_bomb, huge_image, gzip_bomb, endless,
                            drip (seconds=S a byte), huge_json, deep_json, wrong_types,
                            hostile_text (see `kiosk.sandbox.hostile`)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "Fault", "FaultPlan", "parse_fault_spec"]

# kind -> (name of its main parameter, default value)
KINDS: dict[str, tuple[str | None, Any]] = {
    "latency": ("seconds", 0.5),
    "status": ("status", 503),
    "drop": (None, None),
    "close": (None, None),
    "garbage": (None, None),
    "rate_limit": ("retry_after", 30),
    "bind_ip": ("ip", "10.9.9.9"),
    "expire_url": (None, None),
    "truncate_image": ("fraction", 0.5),
    "expire_tokens": (None, None),
    "hostile": ("body", "endless"),
}
_API_PREFIX = "/api/v1"


@dataclass
class Fault:
    kind: str
    count: int
    path: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        if self.path is None:
            return True
        short = path[len(_API_PREFIX):] if path.startswith(_API_PREFIX) else path
        return path.startswith(self.path) or short.startswith(self.path)


class FaultPlan:
    """The pending faults; thread-safe, consumed as matching requests arrive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: str, count: int = 1, path: str | None = None, **params: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        main, default = KINDS[kind]
        if main is not None:
            params.setdefault(main, default)
        fault = Fault(kind, count, path, params)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, kind: str, path: str) -> Fault | None:
        """The first pending fault of `kind` matching `path`, with one use consumed."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and fault.count > 0 and fault.matches(path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(f.kind, f.count, f.path, dict(f.params)) for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def _coerce(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def parse_fault_spec(spec: str) -> tuple[str, int, str | None, dict[str, Any]]:
    """`"status=503,count=3,path=/products"` -> ("status", 3, "/products", {"status": 503})."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise ValueError("empty fault spec")
    kind, _, value = parts[0].partition("=")
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
    params: dict[str, Any] = {}
    main = KINDS[kind][0]
    if value:
        if main is None:
            raise ValueError(f"fault {kind!r} takes no value")
        params[main] = _coerce(value)
    count, path = 1, None
    for part in parts[1:]:
        key, eq, val = part.partition("=")
        if not eq:
            raise ValueError(f"expected key=value, got {part!r}")
        if key == "count":
            count = int(val)
        elif key == "path":
            path = val
        else:
            params[key] = _coerce(val)
    return kind, count, path, params
