"""The image header check: bombs are refused before anything decodes them.

A property test (hypothesis) over arbitrary and mutated bytes, a short coverage-guided
fuzz run (atheris, in a subprocess: libFuzzer owns the process it runs in), and the
bombs of the sandbox through the display's prepare step.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pygame
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.display.images import prepare_for_box
from kiosk.imagecheck import MAX_PIXELS, MAX_SIDE, image_problem, image_size
from kiosk.sandbox import hostile
from tests.hostile.fuzz_image import check, write_seeds

ROOT = Path(__file__).resolve().parents[2]


def _tiny(fmt: str) -> bytes:
    buf = io.BytesIO()
    pygame.image.save(pygame.Surface((12, 10)), buf, fmt)
    return buf.getvalue()


SEEDS = [_tiny("x.jpg"), _tiny("x.png"), hostile.png_bomb(), hostile.jpeg_bomb()]


@given(st.one_of(st.binary(max_size=300), st.tuples(
    st.sampled_from(SEEDS), st.integers(0, 700), st.binary(min_size=1, max_size=8)).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + len(t[2]):])))
def test_any_bytes_are_checked_without_raising(data: bytes) -> None:
    check(data)


@pytest.mark.parametrize("bomb", ["png_bomb", "jpeg_bomb", "huge_image"])
def test_bombs_are_refused_before_decoding(bomb: str, caplog: pytest.LogCaptureFixture) -> None:
    data = hostile.IMAGE_BODIES[bomb]()
    size = image_size(data)
    assert size is not None and (max(size) > MAX_SIDE or size[0] * size[1] > MAX_PIXELS)
    with caplog.at_level(logging.WARNING):
        assert prepare_for_box(data, (300, 300)) is None
    assert "refused before decoding" in caplog.text


def test_an_image_within_the_bounds_is_prepared() -> None:
    data = hostile.huge_png(2048, 2048)  # exactly MAX_PIXELS
    assert image_problem(data) is None
    ready = prepare_for_box(data, (300, 300))
    assert ready is not None and ready[:4] == b"KIM1"


def test_a_short_coverage_guided_fuzz_run_finds_nothing(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    write_seeds(corpus)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests/hostile/fuzz_image.py"), "-runs=30000", "-seed=7",
         "-max_len=4096", f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done 30000 runs" in proc.stderr
