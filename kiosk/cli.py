"""The `kiosk` command: one entry point, a subcommand per job.

Subcommands import their implementation lazily, so `kiosk --help` and
`kiosk check-config` stay fast and never touch pygame, evdev or the network.

Exit codes follow sysexits where it matters to systemd: 0 success, 78 (EX_CONFIG) for
a bad configuration (the unit's RestartPreventExitStatus=78 stops a restart loop),
1 for anything else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk import __version__
from kiosk.config import DEFAULT_PATH

EX_OK = 0
EX_FAILURE = 1
EX_USAGE = 2
EX_CONFIG = 78

Handler = Callable[[argparse.Namespace], int]


def _add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_PATH, metavar="PATH",
        help=f"configuration file (default: {DEFAULT_PATH})",
    )


def _cmd_check_config(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.errors import ConfigError

    try:
        cfg = config.load(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{args.config}: {len(exc.problems)} problem(s); not valid", file=sys.stderr)
        return EX_CONFIG
    warnings = []
    try:
        config.resolve_client_id(cfg)
    except ConfigError as exc:
        warnings.extend(exc.problems)
    if args.key:
        try:
            config.resolve_api_key(cfg)
        except ConfigError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            return EX_CONFIG
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{args.config}: OK")
    return EX_OK


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from kiosk.sandbox import cli as sandbox_cli

    return sandbox_cli.run(args)


def _reserved(name: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        print(f"kiosk {name}: not available in this version yet", file=sys.stderr)
        return EX_FAILURE

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Barcode-scanner product-card kiosk for Raspberry Pi "
        "(Retail Digitals API).",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "check-config", help="validate a configuration file (exit 0 if good, 78 if not)",
        description="Validate the configuration file and report every problem at once. "
        "Exit status: 0 valid, 78 invalid.",
    )
    _add_config_arg(p)
    p.add_argument(
        "--key", action="store_true",
        help="also check that an API key can be found (it is never printed)",
    )
    p.set_defaults(handler=_cmd_check_config)

    p = sub.add_parser(
        "sandbox", help="serve the built-in Retail Digitals API stand-in",
        description="Serve a faithful stand-in for the Retail Digitals API under /api/v1 "
        "until stopped (Ctrl-C). For the demo, tests and trying the kiosk without an "
        "account.",
    )
    from kiosk.sandbox import cli as sandbox_cli

    sandbox_cli.add_arguments(p)
    p.set_defaults(handler=_cmd_sandbox)

    for name, text in (
        ("run", "run the kiosk daemon (coming in a later version)"),
        ("demo", "run the kiosk against the built-in sandbox (coming in a later version)"),
        ("status", "show the running kiosk's state (coming in a later version)"),
        ("lookup", "look up one barcode (coming in a later version)"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        _add_config_arg(p)
        p.set_defaults(handler=_reserved(name))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EX_USAGE
    try:
        return handler(args)
    except KeyboardInterrupt:
        return EX_OK


if __name__ == "__main__":
    sys.exit(main())
