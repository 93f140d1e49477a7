"""Display: layout and paint time per screen and size, the cost of a turned panel, and
idle CPU of the daemon's loop.

Paint time is what a scan costs on screen once the data and the display-ready image are
in memory: layout (text measured with the real font) plus painting on the in-memory
canvas (dummy SDL driver here; presenting excluded). Presenting is measured apart at
1920x1080 for each `display.rotation`: the whole frame (the canvas turned and copied to
the screen, then flipped: what every new screen costs) and the idle arrow's partial
update (its small rectangles only). Idle CPU drives the attract screen the way the daemon
does (wait on a queue with timeout = next deadline, then tick) and divides the process
CPU time by the wall time.
"""

from __future__ import annotations

import os
import queue
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # until kiosk is pip-installed

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from _common import emit, parse_args, percentiles, table

from kiosk.config import DisplayConfig
from kiosk.display import Card, Display, Idle, NotFound, load_prepared
from kiosk.display.layout import layout
from kiosk.product import Product
from kiosk.sandbox.gallery import SAMPLE_RECENT, SAMPLE_STATUS, front_photo

SIZES = [(800, 480), (1024, 600), (1280, 720), (1920, 1080), (480, 320), (320, 480)]
ROUNDS = 60
IDLE_SECONDS = 10.0


def _product() -> tuple[Product, bytes | None]:
    from kiosk.sandbox.catalog import build_catalog, public_record

    data = public_record(build_catalog()["000413000222"])
    return Product.from_api(data), front_photo("000413000222")


def main() -> None:
    args = parse_args(__doc__ or "")
    product, raw = _product()
    figures: dict[str, object] = {}
    rows = [("screen", "size", "mode", "layout p50", "layout p99", "paint p50", "paint p99",
             "cold ms")]
    for size in SIZES:
        for mode in ("shopper", "staff"):
            d = Display(DisplayConfig(mode=mode, fullscreen=False, size=list(size)))  # type: ignore[arg-type]
            image = d.prepare_image(raw) if raw else None
            surf = load_prepared(image) if image else None
            screens = {"card": Card(product, image, credits_debited=1.3),
                       "idle": Idle("Kosher Corner Market"), "not_found": NotFound("0123")}
            kw = {"status": SAMPLE_STATUS, "recent": SAMPLE_RECENT} if mode == "staff" else {}
            for name, state in screens.items():
                images = {"image": surf} if name == "card" and surf is not None else {}
                t0 = time.perf_counter()
                lay = layout(state, d.size, mode, d.measure, **kw)  # type: ignore[arg-type]
                d.painter.paint(d.canvas, lay, images)
                cold = (time.perf_counter() - t0) * 1000
                lt, pt = [], []
                for _ in range(ROUNDS):
                    t0 = time.perf_counter()
                    lay = layout(state, d.size, mode, d.measure, **kw)  # type: ignore[arg-type]
                    t1 = time.perf_counter()
                    d.painter.paint(d.canvas, lay, images)
                    t2 = time.perf_counter()
                    lt.append((t1 - t0) * 1000)
                    pt.append((t2 - t1) * 1000)
                lp, pp = percentiles(lt), percentiles(pt)
                key = f"{name}/{mode}/{size[0]}x{size[1]}"
                figures[key] = {"layout_ms": lp, "paint_ms": pp, "cold_ms": cold}
                rows.append((name, f"{size[0]}x{size[1]}", mode, f"{lp['p50']:.2f}",
                             f"{lp['p99']:.2f}", f"{pp['p50']:.2f}", f"{pp['p99']:.2f}",
                             f"{cold:.1f}"))
            d.close()
    print("times in ms (layout + paint = a scan's cost on screen; cold = first paint)")
    print(table(rows))
    figures["rotation"] = rotation_cost(product, raw)
    figures["idle_cpu_percent"] = idle_cpu()
    print(f"\nidle CPU over {IDLE_SECONDS:.0f} s of the attract loop: "
          f"{figures['idle_cpu_percent']:.3f}% of a core")
    emit(args, figures)


def rotation_cost(product: Product, raw: bytes | None) -> dict[str, object]:
    """Presenting a 1920x1080 frame turned by each rotation, whole and the arrow's rects."""
    rows = [("rotation", "layout", "present p50", "p95", "p99", "arrow p50", "p95", "p99")]
    out: dict[str, object] = {}
    for rotation in (0, 90, 180, 270):
        d = Display(DisplayConfig(fullscreen=False, size=[1920, 1080], rotation=rotation))
        image = d.prepare_image(raw) if raw else None
        d.show(Card(product, image, credits_debited=1.3))
        full = _timed(d._presenter.present, d.canvas)
        d.show(d.idle)
        arrows = [a.box.as_tuple() for a in d._pulsing]
        part = _timed(d._presenter.present, d.canvas, arrows)
        out[str(rotation)] = {"present_ms": full, "arrow_ms": part}
        rows.append((str(rotation), f"{d.size[0]}x{d.size[1]}",
                     *(f"{full[k]:.2f}" for k in ("p50", "p95", "p99")),
                     *(f"{part[k]:.3f}" for k in ("p50", "p95", "p99"))))
        d.close()
    print(f"\npresenting on a 1920x1080 panel, ms ({ROUNDS} rounds; whole frame = every new "
          "screen, arrow = each idle animation frame)")
    print(table(rows))
    return out


def _timed(work: Callable[..., object], *args: object) -> dict[str, float]:
    samples = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        work(*args)
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def idle_cpu() -> float:
    d = Display(DisplayConfig(fullscreen=False, size=[800, 480]))
    work: queue.Queue[object] = queue.Queue()
    deadline = d.tick()
    wall0, cpu0 = time.monotonic(), time.process_time()
    end = wall0 + IDLE_SECONDS
    while (now := time.monotonic()) < end:
        timeout = min(end, deadline if deadline is not None else end) - now
        try:
            d.show(work.get(timeout=max(0.0, timeout)))  # type: ignore[arg-type]
        except queue.Empty:
            deadline = d.tick()
    cpu = time.process_time() - cpu0
    wall = time.monotonic() - wall0
    d.close()
    return 100 * cpu / wall


if __name__ == "__main__":
    main()
