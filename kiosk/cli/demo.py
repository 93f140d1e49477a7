"""`kiosk demo`: the real daemon against the built-in sandbox, no account or hardware.

On a desktop it opens a window where the keyboard is the scanner (type digits, Enter);
`--auto` scans interesting catalog products by itself. Without a display it runs a
scripted session on SDL's dummy driver — cards, a re-scan from the cache, a mis-read,
an unknown code, a double read, a scan while offline and its later resolution — and
writes every screen to PNG files.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import ApiConfig, Config, DisplayConfig, ScannerConfig, StorageConfig
from kiosk.exitcodes import EX_USAGE

if TYPE_CHECKING:
    from kiosk.product import Product

__all__ = ["add_arguments", "run"]

logger = logging.getLogger(__name__)

SHOW_TIMEOUT_S = 20.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--auto", action="store_true",
                        help="scan interesting catalog products by itself, one every few seconds")
    parser.add_argument("--headless", action="store_true",
                        help="no window: run the scripted session and write PNG screens "
                        "(the default when there is no desktop)")
    parser.add_argument("--mode", choices=("shopper", "staff"), default="shopper",
                        help="card layout (default: shopper)")
    parser.add_argument("--size", default="1024x600", metavar="WxH",
                        help="window or screen size (default: 1024x600)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="where the headless session writes its PNGs (default: a temp dir)")
    parser.add_argument("--rtt-ms", type=float, default=0.0, metavar="MS",
                        help="reach the sandbox through a relay adding this round-trip time, "
                             "to feel a distant API (e.g. 200)")


def _has_desktop() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def products_of(catalog: Mapping[str, Any]) -> dict[str, Product]:
    """The sandbox's JSON read as the kiosk reads an answer: through `Product`."""
    from kiosk.product import Product

    return {code: Product.from_api(data, barcode=code) for code, data in catalog.items()}


def interesting(products: Mapping[str, Product]) -> list[str]:
    """Barcodes that show off the card: the published examples first."""
    picks = ["017000161563", "000413000222"]

    def add(predicate: Callable[[Product], bool]) -> None:
        for barcode, product in products.items():
            if barcode not in picks and predicate(product):
                picks.append(barcode)
                return

    add(lambda p: len(p.hechshers) > 1)
    add(lambda p: any("\u0590" <= ch <= "\u05ff" for ch in p.notes or ""))
    add(lambda p: len(p.name or "") > 100)
    add(lambda p: not p.has_front_image)
    add(lambda p: not p.has_nutrition)
    add(lambda p: p.bracha == "hagafen")
    return [b for b in picks if b in products]


def run(args: argparse.Namespace) -> int:
    headless = args.headless or not _has_desktop()
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"kiosk demo: --size must look like 1024x600, not {args.size!r}")
        return EX_USAGE
    from kiosk.daemon import Daemon, setup_logging
    from kiosk.sandbox import Sandbox
    from kiosk.sandbox.latency import LatencyRelay

    setup_logging(journal=False)
    work = Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    with Sandbox() as sandbox, contextlib.ExitStack() as stack:
        base_url = sandbox.base_url
        if args.rtt_ms > 0:
            relay = stack.enter_context(
                LatencyRelay((sandbox.host, sandbox.port), args.rtt_ms / 1000))
            base_url = relay.url(base_url)
        key_file = work / "api_key"
        key_file.write_text(sandbox.api_key)
        key_file.chmod(0o600)
        key_file.chmod(0o600)
        cfg = Config(
            api=ApiConfig(base_url=base_url, client_id=sandbox.client_id,
                          api_key_file=key_file, ca_file=sandbox.ca_file),
            scanner=ScannerConfig(),
            display=DisplayConfig(mode=args.mode, fullscreen=False, size=[width, height],
                                  store_name="Kiosk demo", card_seconds=8.0),
            storage=StorageConfig(state_dir=work / "state", cache_dir=work / "cache"),
        )
        print(f"kiosk demo: sandbox at {base_url}; state in {work}")
        if headless:
            return _scripted(cfg, sandbox, args.out or work / "screens")
        picks = interesting(products_of(sandbox.catalog))
        print("kiosk demo: type a barcode and Enter in the window "
              f"(try {', '.join(picks[:3])}); close the window to stop")
        daemon = Daemon(cfg, readers=None)
        if args.auto:
            _feed_forever(daemon, picks)
        return daemon.run()


def _feed_forever(daemon: Any, barcodes: list[str]) -> None:
    from kiosk.scanner import Scan

    def feed() -> None:
        for barcode in _cycle(barcodes):
            time.sleep(5.0)
            if daemon.stopping:
                return
            daemon.worker.submit(Scan(barcode, "demo-auto", time.monotonic()))

    threading.Thread(target=feed, name="demo-auto", daemon=True).start()


def _cycle(items: list[str]) -> Iterator[str]:
    while True:
        yield from items


def _scripted(cfg: Config, sandbox: Any, out: Path) -> int:
    """Scan a story of products headless; save each screen as a PNG."""
    import pygame.image

    from kiosk.daemon import Daemon
    from kiosk.scanner import Scan

    out.mkdir(parents=True, exist_ok=True)
    shown = threading.Event()
    written: list[Path] = []
    step: dict[str, Any] = {"n": 0, "name": "idle"}

    def after_show(record: Any, display: Any) -> None:
        if record.photo_pending:
            return  # the story goes on once the card is complete
        step["n"] += 1
        path = out / f"{step['n']:02d}-{step['name']}.png"
        surface = pygame.display.get_surface()
        if surface is not None:
            pygame.image.save(surface, str(path))
            written.append(path)
        shown.set()

    daemon = Daemon(cfg, readers=None, after_show=after_show)
    products = products_of(sandbox.catalog)
    picks = interesting(products)
    unseen = next(b for b, p in products.items() if b not in picks and p.has_front_image)
    story: list[tuple[str, str, str | None]] = [(f"card-{b}", b, None) for b in picks]
    story += [
        ("cached-rescan", picks[0], None),
        ("invalid-misread", "01700016156", None),
        ("not-found", "012345678905", None),
        ("offline-saved", unseen, "offline"),
        ("offline-from-cache", picks[1], None),
    ]

    def scan(raw: str) -> None:
        shown.clear()
        daemon.worker.submit(Scan(raw, "demo", time.monotonic()))
        if not shown.wait(SHOW_TIMEOUT_S):
            logger.error("demo: %s was not shown within %.0f s", raw, SHOW_TIMEOUT_S)

    def story_teller() -> None:
        try:
            if not daemon.ready.wait(SHOW_TIMEOUT_S):
                return
            for name, raw, action in story:
                if action == "offline":
                    sandbox.set_online(False)
                step["name"] = name
                scan(raw)
            step["name"] = "double-read"
            daemon.worker.submit(Scan(picks[1], "demo", time.monotonic()))
            sandbox.set_online(True)
            deadline = time.monotonic() + SHOW_TIMEOUT_S
            while time.monotonic() < deadline and daemon.queue_depth() > 0:
                daemon.drainer.wake(retry_now=True)
                time.sleep(0.2)
        finally:
            daemon.stop()

    threading.Thread(target=story_teller, name="demo-story", daemon=True).start()
    code = int(daemon.run())
    print(f"kiosk demo: {len(written)} screens written to {out}:")
    for path in written:
        print(f"  {path}")
    return code
