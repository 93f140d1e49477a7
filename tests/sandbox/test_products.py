"""Product look-ups: the include/variants matrix, pricing, errors, HEAD and the 302."""

from __future__ import annotations

import httpx
import pytest

from kiosk.sandbox import Sandbox
from kiosk.sandbox.catalog import VARIANTS
from tests.barcodes import FRONT_ONLY
from tests.sandbox.helpers import FOUR, TWO, error_code

PRODUCTS = {1: FRONT_ONLY, 2: TWO, 4: FOUR}

# The reference's interaction matrix: include, variants, scopes billed, and image URLs
# billed for products with 1, 2 and 4 variants available (front / front+front_clean / all).
MATRIX = [
    (None, None, 2, {1: 1, 2: 2, 4: 4}),
    ("product_meta", None, 1, {1: 0, 2: 0, 4: 0}),
    ("product_meta", "front", 1, {1: 0, 2: 0, 4: 0}),
    ("image_meta", None, 1, {1: 0, 2: 0, 4: 0}),
    ("image_meta", "front,back", 1, {1: 0, 2: 0, 4: 0}),
    ("images", None, 0, {1: 1, 2: 2, 4: 4}),
    ("images", "front", 0, {1: 1, 2: 1, 4: 1}),
    ("images", "front,back", 0, {1: 1, 2: 1, 4: 2}),
    ("product_meta,images", "front", 1, {1: 1, 2: 1, 4: 1}),
    (None, "front", 2, {1: 1, 2: 1, 4: 1}),  # the landmine
    ("image_meta,product_meta,images", None, 2, {1: 1, 2: 2, 4: 4}),
    ("images", "back_clean", 0, {1: 0, 2: 0, 4: 1}),
]


@pytest.mark.parametrize("available", [1, 2, 4])
@pytest.mark.parametrize(("include", "variants", "scopes", "images"), MATRIX)
def test_matrix(sb: Sandbox, client: httpx.Client, available: int, include: str | None,
                variants: str | None, scopes: int, images: dict[int, int]) -> None:
    params = {k: v for k, v in (("include", include), ("variants", variants)) if v is not None}
    barcode = PRODUCTS[available]
    r = client.get(f"/products/{barcode}", params=params)
    assert r.status_code == 200
    body = r.json()
    expected = round(0.3 * scopes + 1.0 * images[available], 6)
    assert body["meta"]["credits_debited"] == pytest.approx(expected)
    assert body["meta"]["credits_remaining"] == pytest.approx(500 - expected)
    assert sb.balance == pytest.approx(500 - expected)
    assert [e.credits for e in sb.charges_for(barcode)] == ([pytest.approx(expected)]
                                                             if expected else [])
    shown = set(include.split(",")) if include else {"image_meta", "product_meta", "images"}
    assert set(body) == {"barcode", "meta"} | shown
    assert body["barcode"] == barcode
    if "images" in shown:
        assert set(body["images"]) == set(VARIANTS)
        assert sum(url is not None for url in body["images"].values()) == images[available]
    if "image_meta" in shown:
        assert set(body["image_meta"]) == set(VARIANTS)


@pytest.mark.parametrize("include", [None, "images", "product_meta"])
def test_unknown_variant_is_400_nothing_charged(sb: Sandbox, client: httpx.Client,
                                                include: str | None) -> None:
    params = {"variants": "front,side"} | ({"include": include} if include else {})
    r = client.get(f"/products/{FOUR}", params=params)
    assert r.status_code == 400 and error_code(r) == "bad_request"
    assert sb.balance == 500 and sb.credits_spent() == 0


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"/products/{FOUR}?include=pictures", 400, "bad_request"),
        (f"/products/{FOUR}?include=", 400, "bad_request"),
        ("/products/12345", 400, "bad_request"),
        ("/products/01700016156A", 400, "bad_request"),
        ("/products/123456789", 400, "bad_request"),
        ("/products/017000161564", 404, "barcode_not_found"),
        ("/products/00017000161563", 404, "barcode_not_found"),  # exact look-ups only
        ("/products/17000161563", 400, "bad_request"),  # leading zero lost
        ("/nowhere", 404, "not_found"),
        ("/products", 404, "not_found"),
        (f"/products/{FOUR}/image?variant=side", 400, "bad_request"),
        (f"/products/{FOUR}/image", 400, "bad_request"),
        ("/products/017000161564/image?variant=front", 404, "not_found"),
        (f"/products/{TWO}/image?variant=back", 404, "not_found"),
    ],
)
def test_error_rows(sb: Sandbox, client: httpx.Client, path: str, status: int,
                    code: str) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert error_code(r) == code
    assert sb.credits_spent() == 0


def test_wrong_method_is_405_envelope(client: httpx.Client) -> None:
    r = client.post(f"/products/{FOUR}", json={})
    assert r.status_code == 405 and error_code(r) == "method_not_allowed"
    assert "GET" in r.headers["allow"]
    r = client.get("/auth/token")
    assert r.status_code == 405


