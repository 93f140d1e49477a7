"""The signed-URL table: same IP once, another IP, tampered, reused, expired."""

from __future__ import annotations

import io
import os
from typing import Any

import httpx
import pytest

from kiosk.sandbox import Sandbox
from tests.sandbox.helpers import FOUR, TWO, error_code


def _urls(client: httpx.Client, barcode: str = FOUR) -> dict[str, str]:
    body = client.get(f"/products/{barcode}", params={"include": "images"}).json()
    return {k: v for k, v in body["images"].items() if v}


def test_first_get_same_ip_in_time(sb: Sandbox, client: httpx.Client) -> None:
    urls = _urls(client)
    spent = sb.credits_spent()
    for variant, url in urls.items():
        r = httpx.get(url, verify=sb.verify)  # no Authorization header at all
        assert r.status_code == 200
        want = "image/png" if variant.endswith("_clean") else "image/jpeg"
        assert r.headers["content-type"] == want
        assert int(r.headers["content-length"]) == len(r.content)
        assert r.content[:4] == (b"\x89PNG" if want == "image/png" else b"\xff\xd8\xff\xe0")
        assert "x-ratelimit-limit" not in r.headers
    assert sb.credits_spent() == spent  # downloads are free


def test_second_time_is_410_used(sb: Sandbox, client: httpx.Client) -> None:
    url = _urls(client, TWO)["front"]
    assert httpx.get(url, verify=sb.verify).status_code == 200
    r = httpx.get(url, verify=sb.verify)
    assert r.status_code == 410 and error_code(r) == "signed_url_used"


def test_other_ip_is_403_and_does_not_consume(sb: Sandbox, client: httpx.Client) -> None:
    url = _urls(client, TWO)["front"]
    other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2",
                                                       verify=sb.verify))
    with other:
        r = other.get(url)
    assert r.status_code == 403 and error_code(r) == "signed_url_ip_mismatch"
    assert sb.ledger[-1].client_ip == "127.0.0.2"
    assert httpx.get(url, verify=sb.verify).status_code == 200


def _tamper(url: str) -> list[str]:
    base, token = url.rsplit("/", 1)
    payload, sig = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    return [f"{base}/{flipped}.{sig}", f"{base}/{payload}.{sig[:-1]}", f"{base}/{payload}",
            f"{base}/{payload}.{sig}x!", f"{base}/garbage.garbage"]


def test_tampered_is_403_invalid(sb: Sandbox, client: httpx.Client) -> None:
    url = _urls(client, TWO)["front"]
    for bad in _tamper(url):
        r = httpx.get(bad, verify=sb.verify)
        assert r.status_code == 403 and error_code(r) == "signed_url_invalid", bad
    assert httpx.get(url, verify=sb.verify).status_code == 200


def test_expired_is_410(sb: Sandbox, client: httpx.Client) -> None:
    url = _urls(client, TWO)["front"]
    sb.advance_clock(15 * 60 + 1)
    r = httpx.get(url, verify=sb.verify)
    assert r.status_code == 410 and error_code(r) == "signed_url_expired"


def test_url_lifetime_is_settable(sb: Sandbox, client: httpx.Client) -> None:
    sb.image_url_ttl = 5
    url = _urls(client, TWO)["front"]
    sb.advance_clock(6)
    assert error_code(httpx.get(url, verify=sb.verify)) == "signed_url_expired"


def test_restart_invalidates_urls(sb: Sandbox, client: httpx.Client) -> None:
    url = _urls(client, TWO)["front"]
    sb.restart()
    assert error_code(httpx.get(url, verify=sb.verify)) == "signed_url_invalid"


@pytest.fixture(scope="module")
def pygame_mod() -> Any:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    return pytest.importorskip("pygame")


@pytest.mark.parametrize("barcode", [FOUR, "7290182358805"])
def test_images_decode_at_stated_resolution(
    pygame_mod: Any, sb: Sandbox, client: httpx.Client, barcode: str
) -> None:
    meta = client.get(f"/products/{barcode}", params={"include": "image_meta"}).json()
    for variant, url in _urls(client, barcode).items():
        data = httpx.get(url, verify=sb.verify).content
        surface = pygame_mod.image.load(io.BytesIO(data), "x.png" if "clean" in variant else
                                        "x.jpg")
        w, h = (int(x) for x in meta["image_meta"][variant]["resolution"].split("x"))
        assert surface.get_size() == (w, h)
        if variant.endswith("_clean"):
            assert surface.get_flags() & pygame_mod.SRCALPHA
            assert surface.get_at((1, 1)).a == 0  # transparent background
            assert surface.get_at((w // 2, h // 2)).a == 255  # the package is opaque
        else:
            assert surface.get_at((1, 1))[:3] >= (240, 240, 240)  # white background


def test_legacy_resolution_product(pygame_mod: Any, sb: Sandbox, client: httpx.Client) -> None:
    legacy = next(code for code, p in sb.catalog.items()
                  if any(m and m["resolution"] == "600x600" for m in p["image_meta"].values()))
    for variant, url in _urls(client, legacy).items():
        surface = pygame_mod.image.load(io.BytesIO(httpx.get(url, verify=sb.verify).content),
                                        "x.png" if "clean" in variant else "x.jpg")
        assert surface.get_size() == (600, 600)
