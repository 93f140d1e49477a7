"""The `Sandbox` object: start, stop and steer a local Retail Digitals API.

Defaults (the README quotes them): HTTPS with a CA made at start (`tls_files.ca_cert` is
what a client must trust), client id `rd_client_sandbox`, API key `sk_test_sandbox_key`,
500.0 credits, access tokens living 3600 s, 60 requests a minute and 10,000 a day, signed
image URLs living 900 s, idle connections closed after 60 s, rates 0.3 per scope, 1.0 per
image, 0.05 per HEAD, 1.0 per image redirect. The catalog is `build_catalog(seed)`.
"""

from __future__ import annotations

import datetime
import logging
import shutil
import ssl
import tempfile
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from kiosk.sandbox.catalog import DEFAULT_SEED, Product, build_catalog
from kiosk.sandbox.endpoints import API_PREFIX, Endpoints
from kiosk.sandbox.faults import FaultPlan
from kiosk.sandbox.images import ImageStore
from kiosk.sandbox.ledger import LedgerEntry
from kiosk.sandbox.ratelimit import RateLimiter
from kiosk.sandbox.server import SandboxServer
from kiosk.sandbox.state import Pricing, State, Wallet

if TYPE_CHECKING:
    from kiosk.sandbox.tls import TlsFiles

__all__ = ["DEFAULT_API_KEY", "DEFAULT_CLIENT_ID", "Sandbox"]

logger = logging.getLogger(__name__)

DEFAULT_CLIENT_ID = "rd_client_sandbox"
DEFAULT_API_KEY = "sk_test_sandbox_key"


