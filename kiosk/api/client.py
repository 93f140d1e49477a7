"""The Retail Digitals client: the cheapest lookup that still draws a card.

A lookup is exactly one metered call,
``GET /products/{barcode}?include=product_meta,images&variants=front`` (one scope and
one image URL: 1.3 credits at the default rates, against up to 4.6 for a default call),
then the download of the front image from its signed URL by this same client, so from
this device's own IP. A signed URL that answers 403 (our IP changed between the two
calls, e.g. Wi-Fi to LTE) or 410 (used or expired) is replaced once through the 302
endpoint. Nothing else is fetched per scan.

The two are separate steps (`buy`, then `photo`), because credits are money: `buy`
hands the paid answer to its `record` callback (the caller's one transaction and
fsync) as soon as its JSON parses, before the photo is asked for. Its price is reserved
with the spending guard before the request goes out (`SpendGuard.reserve`). Every
attempt that may have been charged is counted at the lookup price: a read timeout or a
reset after the request went out, a 200 cut short or not JSON. Such a request is
retried at most once; after that the answer is a `BadAnswer`, never queued nor retried,
as asking again would buy it again. A failure before the request went out (no
connection, a 4xx, a 5xx: the contract charges none of these) costs nothing.

The whole lookup has one wall-clock deadline and every body a byte limit
(`kiosk.api.transport`), so a scan never hangs on the network or fills memory; the
caller queues what fails with a `RetryableError`. Requests are paced from the API's
rate-limit headers. `account` reads the free `/account` so the guard can reconcile
its count with the API's (`credits_spent_today`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import httpx

from kiosk import config as config_mod
from kiosk.api._credentials import resolve_api_key
from kiosk.api.auth import TokenAuth
from kiosk.api.backoff import Backoff
from kiosk.api.errors import (
    AnswerRefused,
    ApiError,
    BadAnswer,
    ProxyRefused,
    RateLimited,
    ServerError,
    SpendLimited,
    TransportError,
    UntrustedCertificate,
)
from kiosk.api.pacing import Pacer
from kiosk.api.pricing import Pricing
from kiosk.api.responses import error_code, error_from_response, json_body, request_id
from kiosk.api.spending import Ledger, Reservation, SpendGuard
from kiosk.api.tokens import RefreshTokenFile
from kiosk.api.transport import BOUNDS, JSON_MAX_BYTES, Bounds
from kiosk.config import Config, url_problem
from kiosk.errors import StoreError
from kiosk.imagecheck import MAX_IMAGE_BYTES, image_problem
from kiosk.product import Product

__all__ = ["ApiClient", "LookupResult", "client_for"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Body = dict[str, Any] | None
Charged = Literal["yes", "maybe", "no"]

LOOKUP_PARAMS = {"include": "product_meta,images", "variants": "front"}
PRICING_MAX_AGE_S = 24 * 3600.0
PRICING_RETRY_S = 600.0
SIGNED_URL_LIFE_S = 840.0
"""A signed URL lives 15 minutes (the contract); it is not tried in its last minute."""


@dataclass(frozen=True)
class LookupResult:
    """One product as the card needs it, and what it cost."""

    barcode: str
    product: Product  # made once here, from the answer: sanitized and typed
    image: bytes | None  # the front image, complete and of a known kind, or None
    credits: float
    request_id: str | None
    image_note: str  # "ok", "none" (no front image exists) or why it is missing
    front_url: str | None = None  # the signed URL of the photo, as the answer gave it
    url_expires_at: float | None = None  # Unix time after which it is not tried
    paid_at: float = 0.0  # Unix time the answer was recorded as paid


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


def client_for(cfg: Config, http: httpx.Client, ledger: Ledger | None = None) -> ApiClient:
    """The client as the daemon and `kiosk lookup` both use it, from the configuration.

    Raises ConfigError when no client id is configured. The API key is read when a
    token is needed, so a key file replaced after a rotation is picked up. `ledger`
    keeps the spending guard's count across restarts (the store's `spending`).
    """
    client_id = config_mod.resolve_client_id(cfg)
    auth = TokenAuth(cfg.api.base_url, client_id, lambda: resolve_api_key(cfg),
                     RefreshTokenFile(cfg.storage.state_dir))
    guard = SpendGuard(cfg.api.max_credits_per_hour, cfg.api.max_credits_per_day, ledger)
    return ApiClient(http, cfg.api.base_url, auth, deadline_s=cfg.api.lookup_deadline_s,
                     low_balance=cfg.api.low_balance_warning, spend=guard)


class ApiClient:
    """Thread-safe: the daemon's scan worker and queue drainer share one instance."""

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
    ) -> None:
        self._http = http
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

    # --- public calls ----------------------------------------------------------------

    def lookup(self, barcode: str,
               on_data: Callable[[LookupResult], None] | None = None,
               record: Callable[[LookupResult], None] | None = None) -> LookupResult:
        """Product + front image for a normalized barcode, or a typed ApiError.

        `buy` then `photo`: `record` gets the paid answer first, then `on_data` (the
        product without its photo, so a card can be drawn a round trip earlier; not
        called when there is no photo to wait for), then the photo is downloaded.
        """
        deadline = self._clock() + self._deadline_s
        paid = self.buy(barcode, record, deadline=deadline)
        if not paid.front_url:
            return paid
        if on_data is not None:
            on_data(paid)
        image, note, extra = self.photo(barcode, paid.front_url, paid.url_expires_at,
                                        deadline=deadline)
        return dataclasses.replace(paid, image=image, image_note=note,
                                   credits=round(paid.credits + extra, 6))

    def buy(self, barcode: str, record: Callable[[LookupResult], None] | None = None,
            *, deadline: float | None = None) -> LookupResult:
        """The paid product answer (no image yet, `image_note` "pending" or "none").

        `record(answer)` is called as soon as the answer parses, and its spend is
        counted with it: it is the caller's durable write of the answer and its spend
        (a `StoreError` from it is logged and the spend written down alone).
        """
        if deadline is None:
            deadline = self._clock() + self._deadline_s
        path = f"/products/{barcode}"
        price = self.state.pricing.product_cost(scopes=1, images=1)
        reservation = self._reserve(price)  # before anything is sent, even /pricing
        try:
            self.refresh_pricing(deadline=deadline, when_due=True)
        except BaseException:
            self._release(reservation)
            raise
        backoff = Backoff(base=0.1, cap=1.0, rng=self._rng)
        retries = charged = 0
        self._retrying.on = True
        try:
            while True:
                if reservation is None or reservation.settled:
                    reservation = self._reserve(price)
                try:
                    response, body = self._send("GET", path, params=LOOKUP_PARAMS,
                                                deadline=deadline)
                    body = self._json(response, body)
                except (TransportError, ServerError) as exc:
                    kind = _charged_kind(exc, path)
                    if kind == "no":
                        self._release(reservation)
                        if exc.code in ("connect", "deadline") or isinstance(
                                exc, UntrustedCertificate | ProxyRefused):
                            raise
                        retries += 1
                    else:
                        self._charged(reservation, price)
                        charged += 1
                        logger.warning("the answer for %s %s charged for and did not arrive "
                                       "whole (%s); %.2f credits counted", barcode,
                                       "was" if kind == "yes" else "may have been",
                                       _short(exc), price)
                        no_time = self._clock() + 0.1 >= deadline
                        if (charged > 1 or no_time) and kind == "maybe":
                            assert isinstance(exc, TransportError)
                            exc.maybe_charged = True
                            raise
                        if charged > 1 or no_time or isinstance(exc, AnswerRefused):
                            raise self._failed(BadAnswer(
                                f"the answer for {barcode} was charged for and cannot be "
                                f"used ({_short(exc)})", status=exc.status or 200,
                                code=exc.code or "bad_answer",
                                request_id=exc.request_id)) from None
                    wait = backoff.next_delay()
                    if retries > self._retries or self._clock() + wait >= deadline:
                        raise
                    logger.info("retrying after %s", _short(exc))
                    self._sleep(wait)
                    continue
                except BaseException:
                    self._release(reservation)
                    raise
                return self._paid(barcode, response, body, reservation, price, record)
        except TransportError as exc:  # a reset a retry cured is no network loss
            self._saw_link(False, exc.reason)
            raise
        finally:
            self._retrying.on = False

    def _paid(self, barcode: str, response: httpx.Response, body: dict[str, Any],
              reservation: Reservation | None, price: float,
              record: Callable[[LookupResult], None] | None) -> LookupResult:
        """The answer as a `LookupResult`, recorded with its spend before it is returned."""
        try:
            paid = self._answer(barcode, response, body)
        except Exception as exc:  # credits are spent: never let it become a retry loop
            self._charged(reservation, price)
            logger.exception("the answer for %s was charged for and could not be read",
                             barcode)
            raise self._failed(BadAnswer(
                f"the answer for {barcode} could not be read ({type(exc).__name__})",
                status=200, code="bad_answer", request_id=request_id(response, body))
            ) from None
        written: list[LookupResult] = []

        def write(at: float, credits: float) -> None:
            written.append(dataclasses.replace(
                paid, paid_at=at,
                url_expires_at=at + SIGNED_URL_LIFE_S if paid.front_url else None))
            if record is not None:
                record(written[-1])

        if self.spend is not None:
            self.spend.settle(reservation, paid.credits, write if record else None)
        if not written:
            try:
                write(time.time(), paid.credits)
            except StoreError as exc:  # as the guard does: the answer is still shown
                logger.warning("the paid answer for %s could not be written down (%s)",
                               barcode, exc)
        return written[-1]

    def _answer(self, barcode: str, response: httpx.Response, body: dict[str, Any]
                ) -> LookupResult:
        meta = body.get("product_meta")
        images = body.get("images") or {}
        front_url = images.get("front") if isinstance(images, dict) else None
        credits = self._debited(body)
        pricing = self.state.pricing
        expected = pricing.product_cost(scopes=1 if meta is not None else 0,
                                        images=1 if front_url else 0)
        if credits is not None and abs(credits - expected) > 1e-6:
            logger.warning("barcode %s cost %.2f credits, expected %.2f at %s",
                           barcode, credits, expected, pricing.describe())
        spent = credits if credits is not None else expected
        product = dataclasses.replace(Product.from_api(body, barcode=barcode),
                                      has_front_image=bool(front_url))
        url = front_url if isinstance(front_url, str) and front_url else None
        return LookupResult(barcode, product, None, round(spent, 6),
                            request_id(response, body), "pending" if url else "none",
                            front_url=url)

    def photo(self, barcode: str, url: str | None, expires_at: float | None,
              *, deadline: float | None = None) -> tuple[bytes | None, str, float]:
        """The front image of a product already paid for: from its signed URL while it
        is valid (free), else through `/products/{b}/image` (the redirect's price, less
        than a lookup's, counted and written down at once). Never fails: (image or None,
        note, credits spent on a redirect)."""
        if deadline is None:
            deadline = self._clock() + self._deadline_s
        valid = url is not None and (expires_at is None or time.time() < expires_at)
        return self._download_front(barcode, url if valid else None, deadline)

    def account(self) -> dict[str, Any]:
        """The free `/account`: `usage.credits_spent_today` is the API's count (UTC day)."""
        response, body = self._send("GET", "/account",
                                    deadline=self._clock() + self._deadline_s)
        return self._json(response, body)

    def reconcile(self) -> float | None:
        """Compare today's spending with the API's; the guard keeps the larger.

        Returns the API's count minus the kiosk's, or None when it could not be read."""
        if self.spend is None:
            return None
        try:
            usage = self.account().get("usage")
            value = usage.get("credits_spent_today") if isinstance(usage, dict) else None
        except ApiError as exc:
            logger.info("could not read /account to check today's spending: %s", _short(exc))
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(
                value):
            logger.warning("/account: no credits_spent_today in the answer")
            return None
        mismatch = self.spend.reconcile(float(value))
        if abs(mismatch) > 0.005:
            logger.warning("credits spent today: the API counts %.2f, this kiosk %.2f; the "
                           "spending guard uses the larger", value, value - mismatch)
        return mismatch

    def refresh_pricing(self, deadline: float | None = None, when_due: bool = False) -> Pricing:
        """Read /pricing (free) at start and then daily; keep the last good rates."""
        now = self._clock()
        st = self.state
        if when_due and (
            (st.pricing_read_at is not None and now - st.pricing_read_at < PRICING_MAX_AGE_S)
            or (st.pricing_tried_at is not None and now - st.pricing_tried_at < PRICING_RETRY_S)
        ):
            return st.pricing
        st.pricing_tried_at = now
        try:
            response, body = self._send("GET", "/pricing",
                                        deadline=deadline or now + self._deadline_s)
            new = Pricing.from_api(self._json(response, body))
        except (ApiError, KeyError, TypeError, ValueError, OverflowError) as exc:
            logger.warning("could not read /pricing (%s); using %s", _short(exc),
                           st.pricing.describe())
            return st.pricing
        if st.pricing_read_at is not None and new != st.pricing:
            logger.warning("pricing changed: %s (was %s)", new.describe(), st.pricing.describe())
        elif st.pricing_read_at is None:
            logger.info("pricing: %s", new.describe())
        st.pricing, st.pricing_read_at = new, self._clock()
        return new

    def balance(self) -> float:
        """Credits remaining, from the free /balance call."""
        response, body = self._send("GET", "/balance",
                                    deadline=self._clock() + self._deadline_s)
        value = self._json(response, body).get("credit_balance")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ServerError("/balance: no credit_balance in the answer", status=200,
                              code="bad_json")
        return float(value)

    # --- the image ---------------------------------------------------------------------

    def _download_front(
        self, barcode: str, url: str | None, deadline: float
    ) -> tuple[bytes | None, str, float]:
        """(image, note, extra credits). A failed image never fails the lookup.

        `url` None: the saved URL has expired; a fresh one is asked for at once."""
        extra = 0.0
        try:
            response = None if url is None else self._get_signed(barcode, url, deadline)
            if response is None or response.status_code in (403, 410):
                if response is not None:
                    logger.info("signed image URL for %s answered %d (%s); asking for a "
                                "fresh one", barcode, response.status_code,
                                _code_or_status(response))
                fresh, _ = self._send("GET", f"/products/{barcode}/image",
                                      params={"variant": "front"}, deadline=deadline,
                                      expect=302)
                extra += self.state.pricing.image_redirect_rate
                self._spent(self.state.pricing.image_redirect_rate)
                location = fresh.headers.get("Location")
                if not location:
                    return None, "redirect without Location", extra
                try:
                    target = urllib.parse.urljoin(str(fresh.url), location)
                except ValueError:
                    return None, "redirect to an unreadable Location", extra
                response = self._get_signed(barcode, target, deadline)
            if response.status_code != 200:
                return None, f"image download answered {response.status_code}", extra
        except ApiError as exc:
            logger.warning("front image of %s not downloaded: %s", barcode, _short(exc))
            return None, _short(exc), extra
        data = response.content
        problem = image_problem(data)
        if problem is not None:
            # Refused before anything decodes it; the product is cached without a photo,
            # so this is logged once and the image never bought again for this lookup.
            logger.warning("front image of %s refused: %s; card without photo", barcode,
                           problem)
            return None, f"image refused: {problem}", extra
        return data, "ok", extra

    def _get_signed(self, barcode: str, url: str, deadline: float) -> httpx.Response:
        # Signed URLs carry their own authority: no bearer token (auth is given per API
        # call, never to the client), no rate-limit slot. Only over https, so a photo
        # cannot be swapped on the way; plain http only to a loopback sandbox.
        problem = url_problem(url)
        if problem is not None:
            raise TransportError(f"image URL for {barcode}: {problem}; not downloaded",
                                 code="insecure_image_url")
        try:
            return self._http.get(url, extensions=self._bounds(deadline, MAX_IMAGE_BYTES))
        except httpx.TimeoutException as exc:
            raise TransportError(f"image download timed out ({type(exc).__name__})") from None
        except httpx.InvalidURL:
            raise TransportError(f"image URL for {barcode} cannot be used; not downloaded",
                                 code="bad_image_url") from None
        except httpx.HTTPError as exc:
            raise self._failed(_transport_error(exc, "image download")) from None

    # --- sending -------------------------------------------------------------------------

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
            raise self._no_answer(_sent(exc, extensions[BOUNDS],
                _no_link(exc) if isinstance(exc, httpx.ConnectTimeout)
                else TransportError(f"{path}: timed out ({type(exc).__name__})"))) from None
        except httpx.HTTPError as exc:
            raise self._no_answer(_sent(exc, extensions[BOUNDS],
                                        _transport_error(exc, path))) from None
        except ApiError as exc:  # the token flow (refused key, 5xx), a body out of bounds
            raise self._no_answer(exc) from None
        self._saw_link(True, None)
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
            self.state.last_error = _short(error)
            warn = isinstance(error, UntrustedCertificate) and not self.state.tls_warned
            self.state.tls_warned |= warn
        if warn:
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


