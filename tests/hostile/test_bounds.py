"""Every answer is bounded in bytes (on the wire and decompressed) and in time, token
calls included; a product answer that was paid for and cannot be used is not bought
again. Against an in-process fake API (`httpx.MockTransport`) behind the real hooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.api import ApiClient
from kiosk.api.errors import AnswerRefused, BadAnswer, ServerError
from kiosk.api.transport import BOUNDS, bounds
from kiosk.sandbox import hostile
from tests.barcodes import CEREAL
from tests.helpers import MOCK_BASE, mock_api, mock_http

BASE = MOCK_BASE
PRODUCT = {"barcode": CEREAL, "product_meta": {"product_name": "Cereal"},
           "images": {"front": None}, "meta": {"credits_debited": 0.3, "request_id": "r1"}}
TOKENS = {"access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_in": 3600}
Handler = Callable[[httpx.Request], httpx.Response]


def api(tmp_path: Path, product: Handler, token: Handler | None = None,
        calls: list[str] | None = None) -> ApiClient:
    def route(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request.url.path)
        if request.url.path.endswith("/auth/token"):
            return (token or (lambda r: httpx.Response(200, json=TOKENS)))(request)
        if request.url.path.endswith("/pricing"):
            return httpx.Response(200, json={"per_scope_rate": 0.3, "per_image_rate": 1.0,
                                             "head_rate": 0.05, "image_redirect_rate": 1.0})
        return product(request)

    return mock_api(route, tmp_path, deadline_s=2.0, retries=2)


def gzip_bomb(request: httpx.Request) -> httpx.Response:
    # A stream, as a real transport gives: bytes would make httpx decode it eagerly.
    return httpx.Response(200, content=iter([hostile.gzip_bomb(50)]),
                          headers={"Content-Encoding": "gzip",
                                   "Content-Type": "application/json"})


def endless(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=hostile.endless(),
                          headers={"Content-Type": "application/json"})


def huge(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=hostile.JSON_BODIES["huge_json"](PRODUCT),
                          headers={"Content-Type": "application/json"})


def deep(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=hostile.JSON_BODIES["deep_json"](PRODUCT),
                          headers={"Content-Type": "application/json"})


def dripping(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=hostile.drip(json.dumps(PRODUCT).encode(), 0.05),
                          headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("answer,code", [
    (gzip_bomb, "answer_too_large"), (endless, "answer_too_large"),
    (huge, "answer_too_large"), (deep, "answer_too_deep"), (dripping, "answer_too_slow")],
    ids=["gzip_bomb", "endless", "3mb_json", "deep_json", "drip"])
def test_a_paid_answer_out_of_bounds_is_a_bad_answer_asked_once(
        tmp_path: Path, answer: Handler, code: str) -> None:
    calls: list[str] = []
    with pytest.raises(BadAnswer) as raised:
        api(tmp_path, answer, calls=calls).lookup(CEREAL)
    assert raised.value.code == code
    assert calls.count(f"/api/v1/products/{CEREAL}") == 1  # not retried: it was paid for


def test_the_same_bounds_hold_for_a_token_call(tmp_path: Path) -> None:
    """A token answer is not paid for: out of bounds, it is a retryable server error."""
    with pytest.raises(AnswerRefused) as raised:
        api(tmp_path, lambda r: httpx.Response(200, json=PRODUCT), token=gzip_bomb).lookup(CEREAL)
    assert raised.value.code == "answer_too_large" and isinstance(raised.value, ServerError)


def test_token_calls_inherit_the_deadline_of_the_request_that_needs_them(
        tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def token(request: httpx.Request) -> httpx.Response:
        seen.update(request.extensions)
        return httpx.Response(200, json=TOKENS)

    api(tmp_path, lambda r: httpx.Response(200, json=PRODUCT), token=token).lookup(CEREAL)
    assert BOUNDS in seen
    assert all(0 < float(v) <= 2.0 for v in seen["timeout"].values())  # never the 3 s default


def test_a_bare_request_gets_default_bounds_and_a_timeout() -> None:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.extensions)
        return httpx.Response(200)

    with mock_http(handler) as http:
        http.send(httpx.Request("GET", BASE + "/x"))  # as an auth flow builds one
        http.get(BASE + "/x", extensions=bounds(0.5, 100))
    assert all(0 < float(v) <= 0.5 for v in seen["timeout"].values())


def test_no_lock_is_held_while_a_token_is_renewed(tmp_path: Path) -> None:
    """Two lookups need a token at once: one renews (blocked here in the fake API), the
    other waits for it without a lock held across the network; one /auth/token call."""
    inside, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def token(request: httpx.Request) -> httpx.Response:
        inside.set()
        release.wait(5)
        return httpx.Response(200, json=TOKENS)

    client_ = api(tmp_path, lambda r: httpx.Response(200, json=PRODUCT), token=token,
                  calls=calls)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(client_.lookup(CEREAL)))
               for _ in range(2)]
    threads[0].start()
    assert inside.wait(5)
    threads[1].start()
    lock = client_.auth._lock
    assert lock.acquire(timeout=5)  # free while the renewal waits on the network
    lock.release()
    release.set()
    for t in threads:
        t.join(10)
    assert len(results) == 2 and calls.count("/api/v1/auth/token") == 1


@pytest.mark.parametrize("expires_in", [None, "3600", -1, 1e12, float("nan"), True])
def test_an_unusable_token_lifetime_is_read_as_an_hour(tmp_path: Path, expires_in: Any) -> None:
    body = {**TOKENS, "expires_in": expires_in}
    result = api(tmp_path, lambda r: httpx.Response(200, json=PRODUCT),
                 token=lambda r: httpx.Response(200, content=json.dumps(body).encode(),
                                                headers={"Content-Type": "application/json"})
                 ).lookup(CEREAL)
    assert result.product.name == "Cereal"


@pytest.mark.parametrize("url", ["https://exa mple.com/\x00img", "https://[::1/x", "ftp://x/y",
                                 "https://" + "a" * 70000 + ".com/"])
def test_an_unusable_image_url_is_a_card_without_photo(tmp_path: Path, url: str) -> None:
    body = {**PRODUCT, "images": {"front": url}}
    result = api(tmp_path, lambda r: httpx.Response(200, json=body)).lookup(CEREAL)
    assert result.image is None and result.product.name == "Cereal"


def test_a_dripping_body_ends_at_the_deadline(tmp_path: Path) -> None:
    """Cost, not time, is what the other tests count; here the bound itself: the lookup
    stops once its deadline has passed, not when the body ends (it never would)."""
    def forever(request: httpx.Request) -> httpx.Response:
        def drip() -> Iterator[bytes]:
            while True:
                yield b" "
                time.sleep(0.05)
        return httpx.Response(200, content=drip(), headers={"Content-Type": "application/json"})

    with pytest.raises(BadAnswer) as raised:
        api(tmp_path, forever).lookup(CEREAL)
    assert raised.value.code == "answer_too_slow"
