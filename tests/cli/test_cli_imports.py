"""What each command loads: `kiosk status`, `kiosk check-config` and `kiosk config set` run
on an admin's SSH session, also where the daemon cannot, so they load neither httpx nor
pygame (`check-config --key` only the API package, whose code reads the key); the
parser loads no command's implementation; the store knows nothing of the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("httpx", "pygame", "evdev", "kiosk.api", "kiosk.sandbox", "kiosk.daemon",
         "kiosk.display")

_PROBE = """
import contextlib, io, json, sys
from kiosk.cli import main
argv = json.loads(sys.argv[1])
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(argv) if argv else 0
heavy = json.loads(sys.argv[2])
print(json.dumps({"code": code, "loaded": sorted(
    m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))}))
"""


def loaded_by(argv: list[str], heavy: tuple[str, ...] = HEAVY) -> tuple[int, list[str]]:
    """Run `kiosk ARGV` in a fresh interpreter; its exit code and the heavy modules it
    loaded."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv), json.dumps(heavy)],
                          capture_output=True, text=True, check=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = json.loads(proc.stdout)
    return out["code"], out["loaded"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""
[api]
client_id = "rd_client_test"

[storage]
state_dir = "{tmp_path / 'state'}"
cache_dir = "{tmp_path / 'cache'}"
""")
    return path


def test_status_loads_neither_httpx_nor_pygame(config: Path) -> None:
    code, loaded = loaded_by(["status", "--json", "--config", str(config)])
    assert code == 0
    assert loaded == []


def test_check_config_loads_neither_httpx_nor_pygame(config: Path) -> None:
    code, loaded = loaded_by(["check-config", "--config", str(config)])
    assert code == 0
    assert loaded == []


def test_check_config_key_loads_only_the_api_that_reads_the_key(config: Path) -> None:
    """The key is the API client's (kiosk.api reads it), so --key loads that package, and
    the httpx it imports, but still no screen, daemon or sandbox."""
    code, loaded = loaded_by(["check-config", "--config", str(config), "--key"])
    assert code in (0, 78)
    assert "kiosk.api" in loaded
    assert [m for m in loaded if not m.startswith(("kiosk.api", "httpx"))] == []


def test_config_set_loads_neither_httpx_nor_pygame(config: Path) -> None:
    code, loaded = loaded_by(["config", "set", "--config", str(config), "display.rotation", "90"])
    assert code == 0
    assert loaded == []
    assert "rotation = 90" in config.read_text()


def test_a_bad_config_is_reported_without_them_too(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[display]\nmode = 'kiosk'\n")
    assert loaded_by(["status", "--config", str(bad)]) == (78, [])


def test_the_parser_loads_no_command() -> None:
    assert loaded_by([]) == (0, [])


def test_the_probe_sees_what_is_loaded(config: Path) -> None:
    """The probe itself can fail: `kiosk lookup` does load httpx."""
    code, loaded = loaded_by(["lookup", "not-a-code", "--config", str(config)], ("httpx",))
    assert code == 65 and "httpx" in loaded


def test_the_store_imports_nothing_from_the_api() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, kiosk.store; print(sorted(m for m in sys.modules"
         " if m.startswith(('kiosk.api', 'httpx'))))"],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.strip() == "[]"
