"""The `kiosk` command: one entry point, a subcommand per job.

One small module per command (`check_config`, `check_prices`, `config_set`, `status`,
`lookup`, `demo`, `sandbox`, `scanners`), each importing only what it needs, and each
imported only when its command runs (the demo's and the sandbox's argument definitions
import nothing heavy). So `kiosk --help`, `kiosk status`, `kiosk check-config` and
`kiosk config set` stay fast and
never load httpx, pygame, evdev or the sandbox (tests/cli/test_cli_imports.py checks
`sys.modules`).

Exit codes are `kiosk.exitcodes`: 0 success, 78 (EX_CONFIG) for a bad configuration
(the unit's RestartPreventExitStatus=78 stops a restart loop), 1 for anything else.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk import __version__
from kiosk.cli import demo, sandbox
from kiosk.config import DEFAULT_PATH
from kiosk.exitcodes import EX_CONFIG, EX_OK, EX_USAGE

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]


def _add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_PATH, metavar="PATH",
        help=f"configuration file (default: {DEFAULT_PATH})",
    )


def _cmd_check_config(args: argparse.Namespace) -> int:
    from kiosk.cli.check_config import check_config

    return check_config(args.config, key=args.key)


def _cmd_config_set(args: argparse.Namespace) -> int:
    from kiosk.cli.config_set import config_set

    return config_set(args.config, args.pairs, stdout=args.stdout)


def _cmd_check_prices(args: argparse.Namespace) -> int:
    from kiosk.cli.check_prices import check_prices

    return check_prices(args.file, args.config)


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from kiosk.cli import sandbox

    return sandbox.run(args)


def _cmd_run(args: argparse.Namespace) -> int:
    from kiosk.daemon import run, setup_logging

    setup_logging()
    return run(args.config)


def _cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.cli import demo

    return demo.run(args)


def _cmd_status(args: argparse.Namespace) -> int:
    import json

    from kiosk.cli.check_config import load_or_report
    from kiosk.cli.status import collect, render_text

    cfg = load_or_report(args.config)
    if cfg is None:
        return EX_CONFIG
    status = collect(cfg)
    print(json.dumps(status) if args.json else render_text(status))
    return EX_OK


def _cmd_lookup(args: argparse.Namespace) -> int:
    from kiosk.cli.check_config import load_or_report
    from kiosk.cli.lookup import lookup_command

    cfg = load_or_report(args.config)
    if cfg is None:
        return EX_CONFIG
    return lookup_command(cfg, args.barcode, as_json=args.json)


def _cmd_scanners(args: argparse.Namespace) -> int:
    from kiosk.cli.check_config import load_or_report
    from kiosk.cli.scanners import scanners_command

    cfg = load_or_report(args.config)
    if cfg is None:
        return EX_CONFIG
    return scanners_command(cfg, as_json=args.json)


def _help_of(parser: argparse.ArgumentParser) -> Handler:
    """A handler for a command given without its action: its own help, exit 2."""

    def show_help(args: argparse.Namespace) -> int:
        parser.print_help()
        return EX_USAGE

    return show_help


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
        "check-prices", help="check a price file (exit 0 if the kiosk takes it, 65 if not)",
        description="Check a price file (CSV or JSON lines; see docs/prices.md) exactly as "
        "the kiosk imports it: every problem is printed as FILE:LINE:COLUMN: message, then "
        "a summary. Exit status: 0 it would be taken, 65 it would be refused (the kiosk "
        "keeps its old prices), 78 a bad --config.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the price file")
    p.add_argument(
        "--config", type=Path, default=None, metavar="PATH",
        help="take the bounds (prices.max_mb, prices.max_rows) from this configuration "
        "file (default: their defaults)",
    )
    p.set_defaults(handler=_cmd_check_prices)

    p = sub.add_parser(
        "config", help="change the configuration file: kiosk config set KEY VALUE",
        description="Change the configuration file from the command line.",
    )
    config_sub = p.add_subparsers(dest="config_command", metavar="ACTION")
    p.set_defaults(handler=_help_of(p))
    p = config_sub.add_parser(
        "set", help="set keys, validated (exit 0 if set, 78 if refused)",
        description="Set each KEY (section.key, e.g. display.rotation) to VALUE in the "
        "configuration file, keeping its comments and other lines, and replace it "
        "atomically with its mode, only if the whole file is then valid. VALUE is a TOML "
        "literal (90, 2.5, true, [800, 480], \"HDMI-A-1\"); for a key that takes a string "
        "or a path, any other VALUE is that string as it is (HDMI-A-1). Exit status: 0 "
        "set, 78 refused (the problems are listed; nothing was written).",
    )
    _add_config_arg(p)
    p.add_argument("pairs", nargs="+", metavar="KEY VALUE",
                   help="one or more pairs, set together")
    p.add_argument("--stdout", action="store_true",
                   help="print the edited file instead of writing it")
    p.set_defaults(handler=_cmd_config_set)

    p = sub.add_parser(
        "sandbox", help="serve the built-in Retail Digitals API stand-in",
        description="Serve a faithful stand-in for the Retail Digitals API under /api/v1 "
        "until stopped (Ctrl-C). For the demo, tests and trying the kiosk without an "
        "account.",
    )
    sandbox.add_arguments(p)
    p.set_defaults(handler=_cmd_sandbox)

    p = sub.add_parser(
        "run", help="run the kiosk daemon (what the systemd unit starts)",
        description="Run the kiosk: read scanners, look products up, show cards. Logs go to "
        "the journal when it is there, else to stderr; why it stops on an error is also "
        "shown on a terminal. Exit status: 0 stopped on request, 78 bad configuration, "
        "1 anything else.",
    )
    _add_config_arg(p)
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser(
        "demo", help="run the kiosk against the built-in sandbox (no account, no hardware)",
        description="Start the built-in sandbox on a free loopback port with a temporary "
        "state, and the kiosk against it: in a window on a desktop (the keyboard is the "
        "scanner: type digits and Enter), or headless as a scripted session whose screens "
        "are written as PNG files.",
    )
    demo.add_arguments(p)
    p.set_defaults(handler=_cmd_demo)

    p = sub.add_parser(
        "status", help="show what the kiosk is doing (works while it runs)",
        description="Print the kiosk's state: online, queue, cache, credits, token, scanner, "
        "last error. Reads the running daemon's status file and the store read-only.",
    )
    _add_config_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(handler=_cmd_status)

    p = sub.add_parser(
        "lookup", help="look up one barcode through the kiosk's client and cache",
        description="Look up one barcode exactly as a scan would (cache first, then one "
        "API lookup, which is then cached) and print the product or why not, and the "
        "credits it cost. Nothing is queued.",
    )
    p.add_argument("barcode",
                   help="the barcode as printed or scanned (UPC-A, EAN-13, EAN-8, UPC-E)")
    _add_config_arg(p)
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(handler=_cmd_lookup)

    p = sub.add_parser(
        "scanners", help="list the devices that look like barcode readers, and which is used",
        description="List the input devices and serial ports, mark those that look like "
        "barcode readers (keys, name, the USB makers' table) and say which one the kiosk "
        "uses with this configuration, and why (or why not).",
    )
    _add_config_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON list")
    p.set_defaults(handler=_cmd_scanners)
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

