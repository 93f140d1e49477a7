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

How long and how much: every request carries `Bounds` (a monotonic deadline and a byte
limit) in its extensions; requests made without (the token calls inside the auth flow
copy their parent's) get `DEFAULT_BOUNDS`. Two event hooks, httpx's public seam that
sees every request and response, proxied or not, apply them: before sending, every
timeout is cut to the time left, so no request starts a read that could outlast its
deadline; when the headers arrive, the body is wrapped in a stream that counts bytes on
the wire and after decompression (gzip and deflate are decoded here, against the
limit, not by httpx) and checks the deadline after every chunk. What breaks a bound
raises `AnswerRefused`, so a gzip bomb, an endless body or one that drips a byte at a
time costs at most the limit in memory and the deadline plus one read in time.
"""

from __future__ import annotations

import os
import ssl
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
import httpx

from kiosk import __version__
from kiosk.api.errors import AnswerRefused, TransportError
from kiosk.api.spare import SPARE, SpareConnection
from kiosk.config import ApiConfig, mask_url, url_problem
from kiosk.errors import ConfigError

__all__ = ["BOUNDS", "JSON_MAX_BYTES", "SYSTEM_CA_BUNDLES", "Bounds", "bounds",
           "describe_route", "make_http_client", "trust_context"]

BOUNDS = "kiosk.bounds"
"""The request extension that carries a request's `Bounds`."""
JSON_MAX_BYTES = 1024 * 1024
"""An API answer is a few KB; a product with every scope under 100 KB."""
DEFAULT_DEADLINE_S = 30.0


@dataclass
class Bounds:
    deadline: float  # time.monotonic()
    max_bytes: int  # of the body, on the wire and after decompression alike
    statuses: list[int] = field(default_factory=list)
    """The status of each answer whose headers arrived: a body that fails after a 200's
    headers was charged for (`kiosk.api.client`)."""
    fresh: bool = False
    """Whether the last request went out on a connection opened for it (not an idle one
    from the pool or the spare): a server cannot have closed it as idle, so a close
    without an answer there may hide a charge (`kiosk.api.client`)."""


def bounds(seconds: float, max_bytes: int = JSON_MAX_BYTES) -> dict[str, Any]:
    """Request extensions for a request that must be answered within `seconds`."""
    return {BOUNDS: Bounds(time.monotonic() + seconds, max_bytes)}

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
    # Said here, not left to the build: Debian's Python leaves the floor to openssl.cnf
    # (its minimum_version reads MINIMUM_SUPPORTED), a python.org build sets TLS 1.2.
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
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


def make_http_client(cfg: ApiConfig, transport: httpx.BaseTransport | None = None, *,
                     keep_warm: bool = False) -> httpx.Client:
    """The one httpx client: verified TLS, bounded timeouts, no automatic redirects.

    Idle connections are kept for KEEPALIVE_S, longer than the API's load balancer keeps
    them (60 s), so it is the server that ends one, not a shorter client-side timer
    (httpx's default is 5 s: nearly every shopper would have paid a new connection).
    `keep_warm` (the daemon) also keeps a spare connection to the API open ahead of need
    (`kiosk.api.spare`), when the API is reached directly over https://.

    `transport` is the seam for tests (httpx's `MockTransport`): everything else about
    the client (bounds, headers, no redirects) stays as the kiosk uses it; no spare.

    Raises ConfigError for a base URL that is not https:// (http:// only for loopback)
    or an unusable `api.ca_file`.
    """
    problem = url_problem(cfg.base_url)
    if problem is not None:
        raise ConfigError([f"api.base_url: {problem}"])
    timeout = httpx.Timeout(
        connect=cfg.connect_timeout_s, read=cfg.read_timeout_s, write=cfg.read_timeout_s,
        pool=cfg.connect_timeout_s,
    )
    ctx = trust_context(cfg.ca_file)
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=4,
                          keepalive_expiry=KEEPALIVE_S)
    spare = _spare_for(cfg, ctx) if keep_warm and transport is None else None
    if spare is not None:
        transport = _WarmTransport(ctx, limits, spare.start())
    # trust_env only picks the environment's proxies here: with an SSLContext given,
    # httpx reads no certificate variables, and it has no .netrc support to pick up.
    return httpx.Client(
        timeout=timeout, verify=ctx, follow_redirects=False,
        proxy=cfg.proxy or None, trust_env=not cfg.proxy,
        headers={"User-Agent": f"kiosk/{__version__}", "Accept": "application/json",
                 "Accept-Encoding": "gzip, deflate"},
        limits=limits,
        transport=transport,
        event_hooks=bounded_hooks(timeout),
    )


