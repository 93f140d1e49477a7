"""Credits are money, over real TCP to the sandbox: the paid answer is on disk before
its photo, every attempt that may have been charged is counted (and retried at most
once), one buyer per barcode, and a lookup starts only if its price fits the window."""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.api.errors import BadAnswer
from kiosk.api.spending import SpendGuard
from kiosk.daemon import Lookups, ScanResult
from kiosk.outcome import Outcome
from kiosk.sandbox import Sandbox
from kiosk.sandbox.endpoints import API_PREFIX
from kiosk.store import Store
from tests.barcodes import CEREAL
from tests.helpers import sandbox_api, sandbox_http


class Kit:
    """A store, a client with a spending guard on the store's ledger, and the lookups."""

    def __init__(self, sandbox: Sandbox, tmp: Path, http: httpx.Client,
                 per_hour: float = 0.0) -> None:
        self.tmp = tmp
        self.store = Store.open(tmp / "state", tmp / "cache")
        self.guard = SpendGuard(per_hour, 0.0, self.store.spending)
        self.api = sandbox_api(sandbox, http, tmp / "state", deadline_s=5.0, spend=self.guard)
        self.lookups = Lookups(self.store, self.api)

    def recorded(self) -> float:
        """Credits the kiosk wrote down (its ledger on disk)."""
        return round(sum(c for _, c in self.store.spending.since(0)), 6)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with sandbox_http(sandbox) as h:
        yield h


@pytest.fixture
def kit(sandbox: Sandbox, tmp_path: Path, http: httpx.Client) -> Iterator[Kit]:
    k = Kit(sandbox, tmp_path, http)
    k.api.refresh_pricing()
    yield k
    k.close()


def product_gets(sandbox: Sandbox, barcode: str) -> int:
    """Product GETs sent for `barcode` (not its photo's redirect)."""
    return sum(1 for e in sandbox.ledger if e.path == f"{API_PREFIX}/products/{barcode}")


