"""What an orderly stop does to the API client: nothing new goes out, a photo is let go.

systemd gives the kiosk `TimeoutStopSec` to stop, then kills it. What must not be lost
in that time is an answer already paid for: a product request on the wire is let
finish (its bytes are the money). What can go is everything else: a request not yet
sent (a retry, the next queued scan, a fresh image URL that would cost again) is
refused before it leaves, and a photo being downloaded (free, and fetched again
later) is abandoned at its next chunk, so the lookup that waited for it caches its
card without the photo and the thread ends.

`StopGate` does this with httpx's public event hooks on the one client, so the API
client itself needs no stop flag: a request refused here raises the client's own
`TransportError` (code "deadline": not retried, like a request out of time), which
every caller already handles. A photo waiting for its headers is not interrupted
(a blocked socket read cannot be woken from here): it ends at the read timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx

from kiosk.api.errors import TransportError

__all__ = ["StopGate"]


class StopGate:
    def __init__(self) -> None:
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def install(self, http: httpx.Client) -> None:
        """Add the gate's hooks after the client's own (which bound every body)."""
        hooks = http.event_hooks
        http.event_hooks = {
            "request": [*hooks.get("request", []), self._before_sending],
            "response": [*hooks.get("response", []), self._on_response],
        }

    def close(self) -> None:
        """From now on: send nothing, stop reading photos. Thread-safe, instant."""
        self._closed.set()

    def _before_sending(self, request: httpx.Request) -> None:
        if self._closed.is_set():
            raise TransportError(f"{request.url.path}: not sent, the kiosk is stopping",
                                 code="deadline")

    def _on_response(self, response: httpx.Response) -> None:
        if response.headers.get("Content-Type", "").lower().startswith("image/"):
            assert isinstance(response.stream, httpx.SyncByteStream)
            response.stream = _Abandonable(response.stream, self._closed,
                                           response.request.url.path)


class _Abandonable(httpx.SyncByteStream):
    """A body that stops arriving, with an error, once the gate is closed."""

    def __init__(self, inner: httpx.SyncByteStream, closed: threading.Event, path: str
                 ) -> None:
        self._inner = inner
        self._closed = closed
        self._path = path

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if self._closed.is_set():
                raise TransportError(f"{self._path}: photo abandoned, the kiosk is stopping",
                                     code="stopping")
            yield chunk

    def close(self) -> None:
        self._inner.close()
