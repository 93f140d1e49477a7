"""CPU calibrator: one shopper card made from scratch, timed the same way on any machine.

Dividing a guest's figure by the host's gives the emulation factor S, so a stage measured
in the guest reads as "S times its host figure" (the CPU's speed, nothing to fix) or as
something else (the kiosk's, or emulation's own cost such as software OpenGL). The work
is what a scan costs a kiosk in Python and SDL's software paths, without I/O: the API's
JSON decoded into a Product, the front photo decoded and scaled, the card laid out with
the real font and painted on an off-screen 800x480 canvas. The system test runs this file
in the guest with the kiosk's own Python, and on the host, in the same run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # until kiosk is pip-installed

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from _common import emit, parse_args, percentiles, table

from kiosk.config import DisplayConfig
from kiosk.display import Card, Display, load_prepared
from kiosk.display.layout import layout
from kiosk.product import Product
from kiosk.sandbox.catalog import build_catalog, public_record
from kiosk.sandbox.gallery import front_photo

BARCODE = "000413000222"  # the sandbox's product with the fullest card
ROUNDS = 50
WARMUP = 3  # first rounds load the font and fill SDL's caches: not the CPU's speed


def card_rounds(rounds: int = ROUNDS) -> list[float]:
    """Milliseconds per card, one sample per round, after WARMUP untimed rounds."""
    body = json.dumps(public_record(build_catalog()[BARCODE]))
    raw = front_photo(BARCODE)
    display = Display(DisplayConfig(mode="shopper", fullscreen=False, size=[800, 480]))
    samples: list[float] = []
    try:
        for n in range(WARMUP + rounds):
            t0 = time.perf_counter()
            product = Product.from_api(json.loads(body), BARCODE)
            image = display.prepare_image(raw) if raw else None
            surface = load_prepared(image) if image else None
            card = layout(Card(product, image, credits_debited=1.3), display.size, "shopper",
                          display.measure)
            display.painter.paint(display.canvas, card,
                                  {"image": surface} if surface is not None else {})
            if n >= WARMUP:
                samples.append((time.perf_counter() - t0) * 1000)
    finally:
        display.close()
    return samples


def main() -> None:
    args = parse_args(__doc__ or "")
    figures = {"card_ms": percentiles(card_rounds())}
    p = figures["card_ms"]
    print(f"one card from scratch at 800x480 ({ROUNDS} rounds): S = a guest's p50 / this p50")
    print(table([("p50 ms", "p95 ms", "p99 ms"),
                 (f"{p['p50']:.2f}", f"{p['p95']:.2f}", f"{p['p99']:.2f}")]))
    emit(args, figures)


if __name__ == "__main__":
    main()
