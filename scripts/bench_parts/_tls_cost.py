"""What a TLS handshake costs the kiosk's CPU, full and resumed, against the sandbox.

For the choice of how to keep a connection warm: re-opening a connection costs a
handshake and no API request; TLS session resumption would make that handshake
cheaper, but not shorter on the wire (TLS 1.3 takes one round trip either way, and
Python's ssl module has no 0-RTT). Measured on loopback with `time.thread_time()`
around the client's `do_handshake()`, so the figure is the client's CPU alone, not the
sandbox's (which runs in this process too).
"""

from __future__ import annotations

import socket
import ssl
import statistics
import time
from typing import Any

from kiosk.sandbox import Sandbox


def _handshake(sb: Sandbox, ctx: ssl.SSLContext,
               session: ssl.SSLSession | None) -> tuple[float, float, ssl.SSLSocket]:
    raw = socket.create_connection((sb.host, sb.port), timeout=10)
    tls = ctx.wrap_socket(raw, server_hostname=sb.host, do_handshake_on_connect=False,
                          session=session)
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    tls.do_handshake()
    return time.thread_time() - cpu0, time.perf_counter() - wall0, tls


def _session_of(tls: ssl.SSLSocket, host: str) -> ssl.SSLSession | None:
    """Read one answer so the TLS 1.3 session ticket (sent after the handshake) arrives."""
    tls.sendall(f"GET /api/v1/pricing HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                .encode())
    while tls.recv(65536):
        pass
    return tls.session


def handshake_cost(sb: Sandbox, rounds: int = 30) -> dict[str, Any]:
    """Median client CPU and wall time per handshake, full and resumed, in ms."""
    ctx = sb.tls_files.client_context() if sb.tls_files is not None else None
    if ctx is None:
        return {}
    full_cpu, full_wall, res_cpu, res_wall = [], [], [], []
    reused = 0
    for _ in range(rounds):
        cpu, wall, tls = _handshake(sb, ctx, None)
        full_cpu.append(cpu)
        full_wall.append(wall)
        session = _session_of(tls, sb.host)
        tls.close()
        cpu, wall, tls = _handshake(sb, ctx, session)
        reused += tls.session_reused
        res_cpu.append(cpu)
        res_wall.append(wall)
        tls.close()
    return {
        "rounds": rounds, "resumed": reused, "tls_version": "TLSv1.3",
        "full_cpu_ms": 1000 * statistics.median(full_cpu),
        "full_wall_ms": 1000 * statistics.median(full_wall),
        "resumed_cpu_ms": 1000 * statistics.median(res_cpu),
        "resumed_wall_ms": 1000 * statistics.median(res_wall),
    }
