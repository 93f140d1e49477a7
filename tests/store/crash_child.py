"""Child process for test_crash: enqueue and drain until SIGKILLed.

Writes "Q <barcode>" to stdout after each enqueue has returned (committed) and
"R <barcode>" after each resolve_queued; the parent kills it at a random moment.
Kept tiny: it is started 200 times.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from kiosk.product import Product
from kiosk.store import Store


def main() -> None:
    state, cache, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    store = Store.open(state, cache, max_bytes=10**10, miss_ttl_s=10**9)
    out = sys.stdout.fileno()
    os.write(out, b"ready\n")
    n = 0
    mine: list[str] = []
    while True:
        n += 1
        roll = rng.random()
        if roll < 0.55:
            barcode = f"{seed:06d}{n:06d}"
            store.queue.enqueue(barcode, "crash", "network")
            mine.append(barcode)
            os.write(out, f"Q {barcode}\n".encode())
        elif roll < 0.65 and mine:
            barcode = rng.choice(mine)  # the same product scanned again
            store.queue.enqueue(barcode, "crash2", "network")
            os.write(out, f"Q {barcode}\n".encode())
        else:
            item = store.queue.peek()
            if item is None:
                continue
            if rng.random() < 0.8:
                image = rng.randbytes(rng.randint(1000, 30000))
                store.resolve_queued(item.barcode, Product(item.barcode), image, 1.3)
            else:
                store.resolve_queued(item.barcode, None)
            os.write(out, f"R {item.barcode}\n".encode())


if __name__ == "__main__":
    main()
