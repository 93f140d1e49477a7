"""Whom the kiosk trusts and which way it goes out: HTTPS to the sandbox over real TCP,
the system trust store, api.ca_file, a refused certificate, and real forward proxies."""

from __future__ import annotations

import datetime
import json
import logging
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.api import (
    ApiClient,
    ClockWrong,
    ProxyRefused,
    RefreshTokenFile,
    Secret,
    TokenAuth,
    UntrustedCertificate,
    describe_route,
    make_http_client,
    trust_context,
)
from kiosk.config import ApiConfig
from kiosk.daemon import ScanResult
from kiosk.daemon.lookups import Lookups
from kiosk.errors import ConfigError
from kiosk.sandbox import DEFAULT_API_KEY, DEFAULT_CLIENT_ID, Sandbox
from kiosk.store import Store
from tests.api.proxy import Tinyproxy
from tests.barcodes import CEREAL, FISH

SECRET_WORD = "pr0xy-s3cret-DO-NOT-PRINT"


_clients: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _clients:
        _clients.pop().close()


def api_for(cfg: ApiConfig, tmp_path: Path, http: httpx.Client | None = None) -> ApiClient:
    """An ApiClient as the daemon builds it; its HTTP client is closed after the test."""
    http = http or make_http_client(cfg)
    _clients.append(http)
    auth = TokenAuth(cfg.base_url, DEFAULT_CLIENT_ID, lambda: Secret(DEFAULT_API_KEY),
                     RefreshTokenFile(tmp_path))
    return ApiClient(http, cfg.base_url, auth, deadline_s=5.0)


# --- trust -----------------------------------------------------------------------------


def test_the_sandbox_serves_tls13_and_a_kiosk_given_its_ca_looks_up(
        sandbox: Sandbox, tmp_path: Path) -> None:
    assert sandbox.base_url.startswith("https://")
    cfg = ApiConfig(base_url=sandbox.base_url, ca_file=sandbox.ca_file)
    api = api_for(cfg, tmp_path)
    result = api.lookup(CEREAL)
    assert result.image is not None and result.credits == pytest.approx(1.3)
    with make_http_client(cfg) as http:
        response = http.get(sandbox.base_url + "/pricing")
        tls = response.extensions["network_stream"].get_extra_info("ssl_object")
        assert tls.version() == "TLSv1.3"
    # The signed image URL came back as https:// and the download carried no token.
    images = [e for e in sandbox.ledger if e.path.startswith("/api/v1/image/")]
    assert [e.status for e in images] == [200]
    assert not any(e.authorization for e in images)
    assert all(e.authorization for e in sandbox.ledger if e.path.startswith("/api/v1/products"))


def test_a_ca_in_the_system_bundle_is_trusted_without_ca_file(
        sandbox: Sandbox, tmp_path: Path) -> None:
    # As update-ca-certificates writes it: the distribution's CAs with the site's appended.
    assert sandbox.ca_file is not None
    bundle = tmp_path / "ca-certificates.crt"
    system = next(p for p in ("/etc/ssl/certs/ca-certificates.crt",) if Path(p).exists())
    bundle.write_text(Path(system).read_text() + sandbox.ca_file.read_text())
    ctx = trust_context(None, bundles=[str(tmp_path / "missing.crt"), str(bundle)])
    with httpx.Client(verify=ctx) as http:
        assert http.get(sandbox.base_url + "/pricing").status_code == 401  # TLS went through


def test_the_system_store_alone_does_not_trust_the_sandbox(sandbox: Sandbox) -> None:
    with httpx.Client(verify=trust_context(None)) as http, pytest.raises(httpx.ConnectError):
        http.get(sandbox.base_url + "/pricing")


@pytest.mark.parametrize("content", ["", "not a certificate\n"])
def test_an_unusable_ca_file_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text(content)
    with pytest.raises(ConfigError, match=r"api\.ca_file: .*ca\.pem: not a readable PEM"):
        trust_context(bad)