def test_full_response_matches_reference(client: httpx.Client) -> None:
    body = client.get(f"/products/{FOUR}").json()
    assert body["meta"]["credits_debited"] == pytest.approx(4.6)
    assert set(body["meta"]) == {"request_id", "credits_debited", "credits_remaining",
                                 "response_generated"}
    assert body["product_meta"]["hechshers"][0]["symbol"] == "OK"
    assert body["image_meta"]["front"]["file_size_bytes"] == 184521
    assert all(url.split("/image/")[1].startswith("eyJi") for url in body["images"].values())


def test_getting_started_example(sb: Sandbox, client: httpx.Client) -> None:
    sb.set_balance(10)
    body = client.get(f"/products/{TWO}").json()
    assert body["meta"]["credits_debited"] == pytest.approx(2.6)
    assert body["meta"]["credits_remaining"] == pytest.approx(7.4)
    assert body["product_meta"]["nutrition"]["calories"] == 100


def test_head_costs_head_rate_found_or_not(sb: Sandbox, client: httpx.Client) -> None:
    found = client.head(f"/products/{FOUR}")
    missing = client.head("/products/017000161564")
    assert (found.status_code, missing.status_code) == (200, 404)
    assert found.content == b"" and missing.content == b""
    assert "x-request-id" in found.headers and "x-ratelimit-remaining" in found.headers
    assert sb.credits_spent() == pytest.approx(0.1)
    assert client.head("/products/12").status_code == 400
    assert sb.credits_spent() == pytest.approx(0.1)


def test_redirect_costs_one_and_points_at_fresh_url(sb: Sandbox, client: httpx.Client) -> None:
    r = client.get(f"/products/{FOUR}/image", params={"variant": "back_clean"})
    assert r.status_code == 302
    assert "/api/v1/image/" in r.headers["location"]
    assert sb.credits_spent() == pytest.approx(1.0)
    img = httpx.get(r.headers["location"], verify=sb.verify)
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    assert img.headers["x-request-id"]
    again = client.get(f"/products/{FOUR}/image", params={"variant": "back_clean"},
                       follow_redirects=True)
    assert again.status_code == 200 and again.content == img.content
    assert sb.credits_spent() == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("method", "path", "cost"),
    [("GET", f"/products/{FOUR}", 4.6),
     ("GET", f"/products/{FOUR}?include=product_meta,images&variants=front", 1.3),
     ("HEAD", f"/products/{FOUR}", 0.05),
     ("GET", f"/products/{FOUR}/image?variant=front", 1.0)],
)
def test_insufficient_credits_charges_nothing(sb: Sandbox, client: httpx.Client, method: str,
                                              path: str, cost: float) -> None:
    sb.set_balance(cost - 0.01)
    r = client.request(method, path)
    assert r.status_code == 402
    if method != "HEAD":
        assert error_code(r) == "insufficient_credits"
    assert sb.balance == pytest.approx(cost - 0.01)
    sb.top_up(0.01)
    assert client.request(method, path).status_code in (200, 302)
    assert sb.balance == pytest.approx(0)


def test_free_endpoints(sb: Sandbox, client: httpx.Client) -> None:
    pricing = client.get("/pricing").json()
    assert {k: pricing[k] for k in ("per_scope_rate", "per_image_rate", "head_rate",
                                    "image_redirect_rate")} == {
        "per_scope_rate": 0.3, "per_image_rate": 1.0, "head_rate": 0.05,
        "image_redirect_rate": 1.0}
    client.get(f"/products/{TWO}?include=images&variants=front")
    balance = client.get("/balance").json()
    assert balance["client_id"] == "rd_client_sandbox" and balance["tier"] == "standard"
    assert balance["credit_balance"] == pytest.approx(499.0)
    assert balance["meta"]["credits_debited"] == 0
    account = client.get("/account").json()
    assert set(account["usage"]) == {"requests_today", "requests_this_month",
                                     "credits_spent_today", "credits_spent_this_month"}
    assert account["usage"]["credits_spent_today"] == pytest.approx(1.0)
    assert account["usage"]["requests_today"] == 4
    assert account["rate_limits"]["requests_per_minute"] == 10_000
    assert account["rate_limits"]["remaining_today"] == 10_000 - 4
    assert sb.credits_spent() == pytest.approx(1.0)


def test_ledger_records_every_request(sb: Sandbox, client: httpx.Client) -> None:
    r = client.get(f"/products/{TWO}", params={"include": "product_meta,images",
                                               "variants": "front"})
    httpx.get(r.json()["images"]["front"], verify=sb.verify)
    client.get("/products/017000161564")
    entries = sb.ledger
    lookup = next(e for e in entries if e.path == f"/api/v1/products/{TWO}")
    assert lookup.credits == pytest.approx(1.3) and lookup.status == 200
    assert lookup.query == "include=product_meta%2Cimages&variants=front"
    assert lookup.client_ip == "127.0.0.1" and lookup.request_id == r.headers["x-request-id"]
    assert [e.status for e in sb.image_downloads(TWO)] == [200]
    assert sb.request_count("/products") == 2 and sb.request_count("/image") == 1
    assert sb.request_count("/api/v1/auth/token") == 1
    miss = entries[-1]
    assert (miss.status, miss.error_code, miss.barcode) == (404, "barcode_not_found",
                                                            "017000161564")
