"""`kiosk scanners` as a process: it answers on any machine, scanner or not."""

from __future__ import annotations

import json

from tests.cli.test_check_config import run_kiosk
from tests.helpers import EXAMPLE_CONFIG


def test_kiosk_scanners_lists_and_explains() -> None:
    proc = run_kiosk("scanners", "--config", str(EXAMPLE_CONFIG))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('scanner.kind = "hid", scanner.device = ')
    assert "Input devices" in proc.stdout and "Serial ports" in proc.stdout


def test_kiosk_scanners_json_is_one_list() -> None:
    proc = run_kiosk("scanners", "--json", "--config", str(EXAMPLE_CONFIG))
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert isinstance(found, list)
    for item in found:
        assert set(item) == {"kind", "path", "label", "looks_like_scanner", "used", "why"}
