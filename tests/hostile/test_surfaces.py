"""Admin surfaces show API text escaped: systemd's STATUS=, the status file, `kiosk
status`, `kiosk lookup`. An escape sequence cannot repaint a terminal and a newline
cannot add a line to what systemd or a script reads."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.api.responses import safe_token
from kiosk.notify import Notifier
from kiosk.present import Health, status_line
from kiosk.status import StatusFile, render_text

EVIL = "server_error\nSTATUS=all good\x1b[2J\x1b]0;pwned\x07\u202e"


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def clean(text: str) -> bool:
    return not any(ch in text for ch in "\n\r\x1b\x07\u202e")


def test_status_is_one_line_whatever_the_api_said(notify_socket: socket.socket) -> None:
    health = Health(online=True, last_error=f"server error (503 {EVIL})")
    Notifier().status(status_line(health))
    message = notify_socket.recv(4096).decode()
    assert message.startswith("STATUS=online") and message.count("STATUS=") == 2
    assert message.count("\n") == 0 and clean(message)  # the second is escaped text


def test_the_status_file_and_kiosk_status_escape_api_text(tmp_path: Path) -> None:
    status = StatusFile(tmp_path)
    status.write(Health(online=False, last_error=EVIL), "staff")
    stored = json.loads(status.path.read_text())
    assert clean(stored["last_error"])
    shown = render_text({"last_error": EVIL, "queue_set_aside": {"017000161563": EVIL}})
    assert shown.count("\n") == 1 and clean(shown.replace("\n", "", 1))


def test_error_codes_and_request_ids_are_tokens_or_escaped() -> None:
    assert safe_token("barcode_not_found") == "barcode_not_found"
    assert safe_token("req_01H8Y3G7Z8mnpqrsw") == "req_01H8Y3G7Z8mnpqrsw"
    escaped = safe_token(EVIL)
    assert escaped is not None and clean(escaped) and len(escaped) <= 80
    assert safe_token(["not", "a", "string"]) is None
