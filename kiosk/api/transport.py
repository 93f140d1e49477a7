"""The one HTTP client: whom it trusts, which way it goes out, how long it waits.

Trust is the system's: the CA bundle Debian and Raspberry Pi OS keep in /etc/ssl/certs
(maintained by `update-ca-certificates`, where a store's IT department puts the CA of
its TLS-inspecting proxy), plus `api.ca_file` when set. Not certifi's copy of Mozilla's
list: a kiosk behind such a proxy could not connect with it at all. Certificates are
always verified; there is no switch to turn that off.

The way out is `api.proxy` when set, else the environment's HTTPS_PROXY / HTTP_PROXY /
ALL_PROXY with NO_PROXY (for systemd, a drop-in sets them; see the README), else direct.
A proxy's credentials never leave this module except to the proxy itself:
`describe_route` masks them for the journal.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpcore
import httpx

from kiosk import __version__
from kiosk.api.spare import SpareConnection
from kiosk.config import ApiConfig, base_url_problem, mask_url
from kiosk.errors import ConfigError

__all__ = ["SYSTEM_CA_BUNDLES", "describe_route", "make_http_client", "trust_context"]

# Where distributions keep the system trust store as one file; the first that exists wins.
SYSTEM_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Raspberry Pi OS, Ubuntu
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # Alpine, Arch
)
_PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
KEEPALIVE_S = 120.0  # > the API's 60 s; bounds trust in a quiet connection a middlebox may drop


def trust_context(ca_file: Path | None = None,
                  bundles: Sequence[str] = SYSTEM_CA_BUNDLES) -> ssl.SSLContext:
    """Verify against the system's CAs and `ca_file`; TLS 1.2 at least, host names checked.

    Raises ConfigError when `ca_file` cannot be read or holds no certificate.
    """
    ctx = ssl.create_default_context()  # OpenSSL's default paths: the system's on Debian
    bundle = next((b for b in bundles if os.path.isfile(b)), None)
    if bundle is not None:
        ctx.load_verify_locations(cafile=bundle)
    if ca_file is not None:
        try:
            ctx.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError([f"api.ca_file: {ca_file}: not a readable PEM certificate "
                               f"({getattr(exc, 'strerror', None) or exc})"]) from None
    return ctx


def environment_proxy(env: Mapping[str, str] | None = None) -> str | None:
    """The proxy the environment names for HTTPS, if any (NO_PROXY is applied by httpx)."""
    env = os.environ if env is None else env
    return next((env[v] for v in _PROXY_VARS if env.get(v, "").strip()), None)


def describe_route(cfg: ApiConfig, env: Mapping[str, str] | None = None) -> str:
    """How the API is reached, for the start-up journal line; credentials masked."""
    if cfg.proxy:
        return f"through the proxy {mask_url(cfg.proxy)} (api.proxy)"
    proxy = environment_proxy(env)
    if proxy is not None:
        return f"through the proxy {mask_url(proxy)} (environment; NO_PROXY applies)"
    return "direct"


def make_http_client(cfg: ApiConfig, *, keep_warm: bool = False) -> httpx.Client:
    """The one httpx client: verified TLS, bounded timeouts, no automatic redirects.

    Idle connections are kept for KEEPALIVE_S, longer than the API's load balancer keeps
    them (60 s), so it is the server that ends one, not a shorter client-side timer
    (httpx's default is 5 s: nearly every shopper would have paid a new connection).
    `keep_warm` (the daemon) also keeps a spare connection to the API open ahead of need
    (`kiosk.api.spare`), when the API is reached directly over https://.

    Raises ConfigError for a base URL that is not https:// (http:// only for loopback)
    or an unusable `api.ca_file`.
    """
    problem = base_url_problem(cfg.base_url)
    if problem is not None:
        raise ConfigError([f"api.base_url: {problem}"])
    timeout = httpx.Timeout(
        connect=cfg.connect_timeout_s, read=cfg.read_timeout_s, write=cfg.read_timeout_s,
        pool=cfg.connect_timeout_s,
    )
    ctx = trust_context(cfg.ca_file)
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=4,
                          keepalive_expiry=KEEPALIVE_S)
    spare = _spare_for(cfg, ctx) if keep_warm else None
    # trust_env only picks the environment's proxies here: with an SSLContext given,
    # httpx reads no certificate variables, and it has no .netrc support to pick up.
    return httpx.Client(
        timeout=timeout, verify=ctx, follow_redirects=False,
        proxy=cfg.proxy or None, trust_env=not cfg.proxy,
        headers={"User-Agent": f"kiosk/{__version__}", "Accept": "application/json"},
        limits=limits,
        transport=_WarmTransport(ctx, limits, spare.start()) if spare is not None else None,
    )


def _spare_for(cfg: ApiConfig, ctx: ssl.SSLContext) -> SpareConnection | None:
    """A spare connection for a direct https:// API; None through a proxy (the spare
    would go around it) or for a plain-http loopback sandbox."""
    url = httpx.URL(cfg.base_url)
    if url.scheme != "https" or cfg.proxy or environment_proxy() is not None:
        return None
    return SpareConnection(url.host, url.port or 443, ctx,
                           connect_timeout=cfg.connect_timeout_s, max_age=KEEPALIVE_S)


class _WarmTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool that takes new connections from a spare.

    httpx has no parameter for httpcore's network backend, so the pool is made again
    with it, from the same settings (the one part of httpx's internals relied on:
    `tests/api/test_spare.py` fails if a request stops reaching the spare)."""

    def __init__(self, ctx: ssl.SSLContext, limits: httpx.Limits,
                 spare: SpareConnection) -> None:
        super().__init__(verify=ctx, limits=limits)
        self.spare = spare
        self._pool = httpcore.ConnectionPool(
            ssl_context=ctx, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=spare)

    def close(self) -> None:
        super().close()
        self.spare.close()