def _transport_error(exc: httpx.HTTPError, what: str) -> TransportError:
    """The typed error for an httpx failure below HTTP: no link, TLS refused, proxy
    refused, or a connection that broke."""
    verify = _cause(exc, ssl.SSLCertVerificationError)
    if verify is not None:
        detail = getattr(verify, "verify_message", None) or str(verify)
        hint = ("; check the clock (timedatectl)"
                if "not yet valid" in detail or "expired" in detail else "")
        host = exc.request.url.host if _has_request(exc) else "the API"
        return UntrustedCertificate(
            f"certificate of {host} not trusted ({detail}{hint})", code="tls_untrusted")
    if isinstance(exc, httpx.ProxyError):
        return ProxyRefused(f"the proxy refused the connection ({exc})", code="proxy_refused")
    if isinstance(exc, httpx.ConnectError):
        return _no_link(exc)
    return TransportError(f"{what}: {type(exc).__name__}")


def _sent(exc: httpx.HTTPError, limits: Bounds, error: TransportError) -> TransportError:
    """Note the path of a request that went out before it failed, and the status of its
    answer if the headers had arrived (see `_charged_kind`).

    An idle connection (pooled, or the spare) that ends before a byte of answer is taken
    as one the server, or a relay before it, let go as the request was written: HTTP
    lets a client send the request again (RFC 9112, 9.3.1). Counted as possibly charged,
    it made the first scan after the API went away cost 1.3 credits in the kiosk's books
    and none in the API's (the system test's guest, where a relay closes what the API no
    longer takes). Over TLS a reset reads as the same end of stream, so a server that
    read the request on an idle connection, charged and died goes uncounted here; the
    `/account` check brings it in. On a connection opened for this request the same end
    may follow a charge: counted."""
    if _closed_unanswered(exc) and not limits.fresh:
        return error
    if (error.code != "connect" and _has_request(exc)
            and not isinstance(exc, httpx.PoolTimeout | httpx.ConnectTimeout
                               | httpx.ConnectError | httpx.ProxyError)
            and not isinstance(error, UntrustedCertificate | ProxyRefused)):
        error.sent = exc.request.url.path
        error.status = limits.statuses[-1] if limits.statuses else None
    return error


