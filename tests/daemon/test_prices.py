"""The store's price file in the running kiosk, in-process: the real `Daemon` against the
sandbox, a price file in tmp_path polled by its own thread, each scan's journal entry.

Nothing here sleeps: a test waits for the poll's thread to finish a round
(`Prices.polled`), for a scan's screen (`InProcess.scan`) or for the metrics file."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import PricesConfig
from kiosk.daemon._prices import Prices
from kiosk.outcome import Outcome
from kiosk.sandbox import Sandbox
from tests.barcodes import CEREAL, FISH, UNKNOWN
from tests.daemon.inprocess import InProcess, metrics_written
from tests.helpers import wait_for
from tests.prices.price_files import serve_prices

HEADER = "barcode,price,promo_price,promo_from,promo_until,age_limit,recall"
TODAY = date.today()
RUNNING = f"{TODAY - timedelta(days=1)},{TODAY + timedelta(days=1)}"
RECALLED = ("kiosk_recalls_shown_total", frozenset())


def scan_entries(caplog: pytest.LogCaptureFixture) -> dict[str, dict[str, Any]]:
    """Each barcode's last scan journal entry, its fields by their journal names."""
    return {vars(r)["BARCODE"]: vars(r) for r in caplog.records
            if getattr(r, "KIOSK_EVENT", None) == "scan"}


def place(path: Path, text: str) -> None:
    """Write the file elsewhere and move it into place, as the docs tell admins to."""
    new = path.with_name(path.name + ".new")
    new.write_text(text, encoding="utf-8")
    os.replace(new, path)


def prices_of(kiosk: InProcess) -> Prices:
    prices = kiosk.daemon.prices
    assert prices is not None
    return prices


def wait_rounds(prices: Prices, rounds: int, *, more: bool = True) -> None:
    """Until `rounds` more polls ran from now (the last one began after this call), or
    with `more` False until `rounds` polls ran since the start."""
    with prices.polled:
        target = prices.rounds * more + rounds
        assert prices.polled.wait_for(lambda: prices.rounds >= target, 20), prices.rounds


