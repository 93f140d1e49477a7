"""Coverage-guided fuzzing of the image header check (atheris, i.e. libFuzzer).

The property: whatever bytes come in, `image_problem` and `image_size` return instead
of raising, and bytes they let through decode to exactly the size their header claims,
within the bounds. That last part is what keeps a decompression bomb from ever reaching
the decoder: the check reads the header, the decoder allocates for the frame.

    python tests/hostile/fuzz_image.py -runs=20000 CORPUS_DIR      # what CI runs
    python tests/hostile/fuzz_image.py -max_total_time=3600 CORPUS  # a longer run

Seeds (`write_seeds`) are tiny real JPEGs and PNGs and the sandbox's bombs.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pygame
import pygame.image


def write_seeds(directory: Path) -> None:
    from kiosk.sandbox import hostile

    directory.mkdir(parents=True, exist_ok=True)
    for name, fmt, size in (("tiny.jpg", "x.jpg", (8, 8)), ("tiny.png", "x.png", (9, 7)),
                            ("wide.jpg", "x.jpg", (64, 2))):
        buf = io.BytesIO()
        pygame.image.save(pygame.Surface(size), buf, fmt)
        (directory / name).write_bytes(buf.getvalue())
    (directory / "png_bomb.png").write_bytes(hostile.png_bomb())
    (directory / "jpeg_bomb.jpg").write_bytes(hostile.jpeg_bomb())
    (directory / "big.png").write_bytes(hostile.huge_png(300, 200))


def check(data: bytes) -> None:
    from kiosk import imagecheck

    problem = imagecheck.image_problem(data)
    size = imagecheck.image_size(data)
    if problem is not None:
        return
    assert size is not None
    width, height = size
    assert 0 < width <= imagecheck.MAX_SIDE and 0 < height <= imagecheck.MAX_SIDE
    assert width * height <= imagecheck.MAX_PIXELS
    hint = "x.png" if data.startswith(b"\x89PNG") else "x.jpg"
    try:
        surface = pygame.image.load(io.BytesIO(data), hint)
    except (pygame.error, ValueError, OSError):
        return  # refused by the decoder: fine, it allocated for a checked size at most
    assert surface.get_size() == size, (surface.get_size(), size)


def main() -> None:
    import atheris

    with atheris.instrument_imports():
        import kiosk.imagecheck  # noqa: F401

    atheris.Setup(sys.argv, lambda data: check(bytes(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