def bounded_hooks(timeout: httpx.Timeout) -> dict[str, list[Callable[..., Any]]]:
    """The event hooks that hold every request to its `Bounds` (see the module doc)."""
    return {"request": [_timed(timeout)], "response": [_bound_body]}


def _timed(default: httpx.Timeout) -> Callable[[httpx.Request], None]:
    def before_sending(request: httpx.Request) -> None:
        limits = request.extensions.get(BOUNDS)
        if not isinstance(limits, Bounds):
            limits = Bounds(time.monotonic() + DEFAULT_DEADLINE_S, JSON_MAX_BYTES)
            request.extensions[BOUNDS] = limits
        left = limits.deadline - time.monotonic()
        if left <= 0:
            raise TransportError(f"{request.url.path}: no time left before the deadline",
                                 code="deadline")
        wanted = request.extensions.get("timeout") or default.as_dict()
        request.extensions["timeout"] = {
            k: left if v is None else min(float(v), left) for k, v in wanted.items()}
        request.extensions["trace"] = _connection_watch(limits)

    return before_sending


def _connection_watch(limits: Bounds) -> Callable[[str, dict[str, Any]], None]:
    """httpcore's trace hook: note on `limits` whether the request goes out on a new
    connection. A spare (`kiosk.api.spare`) is new to the pool but was opened earlier:
    idle, like a pooled one."""
    opened = False

    def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal opened
        if event == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            opened = not (stream is not None and stream.get_extra_info(SPARE))
        elif event == "http11.send_request_headers.started":
            limits.fresh, opened = opened, False

    return trace


def _bound_body(response: httpx.Response) -> None:
    limits = response.request.extensions.get(BOUNDS)
    if not isinstance(limits, Bounds):  # a request that did not pass the request hook
        limits = Bounds(time.monotonic() + DEFAULT_DEADLINE_S, JSON_MAX_BYTES)
    limits.statuses.append(response.status_code)
    what = f"{response.request.url.path}: answer {response.status_code}"
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limits.max_bytes:
        raise AnswerRefused(f"{what} of {length} bytes, more than {limits.max_bytes}",
                            path=response.request.url.path, status=response.status_code,
                            code="answer_too_large")
    codings = [c.strip().lower() for c in
               response.headers.get_list("Content-Encoding", split_commas=True)]
    codings = [c for c in codings if c not in ("", "identity")]
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        raise AnswerRefused(f"{what} in an encoding the kiosk does not take "
                            f"({', '.join(codings)})", path=response.request.url.path,
                            status=response.status_code, code="answer_encoding")
    if codings:
        del response.headers["Content-Encoding"]  # decoded below, against the limit
    assert isinstance(response.stream, httpx.SyncByteStream)
    response.stream = _BoundedStream(response.stream, limits, bool(codings), what,
                                     response.request.url.path, response.status_code)


class _BoundedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, limits: Bounds, compressed: bool,
                 what: str, path: str, status: int) -> None:
        self._inner = inner
        self._limits = limits
        self._compressed = compressed
        self._what = what
        self._path = path
        self._status = status

    def _refused(self, problem: str, code: str) -> AnswerRefused:
        return AnswerRefused(f"{self._what}: {problem}", path=self._path, status=self._status,
                             code=code)

    def __iter__(self) -> Iterator[bytes]:
        limit = self._limits.max_bytes
        # wbits 47: zlib or gzip, whichever header the body has (deflate servers vary).
        decoder = zlib.decompressobj(47) if self._compressed else None
        wire = size = 0
        try:
            for chunk in self._inner:
                wire += len(chunk)
                if wire > limit:
                    raise self._refused(f"more than {limit} bytes", "answer_too_large")
                if decoder is not None:
                    piece = decoder.decompress(chunk, limit - size + 1)
                    if decoder.unconsumed_tail:
                        raise self._refused(f"more than {limit} bytes once decompressed",
                                            "answer_too_large")
                else:
                    piece = chunk
                size += len(piece)
                if size > limit:
                    raise self._refused(f"more than {limit} bytes", "answer_too_large")
                if piece:
                    yield piece
                if time.monotonic() > self._limits.deadline:
                    raise self._refused(f"still arriving at the deadline ({wire} bytes)",
                                        "answer_too_slow")
            if decoder is not None:
                tail = decoder.flush()
                if size + len(tail) > limit:
                    raise self._refused(f"more than {limit} bytes once decompressed",
                                        "answer_too_large")
                if tail:
                    yield tail
        except httpx.TimeoutException:
            raise self._refused(f"stalled after {wire} bytes", "answer_too_slow") from None
        except zlib.error as exc:
            raise self._refused(f"not valid gzip/deflate ({exc})", "answer_encoding") from None

    def close(self) -> None:
        self._inner.close()


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
