"""Hostile answers against the real daemon, over real TCP: bombs, endless and dripping
bodies, 3 MB and deeply nested JSON, wrong types, hostile text, `Retry-After: 1e9`, an
error code that tries to add lines to STATUS=.

For each: the daemon stays up, its peak RSS (VmHWM) stays under 150 MB, the scan gets
exactly one journal entry, its lookup is charged once (the sandbox's ledger) and is not
queued to be bought again, and the next ordinary scan is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from tests.resilience.util import (
    Figures,
    Fleet,
    lookups,
    products,
    scan_entries,
    settle,
    snapshot,
    stop,
)
from tests.support.harness import Kiosk

MAX_PEAK_RSS_MB = 150.0
EVIL_CODE = "server_error\nSTATUS=all good\x1b[2J\x1b]0;pwned\x07"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


@dataclass(frozen=True)
class Hostile:
    name: str
    inject: Callable[[Sandbox, str], None]
    outcome: str  # what the scan comes to: its OUTCOME, or "resolved" (queued, then looked up)
    reason: str | None = None
    slow: bool = False
    meanwhile: Callable[[Kiosk, Sandbox, str], None] | None = None  # before it settles


def body(kind: str, where: str, **params: object) -> Callable[[Sandbox, str], None]:
    def inject(sb: Sandbox, code: str) -> None:
        path = "/image" if where == "image" else f"/products/{code}"
        sb.faults.add("hostile", count=1, path=path, body=kind, **params)
    return inject


def retry_after(sb: Sandbox, code: str) -> None:
    sb.faults.add("rate_limit", count=1, path=f"/products/{code}", retry_after=1e9)


def injected_code(sb: Sandbox, code: str) -> None:
    sb.faults.add("status", count=10_000, path=f"/products/{code}", status=503, code=EVIL_CODE)


def until_status_shows_it(k: Kiosk, sb: Sandbox, code: str) -> None:
    """The error stays until STATUS= has carried it (escaped); then the API recovers."""
    k.wait_scan(code, "queued")
    k.notify.wait_until(lambda line: line.startswith("STATUS=") and "\\x1b[2J" in line, 30)
    sb.faults.clear()


CASES = [
    Hostile("png_bomb", body("png_bomb", "image"), "shown"),
    Hostile("jpeg_bomb", body("jpeg_bomb", "image"), "shown"),
    Hostile("oversized_valid_image", body("huge_image", "image"), "shown"),
    Hostile("endless_image", body("endless", "image"), "shown"),
    Hostile("gzip_bomb_image", body("gzip_bomb", "image"), "shown"),
    Hostile("endless_json", body("endless", "json"), "error", "answer_too_large"),
    Hostile("gzip_bomb_json", body("gzip_bomb", "json"), "error", "answer_too_large"),
    Hostile("dripping_json", body("drip", "json", seconds=1.0), "error", "answer_too_slow",
            slow=True),
    Hostile("json_3mb", body("huge_json", "json"), "error", "answer_too_large"),
    Hostile("deep_json", body("deep_json", "json"), "error", "answer_too_deep"),
    Hostile("wrong_types", body("wrong_types", "json"), "shown"),
    Hostile("hostile_text", body("hostile_text", "json"), "shown"),
    Hostile("retry_after_1e9", retry_after, "resolved", slow=True),
    Hostile("error_code_injection", injected_code, "resolved", slow=True,
            meanwhile=until_status_shows_it),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=[pytest.mark.slow]
                                               if c.slow else []) for c in CASES])
def test_hostile_answer(case: Hostile, tmp_path: Path, sandbox: Sandbox, fleet: Fleet,
                        figures: Figures) -> None:
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    fig = figures.case(f"hostile: {case.name}")
    try:
        code, after = products(sandbox, 2)
        case.inject(sandbox, code)
        scanner.send(code)
        fig.scans += 1
        if case.meanwhile is not None:
            case.meanwhile(k, sandbox, code)
        assert settle(k, code, 120 if case.slow else 30) == case.outcome
        (entry,) = scan_entries(k, code)  # one clear journal entry
        if case.reason:
            assert entry["REASON"] == case.reason
        scanner.send(after)  # and the next ordinary scan is shown
        fig.scans += 1
        assert settle(k, after, 120 if case.slow else 30) in ("shown", "resolved")
        assert k.alive()
        fig.peak_rss_mb = peak_rss_mb(k.pid)
        assert fig.peak_rss_mb < MAX_PEAK_RSS_MB
        assert lookups(sandbox, code) == 1 and lookups(sandbox, after) == 1
        fig.double_charges = lookups(sandbox, code) - 1
        check_extra(case, k, code)
        assert stop(k) == 0
    finally:
        scanner.unplug()
    assert not snapshot(tmp_path, [code]).queued  # nothing left to be bought again


def check_extra(case: Hostile, k: Kiosk, code: str) -> None:
    messages = [e.get("MESSAGE", "") for e in k.journal()]
    if case.name.endswith(("_bomb", "_image")):
        refused = [m for m in messages if f"front image of {code} refused" in m
                   or f"front image of {code} not downloaded" in m]
        assert len(refused) == 1, messages[-10:]  # logged once: card without photo
    if case.name == "error_code_injection":
        lines = k.notify.lines()
        assert all(line.split("=", 1)[0] in ("READY", "STATUS", "WATCHDOG", "STOPPING",
                                             "RELOADING") for line in lines), lines
        assert not any("\x1b" in line or "\x07" in line for line in lines)
