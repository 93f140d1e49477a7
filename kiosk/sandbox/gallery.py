"""Render every screen to PNG files without a window: `scripts/screenshots` runs this.

Also the quickest way to review a layout change: the images in docs/screenshots/ are
what a shopper and a member of staff would see, from the sandbox catalog's products.
It lives with the sandbox because it needs the catalog and its drawn photos; the
display package knows nothing of either. `front_photo` and the samples serve the
display benchmark too.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kiosk.display.images import load_prepared, prepare_image
from kiosk.display.layout import layout
from kiosk.display.painter import Painter
from kiosk.display.rotation import Rotation, rotated
from kiosk.display.screens import (
    Card,
    Error,
    Idle,
    Invalid,
    Mode,
    NotFound,
    Offline,
    OutOfCredits,
    RecentScan,
    ScannerDisconnected,
    ScreenState,
    StatusInfo,
)
from kiosk.display.text import FontMeasure
from kiosk.outcome import Outcome
from kiosk.product import Product

__all__ = ["SAMPLE_RECENT", "SAMPLE_STATUS", "main", "render_png", "sample_screens"]

logger = logging.getLogger(__name__)

# The official 7" touch display, a TV, a handheld; the Touch Display 2 in its native portrait.
SIZES: tuple[tuple[int, int], ...] = ((800, 480), (1920, 1080), (480, 320), (720, 1280))
# Layouts also rendered as the frame a turned panel receives (`display.rotation`): the
# 720x1280 portrait layout at rotation 90 is what a 1280x720 panel turned clockwise gets.
TURNED: tuple[tuple[tuple[int, int], Rotation, Mode], ...] = (((720, 1280), 90, "shopper"),)

SAMPLE_STATUS = StatusInfo(online=True, queue_depth=2, credits_remaining=4321.8,
                           scanner_connected=True, last_error="HTTP 429 rate_limited, retrying")
SAMPLE_RECENT: tuple[RecentScan, ...] = (
    RecentScan("000413000222", Outcome.SHOWN, "Example Brand Fish Sticks", "14:03"),
    RecentScan("017000161563", Outcome.CACHED, "Example Cereal", "14:01"),
    RecentScan("7290573216240", Outcome.QUEUED, None, "13:58"),
    RecentScan("080878194964", Outcome.FOUND, "Baked Cheddar Cheese Puffs", "13:57",
               resolved=True),
    RecentScan("012345678905", Outcome.NOT_FOUND, None, "13:55"),
    RecentScan("12345", Outcome.INVALID, None, "13:54"),
)

# (file stem, barcode, card options) for the cards in the gallery.
CARDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("card-fishsticks", "000413000222", {"credits_debited": 1.3, "credits_remaining": 4321.8}),
    ("card-cereal", "017000161563", {"from_cache": True}),
    ("card-long-name", "048054572319", {"credits_debited": 1.3}),
    ("card-hebrew-notes", "7290573216240", {"credits_debited": 1.3}),
    ("card-wine-two-hechshers", "7290182358805", {}),
    ("card-no-image", "094300000778", {"credits_debited": 0.3}),
    ("card-offline-stale", "842964798865", {"from_cache": True, "stale": True, "offline": True}),
    ("card-non-food", "745199619212", {}),
    ("card-nulls", "690339383761", {}),
)

NOTICES: tuple[tuple[str, ScreenState], ...] = (
    ("not-found", NotFound("012345678905")),
    ("invalid", Invalid("12345", "check digit does not verify")),
    ("offline", Offline("000413000222", saved=True)),
    ("out-of-credits", OutOfCredits(0.4)),
    ("scanner-disconnected", ScannerDisconnected("/dev/input/by-id/usb-Honeywell-event-kbd")),
    ("error", Error("cache database is read-only: /var/cache/kiosk/products.db")),
)


def _catalog() -> dict[str, Any]:
    from kiosk.sandbox.catalog import build_catalog, public_record

    return {k: public_record(v) for k, v in build_catalog().items()}


def front_photo(barcode: str) -> bytes | None:
    """The catalog product's drawn front photo (JPEG), or None when it has none."""
    try:
        from kiosk.sandbox.catalog import build_catalog
        from kiosk.sandbox.images import render
    except ImportError:
        return None
    product = build_catalog()[barcode]
    meta = product["image_meta"]
    for variant in ("front_clean", "front"):
        if meta.get(variant):
            return render(product, variant)
    return None


def sample_screens(size: tuple[int, int], mode: Mode) -> Iterator[tuple[str, ScreenState]]:
    """Every screen the gallery shows, named, with display-ready images for this size."""
    catalog = _catalog()
    yield "idle", Idle("Kosher Corner Market", None, "below")
    if mode == "shopper" and size == SIZES[0]:
        for pos in ("above", "left", "right"):
            yield f"idle-scanner-{pos}", Idle("Kosher Corner Market", None, pos)
    for stem, code, opts in CARDS:
        data = catalog.get(code)
        if data is None:
            continue
        product = Product.from_api(data)
        image = None
        if product.has_front_image:
            raw = front_photo(code)
            image = prepare_image(raw, size, mode) if raw else None
        yield stem, Card(product, image, **opts)
    yield from NOTICES


def render_png(
    state: ScreenState, size: tuple[int, int], mode: Mode, path: Path, *,
    measure: FontMeasure, status: StatusInfo | None = None,
    recent: Sequence[RecentScan] = (), rotation: Rotation = 0,
) -> None:
    """`state` laid out at `size` and saved as the frame a panel turned by `rotation`
    receives (the layout itself when 0)."""
    import pygame
    import pygame.image

    lay = layout(state, size, mode, measure, status=status, recent=recent)
    surface = pygame.Surface(size)
    images: dict[str, Any] = {}
    if isinstance(state, Card) and state.image is not None:
        images["image"] = load_prepared(state.image)
    Painter(measure).paint(surface, lay, images, animate=False)
    pygame.image.save(rotated(surface, rotation), str(path))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--only", default="", help="render only names containing this")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    measure = FontMeasure()
    count = 0
    modes: tuple[Mode, ...] = ("shopper", "staff")
    jobs: list[tuple[tuple[int, int], Rotation, Mode]] = [
        (size, 0, mode) for mode in modes for size in SIZES]
    for size, rotation, mode in [*jobs, *TURNED]:
        turned = f"-rot{rotation}" if rotation else ""
        for name, state in sample_screens(size, mode):
            stem = f"{name}-{mode}-{size[0]}x{size[1]}{turned}"
            if args.only and args.only not in stem:
                continue
            staff = mode == "staff"
            render_png(state, size, mode, args.out / f"{stem}.png",
                       measure=measure, status=SAMPLE_STATUS if staff else None,
                       recent=SAMPLE_RECENT if staff else (), rotation=rotation)
            count += 1
    logger.info("wrote %d screenshots to %s", count, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
