"""A TCP relay that puts a network's round-trip time between a client and the sandbox.

The kiosk's cost on a real network is round trips, and on loopback there are none to
see. This kernel has no `netem`, and sleeping in the sandbox's handlers would delay
answers but not the TCP and TLS handshakes, which is where a new connection's cost is.
So the relay sits on a real TCP port of its own, forwards every byte to the upstream
server and back, and delivers each chunk RTT/2 after it arrived, in each direction:
the TLS handshake, every request and every answer pay exactly what they would on a
link of that round-trip time.

One thing a user-space relay cannot delay is the kernel's SYN-ACK: the client's
`connect()` returns at once. The TCP handshake's round trip is therefore charged to
the connection's first bytes instead: client-to-server data of a new connection is
held one extra RTT after the accept, which is when a real client could first have sent
it. Everything else is delivered in order, an end of stream (FIN) as an end of stream
and a reset as a reset, each after the same one-way delay as the bytes before it.

Latency only: the relay's own legs are loopback, so it does not model bandwidth, loss
or TCP slow start (a real link delivers an answer larger than the first ~14 kB
congestion window in more than one round trip). Memory is bounded: at most
`max_in_flight` bytes wait per direction; past that the relay stops reading and TCP's
own flow control holds the sender back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, replace

__all__ = ["ConnectionInfo", "LatencyRelay"]

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_EOF = b""


class _Reset(bytes):
    """The marker a pipe queues when its source was reset (an empty bytes subclass)."""


_RESET = _Reset()


@dataclass(frozen=True)
class ConnectionInfo:
    """One relayed connection as the relay saw it; times are `time.monotonic()`."""

    number: int
    opened_at: float
    last_byte_at: float  # last byte delivered, either way
    closed_by: str | None = None  # "server", "client" (EOF or reset first), or None: open


class LatencyRelay:
    """Relay `listen` -> `upstream` with a round-trip time of `rtt_s`.

    Runs its own asyncio loop in a background thread; `start()` returns once it
    listens. The RTT can be changed while it runs and applies to new chunks.
    """

    def __init__(self, upstream: tuple[str, int], rtt_s: float, *,
                 host: str = "127.0.0.1", port: int = 0,
                 max_in_flight: int = 1024 * 1024) -> None:
        if rtt_s < 0:
            raise ValueError("rtt_s must be >= 0")
        self.upstream = upstream
        self.rtt_s = rtt_s
        self._host, self._port = host, port
        self._queue_chunks = max(1, max_in_flight // _CHUNK)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._conns: dict[int, ConnectionInfo] = {}
        self._numbers = 0

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> LatencyRelay:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="latency-relay",
                                        daemon=True)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), loop)
        try:
            future.result(timeout=10)
        except BaseException:
            self.stop()
            raise
        logger.info("latency relay %s:%d -> %s:%d, RTT %.0f ms", self._host, self._port,
                    *self.upstream, self.rtt_s * 1000)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            with contextlib.suppress(TimeoutError, RuntimeError):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> LatencyRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- where it is and what it saw ------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return self._host, self._port

    def url(self, base_url: str) -> str:
        """`base_url` (the upstream's) with this relay's host and port instead."""
        parts = urllib.parse.urlsplit(base_url)
        host = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host
        return parts._replace(netloc=f"{host}:{self._port}").geturl()

    def connections(self) -> list[ConnectionInfo]:
        """Every connection relayed so far, oldest first."""
        with self._lock:
            return [self._conns[k] for k in sorted(self._conns)]

    # --- the relay ------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accepted, self._host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accepted(self, c_reader: asyncio.StreamReader,
                        c_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        loop = asyncio.get_running_loop()
        accepted = loop.time()
        number = self._opened(accepted)
        u_writer: asyncio.StreamWriter | None = None
        try:
            try:
                u_reader, u_writer = await asyncio.open_connection(*self.upstream)
            except OSError as exc:
                logger.debug("relay connection %d: upstream refused: %s", number, exc)
                # A refusal reaches a real client one round trip after its SYN.
                await asyncio.sleep(max(0.0, accepted + self.rtt_s - loop.time()))
                self._closed(number, "server")
                _reset(c_writer)
                return
            # The client could first have sent after its SYN-ACK came back: one RTT.
            up = self._pipe(number, c_reader, u_writer, "client", not_before=accepted + self.rtt_s)
            down = self._pipe(number, u_reader, c_writer, "server", not_before=accepted)
            await asyncio.gather(up, down)
        except asyncio.CancelledError:
            # The relay stops: both ends see a reset. Not re-raised: asyncio's stream
            # server logs a cancelled connection task as an error (Python 3.11).
            for writer in (c_writer, u_writer):
                if writer is not None:
                    _reset(writer)
        finally:
            for writer in (c_writer, u_writer):
                if writer is not None:
                    writer.close()
            self._tasks.discard(task)

    async def _pipe(self, number: int, src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                    side: str, *, not_before: float) -> None:
        """Copy `src` to `dst`, each chunk RTT/2 late and never before `not_before`."""
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(self._queue_chunks)

        async def read() -> None:
            while True:
                try:
                    data = await src.read(_CHUNK)
                except OSError:  # a reset (ECONNRESET), or the socket broke
                    data = _RESET
                due = max(loop.time(), not_before) + self.rtt_s / 2
                await chunks.put((due, data))
                if not data:
                    return

        async def write() -> None:
            while True:
                due, data = await chunks.get()
                while (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                if dst.is_closing():
                    return
                if isinstance(data, _Reset):
                    self._closed(number, side)
                    _reset(dst)
                    return
                if not data:
                    self._closed(number, side)
                    if dst.can_write_eof():
                        with contextlib.suppress(OSError):
                            dst.write_eof()
                    return
                dst.write(data)
                self._delivered(number)
                try:
                    await dst.drain()
                except OSError:  # the destination reset us; its reader reports that side
                    return

        reader = asyncio.ensure_future(read())
        try:
            await write()
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    # --- bookkeeping ------------------------------------------------------------------------

    def _opened(self, at: float) -> int:
        with self._lock:
            self._numbers += 1
            self._conns[self._numbers] = ConnectionInfo(self._numbers, at, at)
            return self._numbers

    def _delivered(self, number: int) -> None:
        with self._lock:
            self._conns[number] = replace(self._conns[number], last_byte_at=time.monotonic())

    def _closed(self, number: int, by: str) -> None:
        with self._lock:
            info = self._conns[number]
            if info.closed_by is None:
                self._conns[number] = replace(info, closed_by=by)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0: the peer sees a TCP reset, not an orderly close."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
