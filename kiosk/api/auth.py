"""Bearer-token authentication as an `httpx.Auth` flow that never lets a token lapse.

The flow (a generator, as httpx's own `DigestAuth`) attaches the access token; when the
token is within its refresh margin it first renews it, and when a request still comes
back 401 `token_expired`/`invalid_token` it renews and re-sends that request once.

Renewal tries the refresh token, then falls back to `client_id` + `api_key`. If the
API refuses the credentials themselves (`invalid_client`: the key was rotated or is
wrong) the flow stops asking: later calls fail at once with `CredentialsRefused` until
a back-off has passed or the key file holds a different key, so a kiosk with a dead
key neither hammers the API nor floods the journal.

Renewal is single-flight: however many threads need a token at once, exactly one
refresh is in flight and the others wait for its result. No lock is held across the
network: the lock only decides who renews, the others wait on an event for at most
their own request's deadline. The token calls inherit that deadline and byte limit
(`kiosk.api.transport.BOUNDS`) from the request that needed the token, so they are
bounded like any other call.

Which clock: a token's lifetime (`expires_in`) and a refused key's back-off are spans
from now, so they run on the **monotonic** clock (`clock`): a step of the wall clock
(a Pi's NTP after a boot at 1970) neither throws away a good token (a step forward)
nor keeps a dead one, or a refusal, for a year (a step back). The wall clock (`wall`)
only turns the expiry into a Unix time for `kiosk status` and the metrics.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx

from kiosk.api._credentials import Secret
from kiosk.api.errors import ApiError, CredentialsRefused, ServerError, TransportError
from kiosk.api.responses import error_code, error_from_response, json_body
from kiosk.api.tokens import AccessToken, RefreshTokenFile
from kiosk.api.transport import BOUNDS, DEFAULT_DEADLINE_S, Bounds
from kiosk.backoff import Backoff
from kiosk.errors import ConfigError

__all__ = ["TokenAuth"]

logger = logging.getLogger(__name__)

Flow = Generator[httpx.Request, httpx.Response, Any]
RENEW_ON = frozenset({"token_expired", "invalid_token"})


@dataclass
class _Refusal:
    fingerprint: str
    until: float


class _Renewal:
    """One renewal in flight: the others wait on `done` and take its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.token: AccessToken | None = None
        self.error: ApiError | None = None


