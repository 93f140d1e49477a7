"""HTTP/1.1 plumbing: parse a request into a `Request`, write a `Response`, nothing more.

Keep-alive is on (HTTP/1.1, Content-Length always sent), as the production API behind its
load balancer, and like that load balancer the server closes a connection that stayed
idle for `idle_timeout` seconds. Open connections are tracked so that "going offline" or
a restart really cuts the clients off instead of leaving half-alive keep-alive sockets
behind. With a TLS context every connection is HTTPS; the handshake runs on the
connection's own thread, so a slow or refusing client never holds up the others.
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kiosk.sandbox.endpoints import Endpoints
from kiosk.sandbox.wire import Request, Response, new_request_id

__all__ = ["SandboxServer"]

logger = logging.getLogger(__name__)

_MAX_BODY = 1 << 20


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], endpoints: Endpoints, *,
        tls: ssl.SSLContext | None = None, idle_timeout: float | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.tls = tls
        self.idle_timeout = idle_timeout
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._in_flight = 0
        super().__init__(address, _Handler)

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a killed kiosk, a timeout) or refused our
        certificate is routine for a server, not a traceback on stderr; anything else
        still is."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | ssl.SSLError | TimeoutError):
            logger.debug("client %s: %s", client_address[0], exc)
            return
        super().handle_error(request, client_address)

    def open_connections(self) -> int:
        """Connections accepted and not yet finished with (their handler still runs)."""
        with self._conn_lock:
            return len(self._connections)

    def requests_in_flight(self) -> int:
        """Requests read and not yet answered."""
        with self._conn_lock:
            return self._in_flight

    def handle_request_now(self, req: Request) -> Response:
        with self._conn_lock:
            self._in_flight += 1
        try:
            return self.endpoints.handle(req)
        finally:
            with self._conn_lock:
                self._in_flight -= 1

    def cut_connections(self) -> None:
        """Reset every open client connection (keep-alive ones included)."""
        with self._conn_lock:
            conns, self._connections = list(self._connections), set()
        for conn in conns:
            _reset(conn)


def _reset(conn: socket.socket) -> None:
    """Close with SO_LINGER 0, so the peer sees a TCP reset, not an orderly close."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # close() alone is deferred while the handler thread's file objects hold the
        # socket; shutdown() acts at once and wakes the handler blocked in recv().
        conn.shutdown(socket.SHUT_RDWR)
        conn.close()
    except OSError as exc:
        logger.debug("resetting a client connection failed: %s", exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle on, a keep-alive client waits
    # ~40 ms for the second one (delayed ACK), which a real API does not make it do.
    disable_nagle_algorithm = True
    server: SandboxServer
    server_version = "RetailDigitalsSandbox/1.0"

    def setup(self) -> None:
        super().setup()
        # Every read waits at most this long: between two requests it is the idle timeout
        # after which the server closes a keep-alive connection (handle_one_request ends
        # the connection on the timeout).
        self.connection.settimeout(self.server.idle_timeout)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.client_address[0], *args)

    def _dispatch(self) -> None:
        rid = new_request_id()
        length = self.headers.get("Content-Length")
        try:
            size = int(length) if length else 0
        except ValueError:
            size = -1
        if not 0 <= size <= _MAX_BODY:
            self.close_connection = True
            self._write(Response(400, b'{"error": {"code": "bad_request", "message": "Bad '
                                      b'Content-Length"}, "meta": {}}', "application/json"), rid)
            return
        body = self.rfile.read(size) if size else b""
        split = urllib.parse.urlsplit(self.path)
        req = Request(
            method=self.command,
            path=urllib.parse.unquote(split.path),
            query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client_ip=self.client_address[0],
            request_id=rid,
            raw_query=split.query,
            scheme=self.server.scheme,
        )
        resp = self.server.handle_request_now(req)
        if resp.drop:
            self.close_connection = True
            if resp.fault != "close":  # "close": the handler's end closes it in order
                _reset(self.connection)
            return
        self._write(resp, rid)

    def _write(self, resp: Response, rid: str) -> None:
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        if resp.stream is None:
            self.send_header("Content-Length", str(len(resp.body)))
        else:  # a body of unknown length ends when the connection does
            self.send_header("Connection", "close")
            self.close_connection = True
        headers = {"X-Request-Id": rid, **resp.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if resp.body:
            self.wfile.write(resp.body)
        if resp.stream is not None:
            try:
                for chunk in resp.stream:
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError as exc:  # the client stopped reading: what a bound is for
                logger.debug("client %s stopped reading a streamed body: %s",
                             self.client_address[0], exc)
        if resp.reset:
            self.wfile.flush()
            self.close_connection = True
            _reset(self.connection)