def two_scans(api: ApiClient, tmp_path: Path, caplog: pytest.LogCaptureFixture,
              reason: str) -> ScanResult:
    """Two scans through `api`, both queued for `reason` and kept in order; the first."""
    store = Store.open(tmp_path / "state", tmp_path / "cache", product_ttl_s=3600,
                       miss_ttl_s=60)
    lookups = Lookups(store, api)
    try:
        with caplog.at_level(logging.INFO, logger="kiosk"):
            first = lookups.lookup(CEREAL, "test")
            second = lookups.lookup(FISH, "test")
        assert (first.outcome, first.reason) == ("queued", reason)
        assert (second.outcome, second.reason) == ("queued", reason)
        assert [i.barcode for i in store.queue.items()] == [CEREAL, FISH]
    finally:
        store.close()
    return first


def test_an_untrusted_certificate_queues_the_scan_with_one_clear_line(
        sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = ApiConfig(base_url=sandbox.base_url)  # the sandbox's CA is not given
    first = two_scans(api_for(cfg, tmp_path), tmp_path, caplog, "tls_untrusted")
    assert isinstance(first.error, UntrustedCertificate)
    assert "certificate of 127.0.0.1 not trusted" in str(first.error)
    guidance = [r for r in caplog.records if "update-ca-certificates" in r.getMessage()]
    assert len(guidance) == 1 and guidance[0].levelno == logging.ERROR  # once, not per scan
    assert "/usr/local/share/ca-certificates/" in guidance[0].getMessage()
    assert "api.ca_file" in guidance[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)  # no traceback
    assert sandbox.ledger == []  # nothing reached the API: no credit, no retry loop


@pytest.mark.parametrize(("shift", "words"), [
    (datetime.timedelta(days=1), "the certificate of 127.0.0.1 is not yet valid at its time"),
    (datetime.timedelta(days=-60), "the certificate of 127.0.0.1 has expired at its time"),
])
def test_a_certificate_out_of_its_dates_is_a_clock_problem_and_scans_wait(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, caplog: pytest.LogCaptureFixture,
        shift: datetime.timedelta, words: str) -> None:
    sandbox = make_sandbox(rpm=10_000,
                           tls_valid_from=datetime.datetime.now(datetime.UTC) + shift)
    cfg = ApiConfig(base_url=sandbox.base_url, ca_file=sandbox.ca_file)
    first = two_scans(api_for(cfg, tmp_path), tmp_path, caplog, "clock")
    assert isinstance(first.error, ClockWrong)
    told = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(told) == 1  # once, not per scan
    text = told[0].getMessage()
    assert text.startswith("the kiosk's clock is off: ") and words in text
    assert "(not a missing CA)" in text
    assert "It says " + datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d") in text
    assert "install-pi --ntp-server HOST" in text
    assert "update-ca-certificates" not in text and "api.ca_file" not in text
    assert sandbox.ledger == []  # nothing reached the API: no credit spent


# --- proxies ---------------------------------------------------------------------------


def test_lookups_go_through_a_real_proxy(sandbox: Sandbox, tmp_path: Path) -> None:
    with Tinyproxy(tmp_path / "proxy") as proxy:
        cfg = ApiConfig(base_url=sandbox.base_url, ca_file=sandbox.ca_file, proxy=proxy.url)
        result = api_for(cfg, tmp_path).lookup(CEREAL)
        assert result.image is not None
        # token, pricing, product and image: all tunnelled (one tunnel, kept alive)
        assert proxy.connects_to(sandbox.port) >= 1
        assert describe_route(cfg) == f"through the proxy {proxy.url} (api.proxy)"


def test_proxy_credentials_work_and_never_show(sandbox: Sandbox, tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    with Tinyproxy(tmp_path / "proxy", user="kiosk", password=SECRET_WORD) as proxy:
        url = f"http://kiosk:{SECRET_WORD}@127.0.0.1:{proxy.port}"
        cfg = ApiConfig(base_url=sandbox.base_url, ca_file=sandbox.ca_file, proxy=url)
        with caplog.at_level(logging.DEBUG):
            assert api_for(cfg, tmp_path).lookup(CEREAL).image is not None
            route = describe_route(cfg)
        assert SECRET_WORD not in route and "kiosk:****@" in route
        assert SECRET_WORD not in caplog.text


@pytest.mark.parametrize(("refusal", "answer"), [
    ("wrong credentials", "401 Unauthorized"),  # tinyproxy's answer to bad Basic auth
    ("tunnels only to port 443", "403 Access violation"),
])
def test_a_proxy_that_refuses_the_kiosk_is_a_clear_error_and_the_scan_is_kept(
        sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture, refusal: str,
        answer: str) -> None:
    ports = (443,) if refusal.startswith("tunnels") else ()
    with Tinyproxy(tmp_path / "proxy", user="kiosk", password=SECRET_WORD,
                   connect_ports=ports) as proxy:
        password = f"wrong-{SECRET_WORD}" if refusal == "wrong credentials" else SECRET_WORD
        url = f"http://kiosk:{password}@127.0.0.1:{proxy.port}"
        cfg = ApiConfig(base_url=sandbox.base_url, ca_file=sandbox.ca_file, proxy=url)
        store = Store.open(tmp_path / "state", tmp_path / "cache", product_ttl_s=3600,
                           miss_ttl_s=60)
        try:
            with caplog.at_level(logging.DEBUG):
                scan = Lookups(store, api_for(cfg, tmp_path)).lookup(CEREAL, "test")
            assert (scan.outcome, scan.reason) == ("queued", "proxy_refused")
            assert isinstance(scan.error, ProxyRefused)
            assert str(scan.error) == f"the proxy refused the connection ({answer})"
            assert [i.barcode for i in store.queue.items()] == [CEREAL]
        finally:
            store.close()
    assert SECRET_WORD not in caplog.text
    assert sandbox.ledger == []


def test_the_environment_proxy_is_used_and_no_proxy_is_honoured(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Tinyproxy(tmp_path / "proxy") as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        cfg = ApiConfig(base_url=sandbox.base_url, ca_file=sandbox.ca_file)
        assert describe_route(cfg).startswith(f"through the proxy {proxy.url} (environment")
        api_for(cfg, tmp_path / "a").lookup(CEREAL)
        tunnels = proxy.connects_to(sandbox.port)
        assert tunnels >= 1
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        api_for(cfg, tmp_path / "b").lookup(FISH)
        assert proxy.connects_to(sandbox.port) == tunnels  # went direct


# --- image URLs --------------------------------------------------------------------------


PRODUCT = {"barcode": CEREAL, "product_meta": {"product_name": "Cereal"},
           "images": {"front": "http://cdn.example.com/front.jpg"},
           "meta": {"credits_debited": 1.3, "credits_remaining": 10.0, "request_id": "req_1"}}


def test_an_image_url_that_is_not_https_is_not_fetched(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/auth/token"):
            return httpx.Response(200, json={"access_token": "at", "refresh_token": "rt",
                                             "token_type": "Bearer", "expires_in": 3600})
        if request.url.path.endswith("/pricing"):
            return httpx.Response(200, json={"per_scope_rate": 0.3, "per_image_rate": 1.0,
                                             "head_rate": 0.05, "image_redirect_rate": 1.0})
        return httpx.Response(200, content=json.dumps(PRODUCT).encode(),
                              headers={"Content-Type": "application/json"})

    cfg = ApiConfig(base_url="https://api.example.com/api/v1")
    http = httpx.Client(transport=httpx.MockTransport(handler))
    result = api_for(cfg, tmp_path, http).lookup(CEREAL)
    assert result.image is None and "plain http:// is allowed only" in result.image_note
    assert not any(r.url.host == "cdn.example.com" for r in seen)
    assert result.product.name == "Cereal"  # card without photo


def test_trust_context_refuses_nothing_it_should_verify() -> None:
    ctx = trust_context(None)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
