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

This module holds the endpoints; the photo's download is `kiosk.api._photo`, the
sending, the online state and the credit tracking under them `kiosk.api._requests`,
and what a failure means (which error, charged or not) `kiosk.api._failures`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from kiosk import config as config_mod
from kiosk.api._credentials import resolve_api_key
from kiosk.api._failures import charged_kind, short
from kiosk.api._photo import Photos
from kiosk.api.auth import TokenAuth
from kiosk.api.errors import (
    AnswerRefused,
    ApiError,
    BadAnswer,
    ProxyRefused,
    ServerError,
    TransportError,
    UntrustedCertificate,
)
from kiosk.api.pricing import Pricing
from kiosk.api.responses import request_id
from kiosk.api.spending import Ledger, Reservation, SpendGuard
from kiosk.api.tokens import RefreshTokenFile
from kiosk.backoff import Backoff
from kiosk.config import Config
from kiosk.errors import StoreError
from kiosk.product import Product

__all__ = ["ApiClient", "LookupResult", "client_for"]

logger = logging.getLogger(__name__)

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


class ApiClient(Photos):
    """The endpoints: `lookup` (`buy` then `photo`), `account`, `reconcile`,
    `refresh_pricing`, `balance`; `photo` is `Photos`', the sending underneath `Requests`'.

    Thread-safe: the daemon's scan worker and queue drainer share one instance.
    """

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
                    kind = charged_kind(exc, path)
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
                                       short(exc), price)
                        no_time = self._clock() + 0.1 >= deadline
                        if (charged > 1 or no_time) and kind == "maybe":
                            assert isinstance(exc, TransportError)
                            exc.maybe_charged = True
                            raise
                        if charged > 1 or no_time or isinstance(exc, AnswerRefused):
                            raise self._failed(BadAnswer(
                                f"the answer for {barcode} was charged for and cannot be "
                                f"used ({short(exc)})", status=exc.status or 200,
                                code=exc.code or "bad_answer",
                                request_id=exc.request_id)) from None
                    wait = backoff.next_delay()
                    if retries > self._retries or self._clock() + wait >= deadline:
                        raise
                    logger.info("retrying after %s", short(exc))
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
                write(self._stamp_now(), paid.credits)
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
            logger.info("could not read /account to check today's spending: %s", short(exc))
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
            logger.warning("could not read /pricing (%s); using %s", short(exc),
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