class TokenAuth(httpx.Auth):
    requires_response_body = True

    def __init__(
        self,
        base_url: str,
        client_id: str,
        api_key: Callable[[], Secret],
        token_file: RefreshTokenFile | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        refused_backoff: Backoff | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._client_id = client_id
        self._api_key = api_key
        self._token_file = token_file
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self._access: AccessToken | None = None
        self._refresh: str | None = token_file.load() if token_file else None
        self._refusal: _Refusal | None = None
        self._renewal: _Renewal | None = None
        self._no_key: str | None = None
        self._refused_backoff = refused_backoff or Backoff(base=15.0, cap=900.0)
        self.exchanges = 0
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"TokenAuth(client_id={self._client_id!r})"

    # --- what the rest of the kiosk may see ----------------------------------------

    @property
    def expires_at(self) -> float | None:
        """When the access token expires, in Unix time (as the wall clock reads now)."""
        token = self._access
        return self._wall() + (token.expires_at - self._clock()) if token else None

    @property
    def credentials_refused(self) -> bool:
        return self._refusal is not None

    # --- the flow ---------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Flow:
        token = yield from self._current(request)
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code == 401 and error_code(response) in RENEW_ON:
            logger.info("access token refused (%s); renewing and re-sending once",
                        error_code(response))
            token = yield from self._renew(request, stale=token)
            request.headers["Authorization"] = f"Bearer {token.value}"
            yield request

    def _current(self, parent: httpx.Request) -> Flow:
        token = self._access
        if token is not None and token.usable(self._clock(), self._margin(token)):
            return token
        return (yield from self._renew(parent, stale=token))

    def _renew(self, parent: httpx.Request, stale: AccessToken | None) -> Flow:
        with self._lock:
            token = self._access
            if token is not None and token is not stale and token.usable(self._clock(), 0):
                return token  # another thread renewed meanwhile
            running = self._renewal
            if running is None:
                mine = self._renewal = _Renewal()
                self._access = None
        if running is not None:
            return self._wait_for(running, parent)
        try:
            token = None
            if self._refresh is not None:
                token = yield from self._use_refresh_token(parent)
            if token is None:
                token = yield from self._exchange(parent)
            mine.token = token
            return token
        except ApiError as exc:
            mine.error = exc
            raise
        except BaseException:  # the flow was closed (the request failed) or a bug
            mine.error = TransportError("token renewal did not finish", code="token_renewal")
            raise
        finally:
            with self._lock:
                self._renewal = None
            mine.done.set()

    def _wait_for(self, running: _Renewal, parent: httpx.Request) -> AccessToken:
        limits = parent.extensions.get(BOUNDS)
        deadline = limits.deadline if isinstance(limits, Bounds) else (
            time.monotonic() + DEFAULT_DEADLINE_S)
        if not running.done.wait(max(0.0, deadline - time.monotonic())):
            raise TransportError("another request is still renewing the token",
                                 code="token_renewal")
        if running.token is not None:
            return running.token
        # As concurrent.futures does: every waiter raises the renewer's own exception.
        raise running.error or TransportError("token renewal failed", code="token_renewal")

    def _use_refresh_token(self, parent: httpx.Request) -> Flow:
        assert self._refresh is not None
        response = yield self._post("/auth/refresh", {"refresh_token": self._refresh}, parent)
        if response.status_code == 200:
            self.refreshes += 1
            return self._accept(response)
        if response.status_code in (400, 401):
            logger.warning("refresh token refused (%s); signing in again with the API key",
                           error_code(response) or response.status_code)
            self._refresh = None
            if self._token_file is not None:
                self._token_file.clear()
            return None
        raise error_from_response(response)

    def _exchange(self, parent: httpx.Request) -> Flow:
        try:
            key = self._api_key()
        except ConfigError as exc:
            problem = exc.problems[-1]
            if problem != self._no_key:
                logger.error("no API key: %s", problem)  # once, not on every scan
                self._no_key = problem
            raise CredentialsRefused(f"no API key: {problem}", code="no_api_key") from None
        self._no_key = None
        fingerprint = hashlib.sha256(key.reveal().encode()).hexdigest()
        refusal = self._refusal
        if refusal is not None and refusal.fingerprint == fingerprint:
            if self._clock() < refusal.until:
                raise CredentialsRefused(
                    "API key refused (invalid_client); waiting for a new key",
                    status=401, code="invalid_client",
                )
        elif refusal is not None:
            logger.info("API key file changed; signing in with the new key")
        response = yield self._post(
            "/auth/token", {"client_id": self._client_id, "api_key": key.reveal()}, parent
        )
        if response.status_code == 200:
            self.exchanges += 1
            if self._refusal is not None:
                logger.warning("API credentials accepted again")
            self._refusal = None
            self._refused_backoff.reset()
            return self._accept(response)
        if response.status_code in (400, 401):
            wait = max(5.0, self._refused_backoff.next_delay())
            if self._refusal is None:
                logger.error(
                    "API credentials refused (%s): the API key is wrong or was rotated; "
                    "put the current key in the key file. Retrying in %.0f s or when the "
                    "key file changes.", error_code(response) or response.status_code, wait,
                )
            self._refusal = _Refusal(fingerprint, self._clock() + wait)
            raise CredentialsRefused(
                "API key refused (invalid_client)", status=response.status_code,
                code=error_code(response) or "invalid_client",
            )
        raise error_from_response(response)

    def _accept(self, response: httpx.Response) -> AccessToken:
        body = json_body(response)
        if (body is None or not isinstance(body.get("access_token"), str)
                or not isinstance(body.get("refresh_token"), str)
                or not body["access_token"] or not body["refresh_token"]):
            raise ServerError("token response is not the expected JSON", status=200)
        refresh = body["refresh_token"]
        # The new refresh token is stored before anything uses the new access token:
        # the old one is already dead.
        if self._token_file is not None:
            try:
                self._token_file.save(refresh)
            except OSError as exc:
                logger.warning("could not store the refresh token (%s); keeping it in memory",
                               exc.strerror or type(exc).__name__)
        self._refresh = refresh
        token = AccessToken.from_response(body, self._clock())
        self._access = token
        return token

    def _post(self, path: str, payload: dict[str, str], parent: httpx.Request) -> httpx.Request:
        # The same deadline and byte limit as the request that needs the token.
        extensions = {k: v for k, v in parent.extensions.items() if k in (BOUNDS, "timeout")}
        return httpx.Request("POST", self._base + path, json=payload, extensions=extensions)

    @staticmethod
    def _margin(token: AccessToken) -> float:
        """Renew when less than a fifth of the lifetime (at most 5 minutes) is left."""
        return min(300.0, 0.2 * (token.expires_at - token.issued_at))