class Sandbox:
    """A strict stand-in for the Retail Digitals API on a real TCP port.

    `start()` serves from a background thread; every control below is safe to call while
    clients are talking to it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        api_key: str = DEFAULT_API_KEY,
        balance: float = 500.0,
        access_ttl: float = 3600,
        rpm: int = 60,
        rpd: int = 10_000,
        seed: int = DEFAULT_SEED,
        image_url_ttl: float = 900.0,
        pricing: Pricing | None = None,
        tls: bool = True,
        tls_dir: Path | str | None = None,
        names: Iterable[str] = (),
        idle_timeout: float | None = 60.0,
        tls_valid_from: datetime.datetime | None = None,
    ) -> None:
        """`tls_dir`: where the CA and server certificate go (default: a temporary
        directory removed with the sandbox); `names`: host names and IPs clients use to
        reach it besides the loopback ones and `host` (the certificate's SANs);
        `tls_valid_from`: when the certificates' 30 days start (default: now)."""
        catalog = build_catalog(seed)
        self._state = State(
            client_id=client_id, api_key=api_key, access_ttl=access_ttl, catalog=catalog,
            wallet=Wallet(balance), limiter=RateLimiter(rpm, rpd), images=ImageStore(catalog),
            image_url_ttl=image_url_ttl, pricing=pricing or Pricing(),
        )
        self._endpoints = Endpoints(self._state)
        self._host, self._port = host, port
        self._idle_timeout = idle_timeout
        self.tls_files: TlsFiles | None = None
        self._client_ctx: ssl.SSLContext | None = None
        if tls:
            from kiosk.sandbox.tls import make_certificates  # needs kiosk[sandbox]

            if tls_dir is None:
                tls_dir = tempfile.mkdtemp(prefix="kiosk-sandbox-tls-")
                weakref.finalize(self, shutil.rmtree, tls_dir, True)
            self.tls_files = make_certificates(tls_dir, [host, *names], tls_valid_from)
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Sandbox:
        with self._lock:
            if self._server is None:
                self._listen()
        return self

    def stop(self) -> None:
        with self._lock:
            self._close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def restart(self) -> None:
        """Cut every connection and forget every token and signed URL; same port."""
        with self._lock:
            self._close()
            self._state.tokens.forget_all()
            self._state.signer.new_secret()
            self._listen()

    def set_online(self, online: bool) -> None:
        """Offline: connections are cut and new ones refused (the port stays reserved)."""
        with self._lock:
            if online and self._server is None:
                self._listen()
            elif not online:
                self._close()

    def _listen(self) -> None:
        tls = self.tls_files.server_context() if self.tls_files is not None else None
        self._server = SandboxServer((self._host, self._port), self._endpoints, tls=tls,
                                     idle_timeout=self._idle_timeout)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"sandbox-{self._port}", daemon=True)
        self._thread.start()
        logger.info("sandbox listening on %s", self.base_url)

    def _close(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.cut_connections()
        if thread is not None:
            thread.join(timeout=5)

    # --- where it is ----------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def scheme(self) -> str:
        return "https" if self.tls_files is not None else "http"

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host
        return f"{self.scheme}://{host}:{self._port}{API_PREFIX}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What an httpx client needs to trust this sandbox (`verify=`): its CA only."""
        if self.tls_files is None:
            return True
        if self._client_ctx is None:
            self._client_ctx = self.tls_files.client_context()
        return self._client_ctx

    @property
    def ca_file(self) -> Path | None:
        """The CA certificate a client must trust (None for plain HTTP)."""
        return self.tls_files.ca_cert if self.tls_files is not None else None

    @property
    def client_id(self) -> str:
        return self._state.client_id

    @property
    def api_key(self) -> str:
        return self._state.api_key

    @property
    def catalog(self) -> dict[str, Product]:
        return self._state.catalog

    # --- controls -------------------------------------------------------------------------

    @property
    def faults(self) -> FaultPlan:
        return self._state.faults

    @property
    def access_ttl(self) -> float:
        return self._state.access_ttl

    @access_ttl.setter
    def access_ttl(self, seconds: float) -> None:
        self._state.access_ttl = seconds

    @property
    def image_url_ttl(self) -> float:
        return self._state.image_url_ttl

    @image_url_ttl.setter
    def image_url_ttl(self, seconds: float) -> None:
        self._state.image_url_ttl = seconds

    @property
    def pricing(self) -> Pricing:
        return self._state.pricing

    @pricing.setter
    def pricing(self, pricing: Pricing) -> None:
        self._state.pricing = pricing

    @property
    def balance(self) -> float:
        return self._state.wallet.balance

    def set_balance(self, credits: float) -> None:
        self._state.wallet.set(credits)

    def top_up(self, credits: float) -> float:
        return self._state.wallet.top_up(credits)

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock forward: tokens, signed URLs and rate windows age."""
        self._state.clock.advance(seconds)

    def rotate_key(self, new_key: str) -> None:
        """The web UI's "Rotate": the old key and every token issued from it die at once."""
        with self._state.key_lock:
            self._state.api_key = new_key
        self._state.tokens.forget_all()

    def revoke_refresh_tokens(self) -> None:
        self._state.tokens.revoke_refresh()

    def expire_access_tokens(self) -> None:
        self._state.tokens.expire_access(self._state.clock.now())

    # --- what happened --------------------------------------------------------------------

    @property
    def open_connections(self) -> int:
        """Client connections whose handler has not finished (0 when offline)."""
        server = self._server
        return server.open_connections() if server is not None else 0

    @property
    def requests_in_flight(self) -> int:
        """Requests read and not yet answered (a latency fault holds them here)."""
        server = self._server
        return server.requests_in_flight() if server is not None else 0

    @property
    def ledger(self) -> list[LedgerEntry]:
        return self._state.ledger.entries()

    def clear_ledger(self) -> None:
        self._state.ledger.clear()

    def credits_spent(self, barcode: str | None = None) -> float:
        """Credits charged so far: in all, or for the requests about `barcode`."""
        entries = self._state.ledger.entries() if barcode is None else self.charges_for(barcode)
        return round(sum(e.credits for e in entries), 6)

    def charges_for(self, barcode: str) -> list[LedgerEntry]:
        """Every charged request about `barcode` (lookups, HEADs, redirects)."""
        return [e for e in self._state.ledger.entries() if e.barcode == barcode and e.credits]

    def request_count(self, path_prefix: str | None = None) -> int:
        """Requests answered (drops included) whose path starts with the prefix, with or
        without `/api/v1`."""
        entries = self._state.ledger.entries()
        if path_prefix is None:
            return len(entries)
        return sum(1 for e in entries if e.path.startswith(path_prefix)
                   or e.path[len(API_PREFIX):].startswith(path_prefix))

    def image_downloads(self, barcode: str | None = None) -> list[LedgerEntry]:
        """Successful signed-URL downloads, optionally for one barcode."""
        return [e for e in self._state.ledger.entries()
                if e.path.startswith(API_PREFIX + "/image/") and e.status == 200
                and (barcode is None or e.barcode == barcode)]
