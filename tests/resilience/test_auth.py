"""Credentials going bad under a running daemon: the next scan still draws a card, and
what was queued meanwhile is looked up once the key works again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from tests.resilience.util import Figures, Fleet, lookups, products, settle, stop

NEW_KEY = "sk_test_rotated_key"


def expire_access(sb: Sandbox) -> None:
    sb.expire_access_tokens()


def revoke_refresh(sb: Sandbox) -> None:
    sb.revoke_refresh_tokens()
    sb.expire_access_tokens()


def restart_sandbox(sb: Sandbox) -> None:
    sb.restart()  # every token and signed URL forgotten


@pytest.mark.parametrize("fault", [expire_access, revoke_refresh, restart_sandbox],
                         ids=["access-token-expired", "refresh-token-revoked",
                              "sandbox-restarted"])
def test_tokens_invalidated_mid_session(
        tmp_path: Path, sandbox: Sandbox, figures: Figures, fleet: Fleet,
        fault: Callable[[Sandbox], None]) -> None:
    case = figures.case(f"auth: {fault.__name__}")
    before, after = products(sandbox, 2)
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    try:
        scanner.send(before)
        k.wait_scan(before, "shown")
        fault(sandbox)
        scanner.send(after)
        case.scans += 2
        assert settle(k, after) == "shown"
        assert k.alive()
        assert stop(k) == 0
    finally:
        scanner.unplug()
    assert lookups(sandbox, before) == 1 and lookups(sandbox, after) == 1


def test_api_key_rotated_then_key_file_replaced(
        tmp_path: Path, sandbox: Sandbox, figures: Figures, fleet: Fleet) -> None:
    case = figures.case("auth: API key rotated, key file replaced")
    first, refused, later = products(sandbox, 3)
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    try:
        scanner.send(first)
        k.wait_scan(first, "shown")
        sandbox.rotate_key(NEW_KEY)
        scanner.send(refused)  # the old key is dead: saved for later, not lost
        entry = k.wait_event(lambda e: e.get("KIOSK_EVENT") == "scan"
                             and e.get("BARCODE") == refused, 20, f"scan {refused}")
        assert entry["OUTCOME"] == "queued", entry
        k.key_file.write_text(NEW_KEY)  # what the admin does after rotating
        scanner.send(later)
        case.scans += 3
        assert settle(k, later) in ("shown", "resolved")
        k.wait_event(lambda e: e.get("KIOSK_EVENT") == "resolved"
                     and e.get("BARCODE") == refused, 30, f"{refused} resolved")
        assert k.alive()
        assert stop(k) == 0
    finally:
        scanner.unplug()
    assert [lookups(sandbox, b) for b in (first, refused, later)] == [1, 1, 1]
    text = k.stderr() + "\n".join(str(e) for e in k.journal())
    assert NEW_KEY not in text and sandbox.api_key not in text
