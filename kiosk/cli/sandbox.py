"""`kiosk sandbox`: serve the sandbox API in the foreground for the demo or a dev box.

The sandbox (and through it the API client's pieces) is imported only when the command
runs: building the `kiosk` parser must not load it.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from kiosk.config import is_loopback_host
from kiosk.exitcodes import EX_FAILURE, EX_OK, EX_USAGE

if TYPE_CHECKING:
    from kiosk.sandbox.latency import LatencyRelay

__all__ = ["add_arguments", "run"]

logger = logging.getLogger(__name__)

_FAULT_HELP = (
    "inject a fault (repeatable). SPEC is KIND[=VALUE][,count=N][,path=PREFIX][,key=value...]: "
    "latency=SECONDS, status=CODE (json=0 for an HTML body), drop, garbage, "
    "rate_limit=RETRY_AFTER, bind_ip=IP, expire_url, truncate_image=FRACTION, expire_tokens, "
    "hostile=BODY (png_bomb, jpeg_bomb, huge_image, gzip_bomb, endless, drip, huge_json, "
    "deep_json, wrong_types, hostile_text). "
    "count (default 1) is how many matching requests it hits; path limits it to paths "
    "starting with PREFIX (with or without /api/v1). "
    "Examples: status=503,count=3   latency=0.5,count=1000   drop,path=/products"
)


def _fault_spec(text: str) -> str:
    from kiosk.sandbox import faults as faults_mod  # only when a --fault is given

    try:
        faults_mod.parse_fault_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8700, help="TCP port (0: any free port)")
    parser.add_argument("--http", action="store_true",
                        help="plain HTTP instead of HTTPS (loopback only, as the kiosk "
                             "accepts http:// only for a loopback API)")
    parser.add_argument("--tls-dir", type=Path, metavar="DIR",
                        help="where the CA and server certificate are written (default: a "
                             "new temporary directory, printed at start)")
    parser.add_argument("--san", action="append", default=[], metavar="NAME",
                        help="another host name or IP clients use to reach the sandbox "
                             "(repeatable; the loopback names and --host are always in "
                             "the certificate)")
    parser.add_argument("--client-id", help="accepted client id (default: the sandbox's "
                        "demo id, printed at start)")
    parser.add_argument("--api-key", help="accepted API key (default: the sandbox's demo "
                        "key, printed at start)")
    parser.add_argument("--balance", type=float, default=500.0, help="starting credits")
    parser.add_argument("--access-ttl", type=float, default=3600.0,
                        help="access token lifetime in seconds")
    parser.add_argument("--rpm", type=int, default=60, help="requests allowed per minute")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        type=_fault_spec, help=_FAULT_HELP)
    parser.add_argument("--rtt-ms", type=float, default=0.0, metavar="MS",
                        help="serve through a relay that adds this round-trip time to every "
                             "connection, handshakes included, as a distant API would "
                             "(kiosk.sandbox.latency)")


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 on an orderly stop."""
    if args.http and not is_loopback_host(args.host):
        sys.stderr.write(f"kiosk sandbox: --http is for a loopback --host only, not "
                         f"{args.host!r}: the kiosk speaks plain HTTP to loopback only\n")
        return EX_USAGE
    from kiosk.sandbox import faults as faults_mod
    from kiosk.sandbox.latency import LatencyRelay
    from kiosk.sandbox.sandbox import DEFAULT_API_KEY, DEFAULT_CLIENT_ID, Sandbox

    tls_dir, made_dir = args.tls_dir, False
    if not args.http and tls_dir is None:
        tls_dir, made_dir = Path(tempfile.mkdtemp(prefix="kiosk-sandbox-tls-")), True
    try:
        # With --rtt-ms the relay takes the port clients know; the sandbox hides behind it.
        sandbox = Sandbox(host=args.host, port=0 if args.rtt_ms > 0 else args.port,
                          client_id=args.client_id or DEFAULT_CLIENT_ID,
                          api_key=args.api_key or DEFAULT_API_KEY, balance=args.balance,
                          access_ttl=args.access_ttl, rpm=args.rpm, tls=not args.http,
                          tls_dir=tls_dir, names=args.san)
    except ImportError as exc:
        sys.stderr.write(f"kiosk sandbox: HTTPS needs the cryptography package ({exc}): "
                         "pip install 'kiosk[sandbox]', or serve plain HTTP with --http\n")
        return EX_FAILURE
    for spec in args.fault:
        kind, count, path, params = faults_mod.parse_fault_spec(spec)
        sandbox.faults.add(kind, count=count, path=path, **params)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %d: stopping the sandbox", signum)
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    relay: LatencyRelay | None = None
    try:
        try:
            sandbox.start()
            if args.rtt_ms > 0:
                relay = LatencyRelay((sandbox.host, sandbox.port), args.rtt_ms / 1000,
                                     host=args.host, port=args.port).start()
        except OSError as exc:
            sys.stderr.write(f"kiosk sandbox: cannot listen on {args.host}:{args.port}: {exc}\n")
            return EX_FAILURE
        base_url = relay.url(sandbox.base_url) if relay is not None else sandbox.base_url
        # The operator's own terminal, not a daemon log: plain lines to stdout.
        sys.stdout.write(
            f"Retail Digitals sandbox API at {base_url}\n"
            f"  client id: {sandbox.client_id}\n"
            f"  api key:   {sandbox.api_key}\n"
            f"  balance:   {sandbox.balance:g} credits\n"
            f"  products:  {len(sandbox.catalog)} (e.g. 017000161563, 000413000222)\n"
        )
        if sandbox.tls_files is not None:
            sys.stdout.write(
                f"  CA:        {sandbox.tls_files.ca_cert} (trust it with api.ca_file, or "
                "install it into /usr/local/share/ca-certificates/)\n"
                f"  names:     {', '.join(sandbox.tls_files.names)}\n")
        if relay is not None:
            sys.stdout.write(f"  latency:   {args.rtt_ms:g} ms round trip added by a relay\n")
        sys.stdout.write("Ctrl-C to stop.\n")
        sys.stdout.flush()
        stop.wait()
    finally:
        if relay is not None:
            relay.stop()
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if made_dir:
            shutil.rmtree(tls_dir, ignore_errors=True)  # its private key dies with it
    return EX_OK
