"""Logging to a real journald: fields admins filter on, and plain stderr without it."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.daemon.systemd import event, journal_answers, setup_logging
from tests.support import journald

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, sys
from kiosk.daemon.systemd import setup_logging, event
print(setup_logging(journal={journal}), flush=True)
log = logging.getLogger("kiosk.app")
event(log, logging.INFO, "scan 017000161563: shown", kiosk_event="scan",
      barcode="017000161563", outcome="shown", latency_ms=12.25, credits=1.3,
      source="serial:/dev/ttyUSB0", request_id=None, test_tag=sys.argv[1])
log.warning("network lost", extra={{"TEST_TAG": sys.argv[1]}})
"""


def run(journal: bool, tag: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(journal=journal), tag], capture_output=True,
        text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
        check=True,
    )


def test_events_reach_the_journal_with_their_fields() -> None:
    reason = journald.ensure_journald()
    if reason:
        pytest.skip(reason)
    tag = journald.new_tag()
    proc = run(True, tag)
    assert proc.stdout.strip() == "journal"
    entries = journald.read({"TEST_TAG": tag}, expect=2)
    scan = next(e for e in entries if e.get("KIOSK_EVENT") == "scan")
    assert scan["SYSLOG_IDENTIFIER"] == "kiosk"
    assert scan["MESSAGE"] == "scan 017000161563: shown"
    assert (scan["BARCODE"], scan["OUTCOME"], scan["LATENCY_MS"], scan["CREDITS"]) == (
        "017000161563", "shown", "12.25", "1.3")
    assert "REQUEST_ID" not in scan  # None values are left out
    assert scan["PRIORITY"] == "6"
    warning = next(e for e in entries if e["MESSAGE"] == "network lost")
    assert warning["PRIORITY"] == "4"


def test_plain_stderr_lines_without_a_journal() -> None:
    proc = run(False, "t")
    assert proc.stdout.strip() == "stderr"
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("info: scan 017000161563: shown [")
    assert "OUTCOME=shown" in lines[0] and "BARCODE=017000161563" in lines[0]
    assert lines[1] == "warning: network lost"


def test_a_socket_file_left_by_a_dead_journald_does_not_count(tmp_path: Path) -> None:
    path = str(tmp_path / "socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as live:
        live.bind(path)
        assert journal_answers(path)
    assert os.path.exists(path)  # the file outlives the listener, as journald's does
    assert not journal_answers(path)
    assert not journal_answers(str(tmp_path / "missing"))


def test_records_go_to_stderr_while_journald_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    reason = journald.ensure_journald()
    if reason:
        pytest.skip(f"needs systemd-python's JournalHandler with a journal to pick it: {reason}")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        assert setup_logging(journal=True) == "journal"
        handler = root.handlers[0]

        def refused(*_args: object, **_fields: object) -> None:
            raise ConnectionRefusedError(111, "Connection refused")

        handler.send = refused  # type: ignore[attr-defined]  # journald gone mid-run
        event(logging.getLogger("kiosk.app"), logging.WARNING, "network lost", reason="timeout")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert err == "warning: network lost [REASON=timeout]\n"
