"""Where the file comes from: a path polled for changes, an http(s) URL polled with ETag
(a real server on loopback TCP), and the refresher that imports what is new once."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.api.transport import bounds, make_http_client
from kiosk.config import ApiConfig
from kiosk.prices import (
    Candidate,
    FileSource,
    Limits,
    PriceBook,
    PriceRefresher,
    Source,
    UrlSource,
)
from kiosk.scanner import gs1_gtin
from tests.prices.price_files import GOOD, Served, serve_prices, write

BAD = "barcode,price\n012345678905,-1\n"


@pytest.fixture
def server() -> Iterator[tuple[str, Served]]:
    with serve_prices() as served:
        yield served


def refresher(tmp_path: Path, *sources: Source) -> PriceRefresher:
    return PriceRefresher(PriceBook(tmp_path / "state" / "prices.db"), sources, gs1_gtin,
                          Limits())


def test_a_path_is_imported_once_and_again_when_it_changes(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    r = refresher(tmp_path, FileSource(path))
    assert [o.accepted for o in r.refresh()] == [True]
    assert r.refresh() == []
    os.utime(path, ns=(1, 1))  # touched: the same bytes import nothing
    assert r.refresh() == []
    write(tmp_path, "barcode,price\n4006381333931,3\n")
    assert [o.summary.entries for o in r.refresh()] == [1]


def test_a_bad_file_is_refused_once_and_logged_with_its_places(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, GOOD)
    r = refresher(tmp_path, FileSource(path))
    r.refresh()
    write(tmp_path, BAD)
    with caplog.at_level(logging.WARNING, logger="kiosk.prices"):
        assert [o.accepted for o in r.refresh()] == [False]
    assert f"{path}:2:2: price: -1 is negative" in caplog.messages
    assert r.book.summary().entries == 3
    caplog.clear()
    # Polled again, and after a restart: the same bad file is not refused a second time.
    assert r.refresh() == []
    again = refresher(tmp_path, FileSource(path))
    assert again.refresh() == []
    assert caplog.messages == []


class VanishingSource:
    """A source whose file is gone by the time it is imported (a USB stick pulled out)."""

    label = "stick"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.resets = 0

    def poll(self, meta: object) -> Candidate | None:
        return Candidate(self.path, self.label, "0" * 64)

    def reset(self) -> None:
        self.resets += 1


def test_a_file_gone_before_its_import_is_tried_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = VanishingSource(tmp_path / "gone.csv")
    r = refresher(tmp_path, source)
    with caplog.at_level(logging.WARNING, logger="kiosk.prices"):
        assert r.refresh() == []
    assert source.resets == 1
    assert "price file stick could not be imported" in caplog.text
    assert "refused stick" not in r.book.meta()  # not the file's fault: not refused


def test_a_path_reset_is_offered_again(tmp_path: Path) -> None:
    source = FileSource(write(tmp_path, GOOD))
    assert source.poll({}) is not None
    assert source.poll({}) is None
    source.reset()
    assert source.poll({}) is not None


def test_a_restart_does_not_import_the_same_file_again(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert len(refresher(tmp_path, FileSource(path)).refresh()) == 1
    assert refresher(tmp_path, FileSource(path)).refresh() == []


def test_no_file_yet_is_said_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    r = refresher(tmp_path, FileSource(tmp_path / "prices.csv"))
    with caplog.at_level(logging.INFO, logger="kiosk.prices"):
        assert r.refresh() == [] and r.refresh() == []
    assert len(caplog.messages) == 1 and "no price file at" in caplog.messages[0]


def test_a_url_is_asked_with_its_etag(tmp_path: Path, server: tuple[str, Served]) -> None:
    url, served = server
    with httpx.Client() as client:
        source = UrlSource(url, client, tmp_path / "state", 2**20)
        r = refresher(tmp_path, source)
        assert [o.accepted for o in r.refresh()] == [True]
        assert r.refresh() == []
        assert served.requests[1]["If-None-Match"] == '"v1"'
        served.body, served.etag = b"barcode,price\n4006381333931,3\n", '"v2"'
        assert [o.summary.entries for o in r.refresh()] == [1]
        assert r.book.summary().source == url
    # A restart asks with the validators it kept, and gets a 304.
    with httpx.Client() as client:
        assert refresher(tmp_path, UrlSource(url, client, tmp_path / "state", 2**20)
                         ).refresh() == []
    assert served.requests[-1]["If-None-Match"] == '"v2"'
    assert not (tmp_path / "state" / "prices.download").exists()


def test_the_daemons_client_fetches_it_within_its_bounds(
        tmp_path: Path, server: tuple[str, Served]) -> None:
    """The API's client (trust store, proxy, deadline and byte bounds) is the one handed
    in; the request carries bounds sized for a price file, not for a JSON answer."""
    url, _ = server
    cfg = ApiConfig(base_url=url.rsplit("/", 1)[0])
    with make_http_client(cfg) as client:
        source = UrlSource(url, client, tmp_path / "state", 2**20,
                           extensions=lambda: bounds(30, 2**20))
        assert [o.accepted for o in refresher(tmp_path, source).refresh()] == [True]


def test_fetch_failures_are_one_line_each_way(
        tmp_path: Path, server: tuple[str, Served], caplog: pytest.LogCaptureFixture) -> None:
    url, served = server
    served.status = 503
    with httpx.Client() as client, caplog.at_level(logging.INFO, logger="kiosk.prices"):
        r = refresher(tmp_path, UrlSource(url, client, tmp_path / "state", 2**20))
        assert r.refresh() == [] and r.refresh() == []
        served.status = 200
        assert len(r.refresh()) == 1
    assert [m for m in caplog.messages if "fetch" in m] == [
        f"price file {url} cannot be fetched: HTTP 503; the prices in use stay",
        f"price file {url} can be fetched again"]


def test_a_url_file_over_the_limit_is_not_kept(
        tmp_path: Path, server: tuple[str, Served], caplog: pytest.LogCaptureFixture) -> None:
    url, _ = server
    with httpx.Client() as client, caplog.at_level(logging.WARNING, logger="kiosk.prices"):
        r = refresher(tmp_path, UrlSource(url, client, tmp_path / "state", 100))
        assert r.refresh() == []
    assert "larger than the limit of 100 bytes" in caplog.text
    assert not (tmp_path / "state" / "prices.download").exists()
    assert r.book.summary().entries == 0


def test_a_password_in_the_url_is_never_shown(tmp_path: Path, server: tuple[str, Served],
                                              caplog: pytest.LogCaptureFixture) -> None:
    url, served = server
    secret_url = url.replace("http://", "http://user:s3cret@")
    served.body = BAD.encode()
    with httpx.Client() as client, caplog.at_level(logging.INFO, logger="kiosk.prices"):
        outcomes = refresher(tmp_path, UrlSource(secret_url, client, tmp_path / "state",
                                                 2**20)).refresh()
    assert outcomes and "s3cret" not in str(outcomes[0].problems[0])
    assert caplog.messages and "s3cret" not in caplog.text
