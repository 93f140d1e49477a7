"""The request plumbing every endpoint of `ApiClient` goes through.

`_send` is the one way to the API: it waits for a rate-limit slot (`Pacer`, from the
API's headers), gives the request its deadline and byte limit (`Bounds`, enforced by
the transport), turns every httpx failure into a typed `ApiError` (`kiosk.api._failures`)
and parses the body once. Around it, the state the daemon and `kiosk status` read
(`ClientState`): whether the API answers (`on_link` hears of a change, from the
requesting thread), the credits remaining from every answer (one warning below the
threshold), the last error, and the TLS guidance logged once per outage; and the
spending guard's reservations (`_reserve`, `_charged`, `_release`).

The endpoints (`kiosk.api.client`) decide what to ask and what an answer costs.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from kiosk.api._failures import mark_sent, no_link, short, transport_error
from kiosk.api.auth import TokenAuth
from kiosk.api.errors import (
    AnswerRefused,
    ApiError,
    ClockWrong,
    RateLimited,
    ServerError,
    SpendLimited,
    TransportError,
    UntrustedCertificate,
)
from kiosk.api.pacing import Pacer
from kiosk.api.pricing import Pricing
from kiosk.api.responses import error_from_response, json_body, request_id
from kiosk.api.spending import Reservation, SpendGuard
from kiosk.api.transport import BOUNDS, JSON_MAX_BYTES, Bounds
from kiosk.clock import NTP_ADVICE, SKEW_WARN_S, Clock, describe_span, skew_from_date, utc_text

__all__ = ["Body", "ClientState", "Requests"]

logger = logging.getLogger(__name__)

Body = dict[str, Any] | None


@dataclass
class ClientState:
    """What the staff screen and `kiosk status` show about the API."""

    credits_remaining: float | None = None
    last_error: str | None = None
    last_request_id: str | None = None
    low_balance_warned: bool = False
    tls_warned: bool = False  # the "certificate not trusted" guidance was logged
    reachable: bool | None = None  # did the last request to the API get an answer?
    last_answer_at: float | None = None  # Unix time of the last answer from the API
    pricing: Pricing = field(default_factory=Pricing)
    pricing_read_at: float | None = None  # monotonic
    pricing_tried_at: float | None = None
    clock_skew: float | None = None  # the kiosk's wall clock minus the API's Date, last answer
    clock_warned: bool = False  # the skew is over SKEW_WARN_S and that was logged


class Requests:
    """Sending, link state and credit tracking; `ApiClient` adds the endpoints.

    Thread-safe: the daemon's scan worker and queue drainer share one instance.
    """

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        auth: TokenAuth,
        *,
        deadline_s: float = 10.0,
        low_balance: float = 50.0,
        retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        spend: SpendGuard | None = None,
        wall: Clock = time.time,
    ) -> None:
        self._http = http
        self._wall = wall
        self.spend = spend
        self._base = base_url.rstrip("/")
        self.auth = auth
        self._deadline_s = deadline_s
        self._low_balance = low_balance
        self._retries = retries
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.pacer = Pacer(clock=clock)
        self.state = ClientState()
        self._state_lock = threading.Lock()
        self._retrying = threading.local()  # `.on` while `buy` retries a call
        self.on_link: Callable[[bool, str | None], None] | None = None
        """Called (from the requesting thread) when the API starts or stops answering:
        `(True, None)` after any answer, `(False, reason)` when a request found no way
        through. The daemon's online state is this, not a guess from a scan's outcome."""

    def _send(
        self, method: str, path: str, *, deadline: float, params: dict[str, str] | None = None,
        expect: int = 200,
    ) -> tuple[httpx.Response, Body]:
        """The answer and its body as a JSON object (parsed once, here), or a typed error."""
        wait = self.pacer.delay()
        if wait > 0:
            if self._clock() + wait >= deadline:
                raise RateLimited(f"rate limit budget spent; next slot in {wait:.1f} s",
                                  retry_after=wait, code="paced")
            self._sleep(wait)
        self.pacer.sent()
        extensions = self._bounds(deadline, JSON_MAX_BYTES)
        try:
            response = self._http.request(
                method, self._base + path, params=params, auth=self.auth,
                extensions=extensions,
            )
        # Raised inside each handler: the exception's traceback holds httpx's auth flow,
        # whose `finally` ends a token renewal only once the traceback is let go.
        except httpx.TimeoutException as exc:
            raise self._no_answer(mark_sent(exc, extensions[BOUNDS],
                no_link(exc) if isinstance(exc, httpx.ConnectTimeout)
                else TransportError(f"{path}: timed out ({type(exc).__name__})"))) from None
        except httpx.HTTPError as exc:
            raise self._no_answer(mark_sent(exc, extensions[BOUNDS],
                                        transport_error(exc, path))) from None
        except ApiError as exc:  # the token flow (refused key, 5xx), a body out of bounds
            raise self._no_answer(exc) from None
        self._saw_link(True, None)
        self._observe_date(response)
        try:
            body = json_body(response)
        except AnswerRefused as exc:
            raise self._failed(exc) from None
        self.pacer.observe(response.headers)
        self._track(response, body)
        if response.status_code == expect:
            return response, body
        error = (error_from_response(response, body) if response.status_code >= 400
                 else ServerError(f"{path}: unexpected {response.status_code}",
                                  status=response.status_code))
        if isinstance(error, RateLimited):
            self.pacer.hold_off(error.retry_after)
        raise self._failed(error)

    @property
    def clock_skew(self) -> float | None:
        """The kiosk's wall clock minus the API's `Date` at the last answer, in seconds
        (positive: the kiosk is ahead); None until an answer carried a usable Date."""
        return self.state.clock_skew

    def _observe_date(self, response: httpx.Response) -> None:
        """Measure the clock against the answer's `Date`; one journal line when the skew
        goes over `SKEW_WARN_S`, one when it is back under (not one per answer)."""
        now = self._wall()
        skew = skew_from_date(response.headers.get("Date"), now)
        if skew is None:
            return
        over = abs(skew) > SKEW_WARN_S
        with self._state_lock:
            self.state.clock_skew = skew
            changed = over is not self.state.clock_warned
            self.state.clock_warned = over
        if changed and over:
            logger.warning("the kiosk's clock is %s %s the API's (it says %s): TLS "
                           "certificates and the API's day depend on it; %s",
                           describe_span(skew), "ahead of" if skew > 0 else "behind",
                           utc_text(now), NTP_ADVICE)
        elif changed:
            logger.warning("the kiosk's clock agrees with the API's again (%s %s)",
                           describe_span(skew), "ahead" if skew > 0 else "behind")

    def _stamp_now(self) -> float:
        """The wall time paid answers are stamped on: the spending guard's (the store's
        clock in the daemon, which a step of the wall clock does not move), else the
        wall clock's."""
        return self.spend.wall() if self.spend is not None else self._wall()

    def _spent(self, credits: float) -> None:
        if self.spend is not None:
            self.spend.spent(credits)

    def _reserve(self, price: float) -> Reservation | None:
        if self.spend is None:
            return None
        try:
            return self.spend.reserve(price)
        except SpendLimited as exc:
            raise self._failed(exc) from None

    def _release(self, reservation: Reservation | None) -> None:
        if self.spend is not None:
            self.spend.release(reservation)

    def _charged(self, reservation: Reservation | None, credits: float) -> None:
        """An attempt that may have been charged: counted and written down first."""
        if self.spend is not None:
            self.spend.settle(reservation, credits)

    def _bounds(self, deadline: float, max_bytes: int) -> dict[str, Any]:
        # The deadline is on this client's clock; the transport's hooks use the real one.
        left = max(0.0, deadline - self._clock())
        return {BOUNDS: Bounds(time.monotonic() + left, max_bytes)}

    def _no_answer(self, failure: ApiError) -> ApiError:
        """A request that got no usable answer: note what the wire saw, then `_failed`.

        A refused key or a 5xx from the token call is the API answering; a failure
        a retry in `buy` may still cure is told only if it is the last.
        """
        answered = not isinstance(failure, TransportError)
        if answered or not getattr(self._retrying, "on", False):
            self._saw_link(answered, failure.reason)
        return self._failed(failure)

    def _saw_link(self, answered: bool, reason: str | None) -> None:
        """Note whether a request to the API got an answer; tell `on_link` of a change.

        Only requests to the API count: a photo's signed URL may live on another host.
        """
        with self._state_lock:
            changed = self.state.reachable is not answered
            self.state.reachable = answered
            if answered:
                self.state.last_answer_at = time.time()
        if changed and self.on_link is not None:
            self.on_link(answered, None if answered else reason)

    def _failed(self, error: ApiError) -> ApiError:
        with self._state_lock:
            self.state.last_error = short(error)
            warn = isinstance(error, UntrustedCertificate) and not self.state.tls_warned
            self.state.tls_warned |= warn
        if warn and isinstance(error, ClockWrong):
            skew = self.state.clock_skew
            known = ("" if skew is None or abs(skew) <= SKEW_WARN_S else
                     f", {describe_span(skew)} {'ahead of' if skew > 0 else 'behind'} the "
                     "API's at its last answer")
            logger.error("%s (not a missing CA). It says %s%s; set it right: %s. Scans are "
                         "saved until then.", error,
                         utc_text(self._wall()), known, NTP_ADVICE)
        elif warn:
            logger.error("%s. If this network inspects TLS, install its CA certificate: copy it "
                         "to /usr/local/share/ca-certificates/<name>.crt, run "
                         "`sudo update-ca-certificates`, then `sudo systemctl restart kiosk` "
                         "(or name the file in api.ca_file). Scans are saved until then.",
                         error)
        return error

    def _json(self, response: httpx.Response, body: Body) -> dict[str, Any]:
        if body is None:
            raise self._failed(ServerError(
                f"{response.request.url.path}: answer is not JSON", status=response.status_code,
                code="bad_json", request_id=response.headers.get("X-Request-Id")))
        return body

    def _debited(self, body: dict[str, Any]) -> float | None:
        meta = body.get("meta")
        value = meta.get("credits_debited") if isinstance(meta, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        value = float(value)
        return value if math.isfinite(value) and 0 <= value < 1e6 else None

    def _track(self, response: httpx.Response, body: Body) -> None:
        """Credits remaining from every response; warn once below the threshold."""
        meta = body.get("meta") if body else None
        remaining = meta.get("credits_remaining") if isinstance(meta, dict) else None
        with self._state_lock:
            st = self.state
            st.last_request_id = request_id(response, body) or st.last_request_id
            st.tls_warned = False  # an answer came through: TLS works again
            if response.status_code < 400:
                st.last_error = None
            if (not isinstance(remaining, int | float) or isinstance(remaining, bool)
                    or not math.isfinite(remaining)):
                return
            st.credits_remaining = float(remaining)
            if remaining < self._low_balance and not st.low_balance_warned:
                st.low_balance_warned = True
                logger.warning("low balance: %.2f credits remaining (warning below %.2f); "
                               "top up at Retail Digitals billing", remaining, self._low_balance)
            elif remaining >= self._low_balance and st.low_balance_warned:
                st.low_balance_warned = False
                logger.info("balance back above %.2f: %.2f credits", self._low_balance, remaining)
