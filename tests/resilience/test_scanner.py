"""The scanner side: a reader unplugged and plugged back in under the same path, and a
reader that sends noise. Neither may crash the daemon or cost an API call."""

from __future__ import annotations

import os
import random
from pathlib import Path

from kiosk.sandbox import Sandbox
from tests.resilience.util import Figures, Fleet, product_requests, products, stop, wait_for
from tests.support.harness import Kiosk, PtyScanner

NOISE_LINES = 2000


def connected_count(k: Kiosk) -> int:
    """The reader's "scanner … connected: …" lines, one per (re)connection."""
    return sum(1 for e in k.journal() if e.get("MESSAGE", "").startswith("scanner serial:")
               and " connected: " in e["MESSAGE"])


def test_unplugged_and_replugged_under_the_same_path(
        tmp_path: Path, sandbox: Sandbox, figures: Figures, fleet: Fleet) -> None:
    case = figures.case("scanner unplugged and replugged")
    before, after = products(sandbox, 2)
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    scanner.send(before)
    k.wait_scan(before, "shown")
    scanner.unplug()
    k.wait_event(lambda e: "scanner serial:" in e.get("MESSAGE", "")
                 and "not available" in e["MESSAGE"], 20, "scanner gone")
    scanner = PtyScanner(k.scanner_link)  # a new tty, reached through the same link
    try:
        wait_for(lambda: connected_count(k) >= 2, 20, "the scanner to reconnect")
        scanner.send(after)
        case.scans += 2
        k.wait_scan(after, "shown")
        assert k.alive()
        assert stop(k) == 0
    finally:
        scanner.unplug()


def noise(rng: random.Random) -> bytes:
    """A line of random bytes with at most 6 digits, so no valid GTIN can hide in it."""
    alphabet = [b for b in range(256) if b not in b"0123456789\r\n"]
    body = bytearray(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
    for _ in range(rng.randint(0, 6)):
        body.insert(rng.randint(0, len(body)), rng.choice(b"0123456789"))
    return bytes(body)


def test_thousands_of_lines_of_random_bytes(
        tmp_path: Path, sandbox: Sandbox, figures: Figures, fleet: Fleet) -> None:
    case = figures.case(f"scanner noise: {NOISE_LINES} random lines")
    (real,) = products(sandbox, 1)
    rng = random.Random(7)
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    try:
        asked = product_requests(sandbox)
        for _ in range(NOISE_LINES):
            os.write(scanner.master, noise(rng) + b"\r\n")
        scanner.send(real)  # after the noise: the reader still reads
        case.scans += NOISE_LINES + 1
        k.wait_scan(real, "shown", timeout=60)
        assert k.alive()
        assert product_requests(sandbox) == asked + 1
        outcomes = {e["OUTCOME"] for e in k.scans() if e.get("BARCODE") != real}
        assert outcomes <= {"invalid", "duplicate"}, outcomes
        assert stop(k) == 0
    finally:
        scanner.unplug()