def _closed_unanswered(exc: httpx.HTTPError) -> bool:
    """The connection ended before the first byte of the answer (httpcore's HTTP/1.1
    connection read end of stream while waiting for the status line)."""
    return (isinstance(exc, httpx.RemoteProtocolError)
            and "disconnected without sending a response" in str(exc))


def _charged_kind(exc: ApiError, path: str) -> Charged:
    """Whether a failed product request was charged: "yes" after a 200's headers (a
    body cut short, reset, not JSON or refused), "maybe" when it went out and nothing
    came back (a read timeout, a reset before any answer), "no" otherwise (no
    connection, or a 4xx/5xx: the contract charges none)."""
    if isinstance(exc, TransportError):
        if exc.sent is None or not exc.sent.endswith(path):
            return "no"
        return "maybe" if exc.status is None else "yes" if exc.status == 200 else "no"
    if isinstance(exc, AnswerRefused):
        return "yes" if exc.status == 200 and exc.path.endswith(path) else "no"
    return "yes" if isinstance(exc, ServerError) and exc.status == 200 else "no"


def _no_link(exc: httpx.HTTPError) -> TransportError:
    # No connection at all: the network is down. Retrying at once rarely helps and would
    # keep a shopper waiting for the "saved" screen.
    return TransportError(f"cannot reach the API ({type(exc).__name__})", code="connect")


def _cause(exc: BaseException, kind: type[ssl.SSLCertVerificationError]
           ) -> ssl.SSLCertVerificationError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 - httpx raises RuntimeError when no request is attached
    except RuntimeError:
        return False
    return True


def _short(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _code_or_status(response: httpx.Response) -> str:
    return error_code(response) or str(response.status_code)
