"""`kiosk lookup`, `kiosk status` and `kiosk demo` as an admin or a new user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from tests.barcodes import CEREAL, FISH, UNKNOWN
from tests.support.harness import ROOT


@pytest.fixture
def config(tmp_path: Path, sandbox: Sandbox) -> Path:
    key = tmp_path / "api_key"
    key.write_text(sandbox.api_key)
    key.chmod(0o600)
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""
[api]
base_url = "{sandbox.base_url}"
ca_file = "{sandbox.ca_file}"
client_id = "{sandbox.client_id}"
api_key_file = "{key}"
[storage]
state_dir = "{tmp_path / 'state'}"
cache_dir = "{tmp_path / 'cache'}"
""")
    return path


def kiosk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT)}
    env.pop("RD_API_KEY", None)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=timeout, check=False)


def test_lookup_costs_once_then_answers_from_the_cache(config: Path, sandbox: Sandbox) -> None:
    first = kiosk("lookup", CEREAL, "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert "Example Cereal" in first.stdout and "cost 1.3 credits" in first.stdout
    second = kiosk("lookup", "0" + CEREAL, "--json", "--config", str(config))  # EAN-13 form
    data = json.loads(second.stdout)
    assert (data["outcome"], data["credits"], data["from_cache"]) == ("cached", 0.0, True)
    assert data["product"]["product_meta"]["product_name"] == "Example Cereal"
    assert sandbox.credits_spent() == pytest.approx(1.3)
    assert sandbox.api_key not in first.stdout + first.stderr + second.stdout + second.stderr


def test_lookup_says_why_not(config: Path, sandbox: Sandbox) -> None:
    invalid = kiosk("lookup", "017000161564", "--config", str(config))
    assert invalid.returncode == 65 and "check digit" in invalid.stdout  # EX_DATAERR
    unknown = kiosk("lookup", UNKNOWN, "--config", str(config))
    assert unknown.returncode == 0 and "not in the catalog" in unknown.stdout
    sandbox.set_online(False)
    offline = kiosk("lookup", FISH, "--config", str(config))
    assert offline.returncode == 1 and "could not be looked up now (network)" in offline.stdout
    assert sandbox.credits_spent() == 0


def test_status_without_a_running_daemon(config: Path) -> None:
    kiosk("lookup", CEREAL, "--config", str(config))
    proc = kiosk("status", "--json", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["daemon"] == "not running"
    assert (data["queue_depth"], data["cache_products"]) == (0, 1)
    assert data["cache_bytes"] > 0


def test_headless_demo_writes_its_screens(tmp_path: Path) -> None:
    out = tmp_path / "screens"
    proc = kiosk("demo", "--headless", "--out", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) >= 12, pngs
    assert any("offline-saved" in n for n in pngs) and any("not-found" in n for n in pngs)
    assert "OUTCOME=queued" in proc.stderr and "KIOSK_EVENT=resolved" in proc.stderr
    assert all((out / n).stat().st_size > 1000 for n in pngs)
