"""The API misbehaving while a shopper scans: rate limits, an empty wallet, server errors,
resets, bodies that are not JSON, a slow answer, a cut image, a URL bound to another IP.

Each case checks the journal (the scan is shown, or queued and then resolved), the
ledger (one charged lookup) and that the daemon is still running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    stop,
    wait_for,
)
from tests.support.harness import Kiosk, PtyScanner

Inject = Callable[[Sandbox, str], None]
Running = tuple[Kiosk, PtyScanner]


def rate_limit_storm(sb: Sandbox, code: str) -> None:
    sb.faults.add("rate_limit", count=4, path="/products", retry_after=1)


def server_errors(sb: Sandbox, code: str) -> None:
    sb.faults.add("status", count=3, path=f"/products/{code}", status=503)


def html_5xx(sb: Sandbox, code: str) -> None:
    sb.faults.add("status", count=1, path=f"/products/{code}", status=502, json=0)


def resets(sb: Sandbox, code: str) -> None:
    sb.faults.add("drop", count=2, path=f"/products/{code}")


def not_json(sb: Sandbox, code: str) -> None:
    sb.faults.add("garbage", count=1, path=f"/products/{code}")


def html_200(sb: Sandbox, code: str) -> None:
    sb.faults.add("garbage", count=1, path=f"/products/{code}",
                  body="<html>captive portal</html>", content_type="text/html")


def truncated_image(sb: Sandbox, code: str) -> None:
    sb.faults.add("truncate_image", count=1, fraction=0.5)


def url_bound_to_another_ip(sb: Sandbox, code: str) -> None:
    sb.faults.add("bind_ip", count=1, ip="10.9.9.9")


def expired_url(sb: Sandbox, code: str) -> None:
    sb.faults.add("expire_url", count=1)


FAULTS: list[Inject] = [rate_limit_storm, server_errors, html_5xx, resets, not_json, html_200,
                        truncated_image, url_bound_to_another_ip, expired_url]


@pytest.fixture
def running(tmp_path: Path, sandbox: Sandbox, fleet: Fleet) -> Iterator[Running]:
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    yield k, scanner
    scanner.unplug()


@pytest.mark.parametrize("inject", FAULTS, ids=[f.__name__ for f in FAULTS])
def test_fault_then_the_card_or_a_resolved_queue_entry(
        running: Running, sandbox: Sandbox, figures: Figures, inject: Inject) -> None:
    k, scanner = running
    case = figures.case(f"api: {inject.__name__}")
    code, after = products(sandbox, 2)
    inject(sandbox, code)
    scanner.send(code)
    case.scans += 1
    assert settle(k, code, 30) in ("shown", "resolved")
    scanner.send(after)  # and the next scan is normal again
    case.scans += 1
    assert settle(k, after, 30) in ("shown", "resolved")
    assert k.alive()
    assert lookups(sandbox, code) == 1 and lookups(sandbox, after) == 1
    assert len(scan_entries(k, code)) == 1
    if inject in (url_bound_to_another_ip, expired_url):
        assert len(sandbox.image_downloads(code)) == 1  # the replacement URL worked
    assert stop(k) == 0


def test_402_then_a_top_up(running: Running, sandbox: Sandbox, figures: Figures) -> None:
    k, scanner = running
    case = figures.case("api: 402 insufficient credits, then a top-up")
    broke, paid = products(sandbox, 2)
    sandbox.set_balance(0)
    scanner.send(broke)
    queued = k.wait_scan(broke, "queued")
    assert queued["REASON"] != "network"
    sandbox.top_up(100)
    scanner.send(paid)
    case.scans += 2
    k.wait_scan(paid, "shown")
    k.wait_event(lambda e: e.get("KIOSK_EVENT") == "resolved" and e.get("BARCODE") == broke,
                 30, f"{broke} resolved")
    assert k.alive()
    assert lookups(sandbox, broke) == 1 and lookups(sandbox, paid) == 1
    assert stop(k) == 0


def test_slow_api_a_cached_scan_does_not_wait_for_it(
        running: Running, sandbox: Sandbox, figures: Figures) -> None:
    """A cached scan made while a slow lookup is in flight is answered from the cache at
    once (the fast lane), the main loop keeps pinging the watchdog, and the slow card,
    when it comes, does not replace the newer one on screen."""
    k, scanner = running
    case = figures.case("api: slow answer (2.5 s) with a cached scan behind it")
    cached, slow = products(sandbox, 2)
    scanner.send(cached)
    k.wait_scan(cached, "shown")
    sandbox.faults.add("latency", count=1, path=f"/products/{slow}", seconds=2.5)
    scanner.send(slow)
    wait_for(lambda: not sandbox.faults.pending(), 10, "the slow request to arrive")
    pings_before = k.notify.lines().count("WATCHDOG=1")
    scanner.send(cached)
    case.scans += 3
    again = k.wait_scan(cached, "cached")
    assert again["CREDITS"] == "0"
    assert not any(e["BARCODE"] == slow for e in k.scans()), "the cached scan waited"
    k.wait_scan(slow, "shown")
    # Pings sent while the lookup was in flight (WATCHDOG_USEC=1 s: one every 0.5 s).
    assert k.notify.lines().count("WATCHDOG=1") >= pings_before + 2
    order = [(e["BARCODE"], e["OUTCOME"]) for e in k.scans()]
    assert order[-2:] == [(cached, "cached"), (slow, "shown")]
    k.wait_event(lambda e: e.get("MESSAGE", "").startswith(f"card for {slow} not drawn"),
                 what="the older card kept off the screen")
    assert lookups(sandbox, cached) == 1
    assert stop(k) == 0