def on_disk(state: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the state database through a connection of its own: only committed rows."""
    conn = sqlite3.connect(state / "kiosk.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("body", ["truncated", "reset", "html"])
def test_a_charged_answer_that_breaks_is_counted_and_retried_once(
        sandbox: Sandbox, kit: Kit, body: str) -> None:
    sandbox.faults.add("hostile", count=1, path=f"/products/{CEREAL}", body=body)
    answer = kit.lookups.lookup(CEREAL)
    assert answer.outcome is Outcome.SHOWN and answer.image is not None
    assert product_gets(sandbox, CEREAL) == 2
    assert sandbox.credits_spent() == pytest.approx(2.6)  # both were charged
    assert kit.recorded() == pytest.approx(sandbox.credits_spent())


@pytest.mark.parametrize("body", ["truncated", "reset", "html"])
def test_a_charged_answer_that_breaks_twice_is_not_bought_a_third_time(
        sandbox: Sandbox, kit: Kit, body: str) -> None:
    sandbox.faults.add("hostile", count=5, path=f"/products/{CEREAL}", body=body)
    answer = kit.lookups.lookup(CEREAL)
    assert answer.outcome is Outcome.ERROR and isinstance(answer.error, BadAnswer)
    assert product_gets(sandbox, CEREAL) == 2
    assert kit.recorded() == pytest.approx(sandbox.credits_spent()) == pytest.approx(2.6)
    # Queued, the drainer's lane sets it aside at once instead of buying it again.
    kit.lookups.defer(CEREAL, "serial:0", "network")
    from kiosk.daemon.drainer import Drainer, DrainEvent

    events: queue.Queue[DrainEvent] = queue.Queue()
    drainer = Drainer(kit.store, kit.lookups.resolve, events.put, pace_s=0.0)
    drainer.start()
    try:
        event = events.get(timeout=10)  # a safety net only
    finally:
        assert drainer.stop()
    assert (event.kind, event.barcode) == ("set_aside", CEREAL)
    assert kit.store.queue.peek() is None
    assert [i.barcode for i in kit.store.queue.set_aside_items()] == [CEREAL]
    assert product_gets(sandbox, CEREAL) == 4
    assert kit.recorded() == pytest.approx(sandbox.credits_spent()) == pytest.approx(5.2)


@pytest.mark.parametrize("fault", ["close", "drop"])
def test_an_idle_connection_lost_under_a_request_costs_nothing(
        sandbox: Sandbox, kit: Kit, fault: str) -> None:
    """On the connection /pricing left idle in the pool, a close or a reset before any
    answer (over TLS the two look alike: EOF) is how a server lets an idle connection
    go as a request is written: sent again on a new connection, nothing counted."""
    sandbox.faults.add(fault, count=1, path=f"/products/{CEREAL}")
    answer = kit.lookups.lookup(CEREAL)
    assert answer.outcome is Outcome.SHOWN
    assert product_gets(sandbox, CEREAL) == 2
    assert kit.recorded() == pytest.approx(sandbox.credits_spent()) == pytest.approx(1.3)


@pytest.mark.parametrize("fault", ["close", "drop"])
def test_a_new_connection_lost_under_a_request_is_counted(
        sandbox: Sandbox, kit: Kit, fault: str) -> None:
    """Opened for the request, a connection the server ends without answering may have
    been read and charged: counted, and tried once more only."""
    sandbox.faults.add(fault, count=10, path=f"/products/{CEREAL}")
    answer = kit.lookups.lookup(CEREAL)
    assert answer.outcome is not Outcome.SHOWN
    assert product_gets(sandbox, CEREAL) == 3  # the idle connection's, then two new ones
    assert sandbox.credits_spent() == 0  # neither fault charges here...
    assert kit.recorded() == pytest.approx(2.6)  # ...a real server may have


def test_the_answer_is_on_disk_before_the_photo_is_asked_for(sandbox: Sandbox,
                                                             kit: Kit) -> None:
    kit.store.queue.enqueue(CEREAL, "serial:0", "network")
    seen: list[list[tuple[object, ...]]] = []
    state = kit.tmp / "state"

    def early(answer: ScanResult) -> None:
        assert answer.photo_pending and not sandbox.image_downloads()
        seen.append(on_disk(state, "SELECT barcode, request_id, front_url IS NOT NULL, "
                                   "photo_done_at IS NULL FROM paid"))
        seen.append(on_disk(state, "SELECT credits FROM spending"))
        seen.append(on_disk(state, "SELECT barcode FROM queue"))

    answer = kit.lookups.lookup(CEREAL, on_data=early)
    assert answer.image is not None
    rid = next(e.request_id for e in sandbox.ledger
           if e.path == f"{API_PREFIX}/products/{CEREAL}")
    assert seen == [[(CEREAL, rid, 1, 1)], [(1.3,)], []]
    assert on_disk(state, "SELECT photo_done_at IS NOT NULL, cached_at IS NOT NULL "
                          "FROM paid") == [(1, 1)]


class Crash(BaseException):
    """The process dies here (nothing after it runs, nothing is cleaned up)."""


@pytest.mark.parametrize("url_used", [False, True])
def test_a_cut_before_the_photo_never_buys_the_product_again(
        sandbox: Sandbox, tmp_path: Path, http: httpx.Client, url_used: bool) -> None:
    """The photo comes from the saved URL (free) or, once used, `/products/{b}/image`."""
    first = Kit(sandbox, tmp_path, http)
    saved: list[str] = []

    def die(barcode: str, url: str | None, expires_at: float | None, **_: object) -> None:
        assert url is not None
        saved.append(url)
        raise Crash

    first.api.photo = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        first.lookups.lookup(CEREAL)
    first.close()
    if url_used:
        assert httpx.get(saved[0], verify=sandbox.verify).status_code == 200
    again = Kit(sandbox, tmp_path, http)
    try:
        answer = again.lookups.lookup(CEREAL)
        assert answer.outcome is Outcome.SHOWN and answer.image is not None
        assert product_gets(sandbox, CEREAL) == 1
        redirects = [e for e in sandbox.ledger
                     if e.path == f"{API_PREFIX}/products/{CEREAL}/image"]
        assert len(redirects) == (1 if url_used else 0)
        assert again.recorded() == pytest.approx(sandbox.credits_spent())
        assert again.lookups.lookup(CEREAL).outcome is Outcome.CACHED
    finally:
        again.close()


def test_the_chores_settle_a_paid_answer_and_reconcile_with_the_api(
        sandbox: Sandbox, kit: Kit) -> None:
    real = kit.api.photo
    kit.api.photo = lambda *a, **k: (_ for _ in ()).throw(Crash)  # type: ignore[method-assign]
    with pytest.raises(Crash):
        kit.lookups.lookup(CEREAL)
    kit.api.photo = real  # type: ignore[method-assign]
    sandbox.faults.add("drop", count=1, path=f"/products/{CEREAL}")  # not charged...
    kit.guard.spent(1.3)  # ...but counted by a kiosk that cannot know: 1.3 too many
    kit.lookups.chores()
    hit = kit.store.cache.get(CEREAL)
    assert hit is not None and not isinstance(hit, type(None)) and hit.image is not None
    assert kit.guard.mismatch == pytest.approx(-1.3)
    assert kit.guard.spent_today() == pytest.approx(2.6)  # the larger: the kiosk's
    sandbox.faults.clear()


def test_the_api_count_wins_when_it_is_larger(sandbox: Sandbox, kit: Kit,
                                              http: httpx.Client) -> None:
    kit.lookups.lookup(CEREAL)
    # Another kiosk on the same account spent meanwhile: the API counts it.
    other = next(b for b, p in sandbox.catalog.items() if b != CEREAL and p["image_meta"]["front"])
    neighbour = Kit(sandbox, kit.tmp / "neighbour", http)
    try:
        assert neighbour.api.lookup(other).credits == pytest.approx(1.3)
    finally:
        neighbour.close()
    assert kit.api.reconcile() == pytest.approx(1.3)
    assert kit.guard.spent_today() == pytest.approx(2.6)


def test_a_lookup_starts_only_if_its_price_fits_the_hour(
        sandbox: Sandbox, tmp_path: Path, http: httpx.Client) -> None:
    kit = Kit(sandbox, tmp_path, http, per_hour=3.0)
    try:
        codes = [b for b, p in sandbox.catalog.items() if p["image_meta"]["front"]][:3]
        outcomes = [kit.lookups.lookup(b, "serial:0") for b in codes]
        assert [a.outcome for a in outcomes] == ["shown", "shown", "queued"]
        assert outcomes[2].reason == "spend_limit"
        assert sandbox.credits_spent() == pytest.approx(2.6)
        assert kit.recorded() == pytest.approx(2.6)
        assert [i.barcode for i in kit.store.queue.items()] == [codes[2]]
    finally:
        kit.close()


def test_the_lane_and_the_drainer_buy_one_barcode_once(sandbox: Sandbox, kit: Kit) -> None:
    kit.lookups.defer(CEREAL, "serial:0", "network")
    sandbox.faults.add("latency", count=1, path=f"/products/{CEREAL}", seconds=0.5)
    start = threading.Barrier(2)
    results: list[object] = []

    def lane() -> None:
        start.wait()
        results.append(kit.lookups.lookup(CEREAL, "serial:0").outcome)

    def drain() -> None:
        start.wait()
        results.append(kit.lookups.resolve(CEREAL).credits)

    threads = [threading.Thread(target=lane), threading.Thread(target=drain)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 2
    assert product_gets(sandbox, CEREAL) == 1
    assert sandbox.credits_spent() == pytest.approx(1.3) == kit.recorded()
    assert kit.store.queue.peek() is None


def test_check_and_record_are_one_step() -> None:
    """Eight threads race for a window that holds two lookups: exactly two get in."""
    guard = SpendGuard(per_hour=3.0, per_day=0.0)
    start = threading.Barrier(8)
    got: list[bool] = []

    def one() -> None:
        start.wait()
        try:
            guard.reserve(1.3)
            got.append(True)
        except Exception:
            got.append(False)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert sorted(got) == [False] * 6 + [True] * 2
