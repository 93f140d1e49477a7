"""The kiosk's clock against the API's: the skew from every answer's `Date`, one journal
line when it is over five minutes, the staff bar's hint and the metric. (A certificate
"not yet valid" over the sandbox's real TLS: `test_transport`.)"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.api import ApiClient, RefreshTokenFile, Secret, TokenAuth, make_http_client
from kiosk.api.spending import SpendGuard
from kiosk.config import ApiConfig
from kiosk.daemon.health import Health, clock_hint
from kiosk.metrics import Gauges, Metrics
from kiosk.sandbox import DEFAULT_API_KEY, DEFAULT_CLIENT_ID, Sandbox
from kiosk.store import Store
from tests.helpers import FakeClock, sandbox_api, sandbox_http, with_photo

YEAR = 365 * 86400.0


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[Callable[..., ApiClient]]:
    """An ApiClient on `sandbox` whose wall clock is `wall`; closed after the test."""
    opened: list[httpx.Client] = []

    def make(sandbox: Sandbox, wall: Callable[[], float] | None = None) -> ApiClient:
        cfg = ApiConfig(base_url=sandbox.base_url, ca_file=sandbox.ca_file)
        http = make_http_client(cfg)
        opened.append(http)
        auth = TokenAuth(cfg.base_url, DEFAULT_CLIENT_ID, lambda: Secret(DEFAULT_API_KEY),
                         RefreshTokenFile(tmp_path))
        extra = {} if wall is None else {"wall": wall}
        return ApiClient(http, cfg.base_url, auth, deadline_s=5.0, **extra)

    yield make
    for http in opened:
        http.close()


def clock_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "the kiosk's clock" in r.getMessage()]


def test_the_skew_is_read_from_every_answer_and_told_once(
        sandbox: Sandbox, make_api: Callable[..., ApiClient],
        caplog: pytest.LogCaptureFixture) -> None:
    offset = [-(2 * YEAR + 3 * 86400)]
    api = make_api(sandbox, wall=lambda: time.time() + offset[0])
    with caplog.at_level(logging.INFO, logger="kiosk"):
        api.balance()
        api.balance()
        api.refresh_pricing()
    assert api.clock_skew is not None
    assert api.clock_skew == pytest.approx(offset[0], abs=5)
    lines = clock_lines(caplog)
    assert len(lines) == 1  # one line, not one per answer
    assert "2 years 3 days behind the API's" in lines[0]
    assert "install-pi --ntp-server HOST" in lines[0] and "NTP" in lines[0]

    caplog.clear()
    offset[0] = 0.0  # NTP put it right
    with caplog.at_level(logging.INFO, logger="kiosk"):
        api.balance()
        api.balance()
    assert api.clock_skew == pytest.approx(0.0, abs=5)
    assert [("again" in line) for line in clock_lines(caplog)] == [True]

    caplog.clear()
    offset[0] = 400.0  # over again, ahead this time: told again, once
    with caplog.at_level(logging.INFO, logger="kiosk"):
        api.balance()
        api.balance()
    lines = clock_lines(caplog)
    assert len(lines) == 1 and "6 minutes" in lines[0] and "ahead of the API's" in lines[0]


def test_a_skew_under_five_minutes_is_kept_and_not_told(
        sandbox: Sandbox, make_api: Callable[..., ApiClient],
        caplog: pytest.LogCaptureFixture) -> None:
    api = make_api(sandbox, wall=lambda: time.time() - 200)
    with caplog.at_level(logging.INFO, logger="kiosk"):
        api.balance()
    assert api.clock_skew == pytest.approx(-200, abs=5)
    assert clock_lines(caplog) == []


def test_the_skew_reaches_the_staff_bar_and_the_metrics(
        sandbox: Sandbox, make_api: Callable[..., ApiClient], tmp_path: Path) -> None:
    api = make_api(sandbox, wall=lambda: time.time() - (2 * YEAR + 3 * 86400))
    api.balance()
    store = Store.open(tmp_path / "state", tmp_path / "cache", clock=FakeClock())
    try:
        health = Health()
        health.refresh(api, store.queue)
    finally:
        store.close()
    bar = health.status_info().last_error
    assert bar is not None and bar.startswith("clock 2 years 3 days behind")
    assert "install-pi --ntp-server" in bar
    metrics = Metrics(started_at=0.0)
    metrics.update(Gauges(clock_skew_s=health.clock_skew))
    line = next(x for x in metrics.render().splitlines()
                if x.startswith("kiosk_clock_skew_seconds "))
    assert float(line.split()[1]) == pytest.approx(-(2 * YEAR + 3 * 86400), abs=5)


@pytest.mark.parametrize(("skew", "hint"), [
    (None, None), (0.0, None), (-300.0, None), (299.0, None),
    (-301.0, "clock 5 minutes 1 second behind: set up NTP (install-pi --ntp-server)"),
    (86400.0 * 400, "clock 1 year 35 days ahead: set up NTP (install-pi --ntp-server)"),
])
def test_the_staff_bar_hint_appears_over_five_minutes(skew: float | None,
                                                      hint: str | None) -> None:
    assert clock_hint(skew) == hint


def test_a_signed_url_is_judged_on_the_clock_its_answer_was_recorded_by(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """The store's clock a year behind the wall (a step not taken up yet): a fresh
    signed URL is used, not replaced through the paid redirect."""
    wall = FakeClock(time.time() - YEAR)
    http = sandbox_http(sandbox)
    try:
        api = sandbox_api(sandbox, http, tmp_path, spend=SpendGuard(0, 0, clock=wall))
        barcode = with_photo(sandbox)[0]
        paid = api.buy(barcode)
        assert paid.front_url and paid.url_expires_at == pytest.approx(wall.now + 840)
        image, _, extra = api.photo(barcode, paid.front_url, paid.url_expires_at)
    finally:
        http.close()
    assert image is not None and extra == 0.0
    assert not any(e.path.endswith(f"/products/{barcode}/image") for e in sandbox.ledger)
