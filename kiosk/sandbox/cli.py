"""`kiosk sandbox`: serve the sandbox API in the foreground for the demo or a dev box."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from kiosk.sandbox import faults as faults_mod
from kiosk.sandbox.sandbox import DEFAULT_API_KEY, DEFAULT_CLIENT_ID, Sandbox

__all__ = ["add_arguments", "run"]

logger = logging.getLogger(__name__)

_FAULT_HELP = (
    "inject a fault (repeatable). SPEC is KIND[=VALUE][,count=N][,path=PREFIX][,key=value...]: "
    "latency=SECONDS, status=CODE (json=0 for an HTML body), drop, garbage, "
    "rate_limit=RETRY_AFTER, bind_ip=IP, expire_url, truncate_image=FRACTION, expire_tokens. "
    "count (default 1) is how many matching requests it hits; path limits it to paths "
    "starting with PREFIX (with or without /api/v1). "
    "Examples: status=503,count=3   latency=0.5,count=1000   drop,path=/products"
)


def _fault_spec(text: str) -> str:
    try:
        faults_mod.parse_fault_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8700, help="TCP port (0: any free port)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="accepted client id")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="accepted API key")
    parser.add_argument("--balance", type=float, default=500.0, help="starting credits")
    parser.add_argument("--access-ttl", type=float, default=3600.0,
                        help="access token lifetime in seconds")
    parser.add_argument("--rpm", type=int, default=60, help="requests allowed per minute")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        type=_fault_spec, help=_FAULT_HELP)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 on an orderly stop."""
    sandbox = Sandbox(host=args.host, port=args.port, client_id=args.client_id,
                      api_key=args.api_key, balance=args.balance,
                      access_ttl=args.access_ttl, rpm=args.rpm)
    for spec in args.fault:
        kind, count, path, params = faults_mod.parse_fault_spec(spec)
        sandbox.faults.add(kind, count=count, path=path, **params)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %d: stopping the sandbox", signum)
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            sandbox.start()
        except OSError as exc:
            sys.stderr.write(f"kiosk sandbox: cannot listen on {args.host}:{args.port}: {exc}\n")
            return 1
        # The operator's own terminal, not a daemon log: plain lines to stdout.
        sys.stdout.write(
            f"Retail Digitals sandbox API at {sandbox.base_url}\n"
            f"  client id: {sandbox.client_id}\n"
            f"  api key:   {sandbox.api_key}\n"
            f"  balance:   {sandbox.balance:g} credits\n"
            f"  products:  {len(sandbox.catalog)} (e.g. 017000161563, 000413000222)\n"
            "Ctrl-C to stop.\n"
        )
        sys.stdout.flush()
        stop.wait()
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _parser = argparse.ArgumentParser(prog="kiosk sandbox", description=__doc__)
    add_arguments(_parser)
    sys.exit(run(_parser.parse_args()))
