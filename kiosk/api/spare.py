"""One connection to the API opened before a scan needs it.

A new HTTPS connection costs two round trips before a request can go out (TCP, then
TLS 1.3). The API's load balancer closes connections idle for 60 s, so between shoppers
the kiosk's connection is usually gone, and the next scan would pay those two round
trips on top of its own two (the data, then the photo). What keeping a connection
warm costs, measured (`scripts/bench network`, README "Measured"):

- a free request every 50 s keeps the load balancer from closing it, but every
  authenticated request counts against the rate limit: 1728 requests a day, 17 % of
  the 10,000 a day, and a slot of the 60 a minute now and then;
- re-opening a connection as soon as the server closes the spare one costs no request
  at all, only a TLS handshake a minute while idle (about a millisecond of CPU here);
- TLS session resumption makes that handshake cheaper, not shorter: TLS 1.3 takes one
  round trip either way, and Python's ssl has no 0-RTT. Not worth a session cache.

So this module keeps one spare, TCP and TLS done, and re-opens it whenever the server
closes it (or it is older than `max_age`, in case a middlebox dropped it silently). It
sits below httpx as httpcore's network backend: when the connection pool needs a new
connection to the API it gets the spare, already through its handshakes, and a new
spare is opened behind it. No HTTP request is ever sent on a spare until the pool uses
it, so it never counts against the rate limit or spends a credit.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore

from kiosk.backoff import Backoff

__all__ = ["SPARE", "SpareConnection"]

SPARE = "kiosk.spare"
"""`get_extra_info(SPARE)` is True on a spare handed to the pool (opened before it was
needed: as idle as a pooled connection)."""

logger = logging.getLogger(__name__)

_YOUNG_S = 1.0  # a spare the server closes sooner than this: back off, it will not keep one


@dataclass
class _Spare:
    stream: httpcore.NetworkStream  # TLS done
    sock: ssl.SSLSocket
    opened_at: float


class SpareConnection(httpcore.NetworkBackend):
    """httpcore's network backend, with one connection to `host:port` kept ready.

    Other hosts, and every connection while there is no spare, go to the plain backend.
    `start()` opens the first spare at once; `close()` stops and closes it.
    """

    def __init__(self, host: str, port: int, ssl_context: ssl.SSLContext, *,
                 connect_timeout: float, max_age: float,
                 inner: httpcore.NetworkBackend | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.host, self.port = host, port
        self._ctx = ssl_context
        self._connect_timeout = connect_timeout
        self._max_age = max_age
        self._inner = inner or httpcore.SyncBackend()
        self._clock = clock
        self._cond = threading.Condition()
        self._spare: _Spare | None = None
        self._opening = False
        self._closed = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._thread: threading.Thread | None = None
        self.opened = 0  # spares opened so far
        self.used = 0  # spares handed to the pool

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> SpareConnection:
        self._thread = threading.Thread(target=self._keep, name="kiosk-spare-connection",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop at once: a spare still being opened is closed by its own thread when done,
        so a stop never waits for a connect timeout on a dead network."""
        self._closed.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        else:
            self._close_wake()
        with self._cond:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.stream.close()

    def _close_wake(self) -> None:
        self._wake_r.close()
        self._wake_w.close()

    def wait_ready(self, timeout: float) -> bool:
        """True once a spare is open (for tests and the benchmark)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._spare is not None, timeout)

    # --- httpcore.NetworkBackend ----------------------------------------------------------

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        if (host, port) == (self.host, self.port) and local_address is None:
            spare = self._take(self._connect_timeout if timeout is None else timeout)
            if spare is not None:
                return _Opened(spare.stream, self._ctx, host)
        return self._inner.connect_tcp(host, port, timeout, local_address, socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)

    # --- the pool's side --------------------------------------------------------------------

    def _take(self, timeout: float) -> _Spare | None:
        """The spare if it is alive; one being opened is waited for (it is ahead of a
        new connection), up to the connect timeout."""
        with self._cond:
            self._cond.wait_for(lambda: not self._opening, timeout)
            spare, self._spare = self._spare, None
            usable = spare is not None and self._usable(spare)
            if usable:
                self.used += 1
        self._wake()  # the keeper opens the next one
        if spare is not None and not usable:
            spare.stream.close()
            return None
        return spare

    def _usable(self, spare: _Spare) -> bool:
        return self._clock() - spare.opened_at < self._max_age and _alive(spare.sock)

    # --- the keeper thread ----------------------------------------------------------------

    def _keep(self) -> None:
        try:
            self._keep_loop()
        finally:  # here, not in close(): a select() may still be waiting on them
            self._close_wake()

    def _keep_loop(self) -> None:
        backoff = Backoff(base=1.0, cap=min(30.0, self._max_age))
        while not self._closed.is_set():
            with self._cond:
                spare = self._spare
            if spare is None:
                if not self._open():
                    self._closed.wait(backoff.next_delay())
                continue
            self._watch(spare)
            with self._cond:
                died = self._spare is spare and not self._usable(spare)
                if died:
                    self._spare = None
            if died:
                spare.stream.close()
                if self._clock() - spare.opened_at < _YOUNG_S:
                    self._closed.wait(backoff.next_delay())  # the server will not keep it
                else:
                    backoff.reset()

    def _open(self) -> bool:
        with self._cond:
            self._opening = True
        spare = None
        try:
            tcp = self._inner.connect_tcp(self.host, self.port, self._connect_timeout)
            stream = tcp.start_tls(self._ctx, self.host, self._connect_timeout)
            sock = stream.get_extra_info("socket")
            if not isinstance(sock, ssl.SSLSocket):
                stream.close()
                raise httpcore.ConnectError("the spare connection has no TLS socket")
            spare = _Spare(stream, sock, self._clock())
        except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
            logger.debug("spare connection to %s:%d not opened: %s", self.host, self.port,
                         exc)
        with self._cond:
            self._opening = False
            if spare is not None and not self._closed.is_set():
                self._spare = spare
                self.opened += 1
                spare = None
            self._cond.notify_all()
        if spare is not None:  # closing meanwhile
            spare.stream.close()
            return False
        return self._spare is not None

    def _watch(self, spare: _Spare) -> None:
        """Wait until the spare's socket has something to say (a close, a session ticket),
        it is taken, it is too old, or the backend closes."""
        left = self._max_age - (self._clock() - spare.opened_at)
        with contextlib.suppress(OSError, ValueError):  # taken and closed by the pool
            select.select([spare.sock, self._wake_r], [], [], max(0.0, left))
        with contextlib.suppress(OSError):  # BlockingIOError: drained
            while self._wake_r.recv(64):
                pass

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # closed: nothing is waiting any more
            self._wake_w.send(b"x")


def _alive(sock: ssl.SSLSocket) -> bool:
    """Still open and silent. A non-blocking read handles what TLS 1.3 sends after the
    handshake (session tickets); an end of stream, a reset or any unasked-for data (an
    idle server's "408") means the connection must not carry a request."""
    try:
        sock.setblocking(False)
        try:
            sock.recv(1)
        except ssl.SSLWantReadError:
            return sock.pending() == 0
        finally:
            sock.setblocking(True)
    except (ssl.SSLError, OSError, ValueError):
        return False
    return False


class _Opened(httpcore.NetworkStream):
    """A spare as the pool sees it: a TCP stream whose TLS handshake is already done."""

    def __init__(self, tls: httpcore.NetworkStream, ctx: ssl.SSLContext, host: str) -> None:
        self._tls = tls
        self._ctx = ctx
        self._host = host

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        if ssl_context is not self._ctx or server_hostname not in (None, self._host):
            # Verified with other settings than the pool asks for: not this one.
            self._tls.close()
            raise httpcore.ConnectError("spare connection opened with other TLS settings")
        return self._tls

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._tls.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._tls.write(buffer, timeout)

    def close(self) -> None:
        self._tls.close()

    def get_extra_info(self, info: str) -> Any:
        return True if info == SPARE else self._tls.get_extra_info(info)
