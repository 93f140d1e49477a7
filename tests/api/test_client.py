"""The API client against the sandbox over real TCP: cost, tokens, faults, the image."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.api import (
    ApiClient,
    CredentialsRefused,
    InsufficientCredits,
    LookupResult,
    NotFound,
    RateLimited,
    RefreshTokenFile,
    Secret,
    ServerError,
    TokenAuth,
    TransportError,
)
from kiosk.api.errors import BadAnswer
from kiosk.sandbox import DEFAULT_API_KEY, DEFAULT_CLIENT_ID, Sandbox
from tests.barcodes import CEREAL, FISH, SNACK, UNKNOWN
from tests.helpers import sandbox_http


class Clock:
    """Wall clock for tokens that a test can move forward."""

    def __init__(self) -> None:
        import time

        self.offset = 0.0
        self._time = time.time

    def __call__(self) -> float:
        return self._time() + self.offset


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "api_key"
    path.write_text(DEFAULT_API_KEY)
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(sandbox: Sandbox, tmp_path: Path, key_file: Path, clock: Clock) -> Iterator[ApiClient]:
    with make_client(sandbox, tmp_path, key_file, clock) as api:
        yield api


class make_client:
    def __init__(self, sandbox: Sandbox, tmp_path: Path, key_file: Path, clock: Clock,
                 **kw: object) -> None:
        self.http = sandbox_http(sandbox, read_timeout_s=5.0)
        auth = TokenAuth(sandbox.base_url, DEFAULT_CLIENT_ID,
                         lambda: Secret(key_file.read_text().strip()),
                         RefreshTokenFile(tmp_path), clock=clock)
        self.api = ApiClient(self.http, sandbox.base_url, auth, **kw)  # type: ignore[arg-type]

    def __enter__(self) -> ApiClient:
        return self.api

    def __exit__(self, *exc: object) -> None:
        self.http.close()


def paths(sandbox: Sandbox) -> list[str]:
    return [entry.path for entry in sandbox.ledger]


def product_calls(sandbox: Sandbox, barcode: str) -> list[object]:
    return [e for e in sandbox.ledger if e.path == f"/api/v1/products/{barcode}"]


def image_downloads(sandbox: Sandbox) -> list[object]:
    return [e for e in sandbox.ledger if e.path.startswith("/api/v1/image/")]


# --- the cheapest lookup -------------------------------------------------------------


def test_lookup_is_one_metered_call_and_one_image(sandbox: Sandbox, client: ApiClient) -> None:
    result = client.lookup(CEREAL)
    assert result.product.name == "Example Cereal"
    assert result.image is not None and result.image.startswith(b"\xff\xd8")
    assert result.image_note == "ok"
    assert result.credits == pytest.approx(1.3)
    calls = product_calls(sandbox, CEREAL)
    assert len(calls) == 1
    assert calls[0].query == "include=product_meta%2Cimages&variants=front" or \
        dict(x.split("=") for x in calls[0].query.replace("%2C", ",").split("&")) == {
            "include": "product_meta,images", "variants": "front"}
    assert len(image_downloads(sandbox)) == 1
    assert sandbox.credits_spent(CEREAL) == pytest.approx(1.3)
    assert client.state.credits_remaining == pytest.approx(500 - 1.3)
    # Exchange once, pricing once (free), then the product and its image.
    assert [p.rsplit("/", 1)[-1] for p in paths(sandbox)][:3] == ["token", "pricing", CEREAL]


def test_four_variant_product_still_costs_one_scope_and_one_image(
        sandbox: Sandbox, client: ApiClient) -> None:
    result = client.lookup(FISH)
    assert result.credits == pytest.approx(1.3)
    assert sandbox.credits_spent(FISH) == pytest.approx(1.3)


def test_product_without_front_image_makes_no_image_request(
        sandbox: Sandbox, client: ApiClient) -> None:
    barcode = next(b for b, p in sandbox.catalog.items()
                   if p["image_meta"]["front"] is None and p["product_meta"] is not None)
    result = client.lookup(barcode)
    assert result.image is None and result.image_note == "none"
    assert result.product.has_front_image is False
    assert result.credits == pytest.approx(0.3)
    assert sandbox.credits_spent(barcode) == pytest.approx(0.3)
    assert image_downloads(sandbox) == []


def test_on_data_has_the_product_before_the_photo_download_starts(
        sandbox: Sandbox, client: ApiClient) -> None:
    early: list[tuple[LookupResult, int]] = []
    result = client.lookup(CEREAL, on_data=lambda r: early.append((r, len(paths(sandbox)))))
    ((data, requests_then),) = early
    assert data.product == result.product and data.image is None
    assert (data.image_note, data.credits) == ("pending", pytest.approx(1.3))
    assert requests_then == len(paths(sandbox)) - 1  # only the photo came after
    assert image_downloads(sandbox) and result.image is not None
    without_photo = next(b for b, p in sandbox.catalog.items()
                         if p["image_meta"]["front"] is None and p["product_meta"] is not None)
    client.lookup(without_photo, on_data=lambda r: early.append((r, 0)))
    assert len(early) == 1  # nothing to wait for: no early call


def test_unknown_barcode_is_not_found_and_free(sandbox: Sandbox, client: ApiClient) -> None:
    with pytest.raises(NotFound) as info:
        client.lookup(UNKNOWN)
    assert info.value.code == "barcode_not_found"
    assert info.value.request_id
    assert sandbox.credits_spent() == 0


# --- tokens ---------------------------------------------------------------------------


def test_proactive_refresh_before_expiry(sandbox: Sandbox, client: ApiClient,
                                         clock: Clock) -> None:
    client.lookup(CEREAL)
    clock.offset += 3600 - 60  # within the margin, still valid at the server
    client.lookup(FISH)
    statuses = [(e.path.rsplit("/", 1)[-1], e.status) for e in sandbox.ledger]
    assert ("refresh", 200) in statuses
    assert all(status != 401 for _, status in statuses)


def test_reactive_refresh_on_401_resends_once(sandbox: Sandbox, client: ApiClient) -> None:
    client.lookup(CEREAL)
    sandbox.expire_access_tokens()
    client.lookup(FISH)
    tail = [(e.path.rsplit("/", 1)[-1], e.status) for e in sandbox.ledger
            if not e.path.startswith("/api/v1/image/")][-3:]
    assert tail == [(FISH, 401), ("refresh", 200), (FISH, 200)]
    assert sandbox.credits_spent(FISH) == pytest.approx(1.3)


def test_refresh_tokens_rotate_and_the_old_one_dies(sandbox: Sandbox, client: ApiClient,
                                                    tmp_path: Path) -> None:
    client.lookup(CEREAL)
    first = RefreshTokenFile(tmp_path).load()
    sandbox.expire_access_tokens()
    client.lookup(FISH)
    second = RefreshTokenFile(tmp_path).load()
    assert first and second and first != second
    answer = httpx.post(sandbox.base_url + "/auth/refresh", json={"refresh_token": first},
                        verify=sandbox.verify)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_refresh_token"


def test_refused_refresh_token_falls_back_to_the_key(sandbox: Sandbox, client: ApiClient) -> None:
    client.lookup(CEREAL)
    sandbox.revoke_refresh_tokens()
    sandbox.expire_access_tokens()
    client.lookup(FISH)
    tail = [(e.path.rsplit("/", 1)[-1], e.status) for e in sandbox.ledger
            if not e.path.startswith("/api/v1/image/")][-4:]
    assert tail == [(FISH, 401), ("refresh", 401), ("token", 200), (FISH, 200)]


def test_sandbox_restart_invalidates_everything_and_the_client_recovers(
        sandbox: Sandbox, client: ApiClient) -> None:
    client.lookup(CEREAL)
    sandbox.restart()
    client.lookup(FISH)
    assert product_calls(sandbox, FISH)[-1].status == 200


def test_rotated_key_backs_off_then_recovers_when_the_file_is_replaced(
        sandbox: Sandbox, client: ApiClient, key_file: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    client.lookup(CEREAL)
    sandbox.rotate_key("sk_test_rotated_456")
    with caplog.at_level(logging.INFO), pytest.raises(CredentialsRefused):
        client.lookup(FISH)
    token_calls = sum(1 for e in sandbox.ledger if e.path.endswith("/auth/token"))
    for _ in range(5):  # no hammering: refused without asking again
        with pytest.raises(CredentialsRefused):
            client.lookup(FISH)
    assert sum(1 for e in sandbox.ledger if e.path.endswith("/auth/token")) == token_calls
    assert client.auth.credentials_refused
    assert sum("credentials refused" in r.getMessage() for r in caplog.records) == 1
    key_file.write_text("sk_test_rotated_456\n")
    result = client.lookup(FISH)
    assert result.credits == pytest.approx(1.3)
    assert not client.auth.credentials_refused


def test_one_refresh_for_many_concurrent_callers(sandbox: Sandbox, client: ApiClient) -> None:
    client.lookup(CEREAL)
    sandbox.expire_access_tokens()
    refreshes_before = sum(1 for e in sandbox.ledger if e.path.endswith("/auth/refresh"))
    barcodes = [b for b, p in sandbox.catalog.items() if p["image_meta"]["front"]][:8]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(barcodes))

    def scan(barcode: str) -> None:
        barrier.wait()
        try:
            client.lookup(barcode)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=scan, args=(b,)) for b in barcodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    refreshes = sum(1 for e in sandbox.ledger if e.path.endswith("/auth/refresh"))
    assert refreshes - refreshes_before == 1


# --- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["status", "drop", "close", "garbage"])
def test_transient_faults_are_retried_within_the_deadline(sandbox: Sandbox, client: ApiClient,
                                                          kind: str) -> None:
    client.refresh_pricing()
    params = {"status": 503} if kind == "status" else {}
    sandbox.faults.add(kind, count=1, path=f"/api/v1/products/{CEREAL}", **params)
    result = client.lookup(CEREAL)
    assert result.image is not None
    assert sandbox.credits_spent(CEREAL) == pytest.approx(1.3)


@pytest.mark.parametrize(("kind", "error", "tries"), [
    ("status", ServerError, 3),  # a 5xx is not charged: retried twice
    # no answer: free on the idle connection (its server may have let it go), then
    # maybe charged on a new one, so retried once
    ("drop", TransportError, 3),
    ("close", TransportError, 3),
    ("garbage", BadAnswer, 2),  # a 200 is charged: retried once, then never again
])
def test_persistent_faults_raise_an_error(sandbox: Sandbox, client: ApiClient, kind: str,
                                          error: type[Exception], tries: int) -> None:
    client.refresh_pricing()
    params = {"status": 500} if kind == "status" else {}
    sandbox.faults.add(kind, count=10, path=f"/api/v1/products/{CEREAL}", **params)
    with pytest.raises(error) as raised:
        client.lookup(CEREAL)
    assert sandbox.credits_spent() == 0  # this sandbox's faults charge nothing...
    assert sandbox.request_count(f"/products/{CEREAL}") == tries
    if kind in ("drop", "close"):  # ...after a reset the kiosk cannot know: it counts
        assert isinstance(raised.value, TransportError)  # what may have been charged
        assert raised.value.maybe_charged


def test_429_with_retry_after(sandbox: Sandbox, client: ApiClient) -> None:
    client.refresh_pricing()
    sandbox.faults.add("rate_limit", count=1, path="/api/v1/products/", retry_after=30)
    with pytest.raises(RateLimited) as info:
        client.lookup(CEREAL)
    assert info.value.retry_after == pytest.approx(30)
    # The pacer now holds further calls without sending them.
    before = len(sandbox.ledger)
    with pytest.raises(RateLimited):
        client.lookup(CEREAL)
    assert len(sandbox.ledger) == before


def test_pacing_stops_before_the_server_says_429(
        tmp_path: Path, key_file: Path, clock: Clock,
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(rpm=6)
    with make_client(sandbox, tmp_path, key_file, clock, deadline_s=2.0) as api:
        barcodes = [b for b, p in sandbox.catalog.items() if p["image_meta"]["front"]]
        outcomes = []
        for barcode in barcodes[:6]:
            try:
                api.lookup(barcode)
                outcomes.append("ok")
            except RateLimited as exc:
                outcomes.append(exc.code or "")
        assert "paced" in outcomes
        assert all(e.status != 429 for e in sandbox.ledger)


def test_402_charges_nothing_and_a_top_up_fixes_it(sandbox: Sandbox, client: ApiClient) -> None:
    client.refresh_pricing()
    sandbox.set_balance(1.0)
    with pytest.raises(InsufficientCredits):
        client.lookup(CEREAL)
    assert sandbox.credits_spent() == 0
    sandbox.top_up(10)
    assert client.lookup(CEREAL).credits == pytest.approx(1.3)


def test_signed_url_bound_to_another_ip_is_replaced_once(sandbox: Sandbox,
                                                         client: ApiClient) -> None:
    sandbox.faults.add("bind_ip", count=1, ip="10.9.9.9")
    result = client.lookup(CEREAL)
    assert result.image is not None and result.image_note == "ok"
    statuses = [e.status for e in image_downloads(sandbox)]
    assert statuses == [403, 200]
    assert any(e.path == f"/api/v1/products/{CEREAL}/image" for e in sandbox.ledger)
    assert result.credits == pytest.approx(2.3)
    assert sandbox.credits_spent(CEREAL) == pytest.approx(2.3)


def test_expired_signed_url_is_replaced_once(sandbox: Sandbox, client: ApiClient) -> None:
    sandbox.faults.add("expire_url", count=1)
    result = client.lookup(CEREAL)
    assert result.image is not None and result.image_note == "ok"
    assert [e.status for e in image_downloads(sandbox)] == [410, 200]
    assert result.credits == pytest.approx(2.3)


def test_image_is_given_up_after_one_fresh_url(sandbox: Sandbox, client: ApiClient) -> None:
    sandbox.faults.add("bind_ip", count=2, ip="10.9.9.9")
    result = client.lookup(CEREAL)
    assert result.image is None
    assert [e.status for e in image_downloads(sandbox)] == [403, 403]
    assert sum(1 for e in sandbox.ledger if e.path.endswith(f"{CEREAL}/image")) == 1


def test_truncated_image_is_treated_as_missing(sandbox: Sandbox, client: ApiClient) -> None:
    sandbox.faults.add("truncate_image", count=1)
    result = client.lookup(CEREAL)
    assert result.image is None
    assert result.image_note.startswith("image refused: not a complete JPEG or PNG")
    assert result.product.name == "Example Cereal"


def test_low_balance_is_warned_once(sandbox: Sandbox, tmp_path: Path, key_file: Path,
                                    clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    sandbox.set_balance(5.0)
    with make_client(sandbox, tmp_path, key_file, clock, low_balance=4.0) as api, \
            caplog.at_level(logging.WARNING):
        api.lookup(CEREAL)
        api.lookup(FISH)
    assert sum("low balance" in r.getMessage() for r in caplog.records) == 1


def test_no_secret_in_any_log_line(sandbox: Sandbox, tmp_path: Path, key_file: Path,
                                   clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    made = make_client(sandbox, tmp_path, key_file, clock)
    sent: list[str] = []  # the access tokens, as they went out on the wire
    made.http.event_hooks["request"].append(
        lambda r: sent.append(r.headers.get("Authorization", "").removeprefix("Bearer ")))
    with made as client, caplog.at_level(logging.DEBUG):
        client.lookup(CEREAL)
        sandbox.expire_access_tokens()
        client.lookup(FISH)
        sandbox.rotate_key("sk_test_other_789")
        with pytest.raises(CredentialsRefused) as info:
            client.lookup(SNACK)
    refresh = RefreshTokenFile(tmp_path).load() or "no-refresh-token"
    access = {token for token in sent if token}
    assert len(access) == 2  # one before the expiry, one after
    text = "\n".join(r.getMessage() for r in caplog.records) + str(info.value)
    for secret in (DEFAULT_API_KEY, refresh, *access):
        assert secret not in text


def test_on_link_tells_what_the_wire_saw_once_per_change(sandbox: Sandbox,
                                                         client: ApiClient) -> None:
    """The daemon's online state: an answer of any kind is "online", no way through is
    "offline"; a reset that a retry cures is neither, and a repeat is not told again."""
    seen: list[tuple[bool, str | None]] = []
    client.on_link = lambda online, reason: seen.append((online, reason))
    client.refresh_pricing()
    assert seen == [(True, None)]
    sandbox.faults.add("drop", count=1, path=f"/api/v1/products/{CEREAL}")
    client.lookup(CEREAL)  # dropped once, retried, answered
    with pytest.raises(NotFound):
        client.lookup(UNKNOWN)  # a 404 is an answer too
    assert seen == [(True, None)]
    sandbox.set_online(False)
    with pytest.raises(TransportError):
        client.lookup(FISH)
    with pytest.raises(TransportError):
        client.balance()
    assert seen == [(True, None), (False, "network")]
    sandbox.set_online(True)
    client.balance()
    assert seen == [(True, None), (False, "network"), (True, None)]