def test_a_scan_is_journalled_with_its_price_promotion_age_limit_and_recall(
        daemon_env: None, tmp_path: Path, sandbox: Sandbox,
        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "prices.csv"
    place(path, f"{HEADER}\n{FISH},2.49,1.99,{RUNNING},18,\n"
                f"{CEREAL},3.10,,,,,\"Recalled: glass, do not eat\"\n")
    metrics = tmp_path / "kiosk.prom"
    kiosk = InProcess(tmp_path, sandbox, metrics, prices_cfg=PricesConfig(path=path))

    def scenario(k: InProcess) -> None:
        wait_rounds(prices_of(k), 1, more=False)
        k.scan_whole(FISH, Outcome.SHOWN)
        k.scan_whole(CEREAL, Outcome.SHOWN)
        k.scan_whole(UNKNOWN, Outcome.NOT_FOUND)
        wait_for(lambda: metrics_written(metrics).get(RECALLED) == 1, what="the recall counted")

    kiosk.run(scenario)
    entries = scan_entries(caplog)
    fish, cereal, unknown = entries[FISH], entries[CEREAL], entries[UNKNOWN]
    assert (fish["PRICE"], fish["PROMO"], fish["AGE_LIMIT"]) == ("2.49", "1.99", "18")
    assert "RECALL" not in fish
    assert (cereal["PRICE"], cereal["RECALL"]) == ("3.10", "Recalled: glass, do not eat")
    assert not {"PROMO", "AGE_LIMIT"} & cereal.keys()
    assert not {"PRICE", "PROMO", "AGE_LIMIT", "RECALL"} & unknown.keys()  # not in the file
    shown = {r.barcode: r for r, _ in kiosk.shown}
    assert shown[FISH].price is not None and shown[FISH].price.age_limit == 18
    assert shown[UNKNOWN].price is None
    assert (tmp_path / "state" / "prices.db").exists()


def test_a_new_file_is_taken_at_the_next_poll_and_a_refused_one_keeps_the_old(
        daemon_env: None, tmp_path: Path, sandbox: Sandbox,
        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "prices.csv"
    place(path, f"barcode,price\n{FISH},1.00\n")
    kiosk = InProcess(tmp_path, sandbox, prices_cfg=PricesConfig(path=path, poll_interval_s=0.05))
    prices_seen: list[str] = []

    def scan_price(k: InProcess, outcome: Outcome) -> None:
        price = k.scan_whole(FISH, outcome).price
        prices_seen.append(str(price.price) if price is not None else "none")

    def scenario(k: InProcess) -> None:
        prices = prices_of(k)
        wait_rounds(prices, 1, more=False)
        scan_price(k, Outcome.SHOWN)
        place(path, f"barcode,price\n{FISH},2.00\n")
        wait_rounds(prices, 2)
        scan_price(k, Outcome.CACHED)
        place(path, f"barcode,price\n{FISH},3.00\n{FISH[:-1]}0,1\n")  # a bad check digit
        wait_rounds(prices, 2)
        scan_price(k, Outcome.CACHED)

    kiosk.run(scenario)
    assert prices_seen == ["1.00", "2.00", "2.00"]
    assert scan_entries(caplog)[FISH]["PRICE"] == "2.00"
    said = [r.getMessage() for r in caplog.records
            if r.name.startswith("kiosk.prices") and r.levelname == "WARNING"]
    assert said == [f"price file {path} refused (1 problems); the prices in use stay",
                    f"{path}:3:1: barcode: '{FISH[:-1]}0': check digit should be 2, not 0"]


def test_prices_configured_before_their_file_exists_is_one_line_and_no_error(
        daemon_env: None, tmp_path: Path, sandbox: Sandbox,
        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "prices.csv"
    kiosk = InProcess(tmp_path, sandbox, prices_cfg=PricesConfig(path=path, poll_interval_s=0.05))

    def scenario(k: InProcess) -> None:
        wait_rounds(prices_of(k), 3)
        k.scan_whole(FISH, Outcome.SHOWN)

    kiosk.run(scenario)
    said = [r for r in caplog.records if r.name.startswith("kiosk.prices")]
    assert [r.getMessage() for r in said] == [f"no price file at {path} yet; the prices in "
                                             "use stay"]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert kiosk.shown[-1][0].price is None


def test_without_prices_configured_nothing_is_opened_and_scans_carry_none(
        kiosk: InProcess, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    kiosk.run(lambda k: k.scan_whole(FISH, Outcome.SHOWN))
    assert kiosk.daemon.prices is None
    assert not (tmp_path / "state" / "prices.db").exists()
    assert kiosk.shown[-1][0].price is None
    assert "PRICE" not in scan_entries(caplog)[FISH]


def test_a_url_is_polled_with_its_own_client_that_never_carries_the_api_token(
        daemon_env: None, tmp_path: Path, sandbox: Sandbox,
        caplog: pytest.LogCaptureFixture) -> None:
    with serve_prices() as (url, served):
        served.body = f"barcode,price,recall\n{FISH},4.20,Recalled: do not buy\n".encode()
        kiosk = InProcess(tmp_path, sandbox, prices_cfg=PricesConfig(url=url))

        def scenario(k: InProcess) -> None:
            wait_rounds(prices_of(k), 1, more=False)
            assert k.scan_whole(FISH, Outcome.SHOWN).price is not None

        kiosk.run(scenario)
    entry = scan_entries(caplog)[FISH]
    assert (entry["PRICE"], entry["RECALL"]) == ("4.20", "Recalled: do not buy")
    asked = {name.lower() for request in served.requests for name in request}
    assert "user-agent" in asked and "authorization" not in asked
    assert not list((tmp_path / "state").glob("prices.download*"))  # removed once imported
