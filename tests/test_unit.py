"""The systemd unit, read by systemd's own tools: it parses, and it stays hardened."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "kiosk.service"
MAX_EXPOSURE = 1.5  # what the daemon issue allows

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is not installed (scripts/setup adds it)")


def _analyze(*args: str) -> str:
    res = subprocess.run(["systemd-analyze", *args], capture_output=True, text=True,
                         timeout=120, check=False)
    return res.stdout + res.stderr


def test_systemd_parses_every_line_of_the_unit() -> None:
    out = _analyze("verify", "--man=no", str(UNIT))
    # The one complaint expected off a Pi: the venv it starts is not installed here.
    problems = [line for line in out.splitlines()
                if line.strip() and "/opt/kiosk/venv/bin/kiosk is not executable" not in line]
    assert problems == []


def test_exposure_level_is_at_most_1_5() -> None:
    out = _analyze("security", "--offline=true", str(UNIT))
    found = re.search(r"Overall exposure level for kiosk\.service: (\d+\.\d)", out)
    assert found is not None, out[-500:]
    assert float(found.group(1)) <= MAX_EXPOSURE
