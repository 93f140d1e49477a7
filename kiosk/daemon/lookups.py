"""From a normalized barcode to what the screen shows: cache, then API, else the queue.

This is the one place that decides whether a scan spends credits:

- a fresh cached product, or a fresh cached 404, is answered from disk for free;
- otherwise exactly one API lookup (see `kiosk.api.client`). Its answer is written
  first, with its spend and the queued scan's completion, in one transaction of the
  state database (`kiosk.store.paid`), before the photo is downloaded, decoded or
  painted; then the card is drawn, the photo follows, and the cache is filled;
- an answer paid for but not yet in the cache (a power cut, a stop during the photo)
  is taken from there: never bought again, its photo from the saved URL or
  `/products/{b}/image`;
- when the API cannot answer now (network, 5xx, 429, 402, refused key) a stale cached
  copy is shown marked stale, or the scan is queued durably for the drainer.

The daemon's scan worker and the queue drainer both go through here, and so does
`kiosk lookup`, so an admin's lookup over SSH behaves exactly like a scan. One buyer
per barcode: both threads claim a barcode before buying it, and the second one finds
the first one's answer instead of buying it again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

from kiosk.api.client import ApiClient, LookupResult
from kiosk.api.errors import ApiError, CredentialsRefused, NotFound, PermanentError, RetryableError
from kiosk.daemon._scan import ScanResult
from kiosk.errors import StoreError
from kiosk.outcome import Outcome
from kiosk.store import CachedMiss, CacheHit, Store
from kiosk.store.errors import ScanNotSaved
from kiosk.store.paid import PaidAnswer

__all__ = ["Lookups"]

logger = logging.getLogger(__name__)

RECONCILE_S = 3600.0
"""How often today's spending is compared with the API's `/account` (and at start)."""

Prepare = Callable[[bytes], bytes | None]


class Lookups:
    def __init__(
        self,
        store: Store,
        api: ApiClient | None,
        *,
        prepare: Prepare | None = None,
        display_key: str | Callable[[], str] = "display",
        observe: Callable[[float, float], None] | None = None,
    ) -> None:
        """`observe(seconds, credits)` is told of every API lookup that got an answer
        (the metrics' lookup histogram and credits spent), from the thread that asked.
        `display_key` names the screen-sized image copies: a callable when the screen can
        change size (a kiosk started with no screen lays out for `display.size` until a
        TV of another size is switched on), so that copies are kept per size."""
        self.store = store
        self.api = api
        self._prepare = prepare
        self._display_key = display_key if callable(display_key) else lambda: display_key
        self._observe = observe
        self._claims: dict[str, tuple[threading.Lock, int]] = {}
        self._claims_lock = threading.Lock()
        self._reconciled_at: float | None = None  # monotonic

    def from_cache(self, barcode: str) -> ScanResult | None:
        """The answer when the cache alone can give it (fresh product or fresh miss).

        Only reads (and at most prepares a display image): the scan worker's fast lane
        uses it so a cached card never waits behind a slow API call.
        """
        return self._cache_answer(barcode, self._cached(barcode))

    def lookup(self, barcode: str, source: str = "cli", scanned_at: float | None = None,
               *, queue_on_failure: bool = True,
               on_data: Callable[[ScanResult], None] | None = None,
               on_shown: Callable[[ScanResult], None] | None = None) -> ScanResult:
        """The scan's answer. From the API, `on_data` first gets the product without its
        photo (`photo_pending`) while the photo downloads, and `on_shown` the complete
        answer before it is written to the cache: the cache's fsyncs (20 to 150 ms on the
        development VM, more on an SD card) then follow the card instead of delaying it.
        From the cache neither is called. A re-scan meanwhile cannot cost twice: the
        lookup lane asks the cache again, after this write."""
        cached = self._cached(barcode)
        answer = self._cache_answer(barcode, cached)
        if answer is not None:
            return answer
        if self.api is None:
            return self._queue(barcode, source, scanned_at, "no_api", None, cached)
        with self._claim(barcode):
            return self._lookup_claimed(barcode, source, scanned_at, queue_on_failure,
                                        on_data, on_shown)

    def _lookup_claimed(self, barcode: str, source: str, scanned_at: float | None,
                        queue_on_failure: bool, on_data: Callable[[ScanResult], None] | None,
                        on_shown: Callable[[ScanResult], None] | None) -> ScanResult:
        cached = self._cached(barcode)  # again: another thread may have just bought it
        answer = self._cache_answer(barcode, cached)
        if answer is not None:
            return answer
        paid = self._paid_before(barcode)
        try:
            result = self._ask(barcode) if paid is None else _as_result(paid)
        except NotFound as exc:
            self._cache_miss(barcode)
            return ScanResult(Outcome.NOT_FOUND, barcode, request_id=exc.request_id,
                              reason="not_found", error_code=exc.code)
        except RetryableError as exc:
            if not queue_on_failure:
                return ScanResult(Outcome.ERROR, barcode, request_id=exc.request_id,
                                  reason=exc.reason, error_code=exc.code, error=exc)
            return self._queue(barcode, source, scanned_at, exc.reason, exc, cached)
        except PermanentError as exc:
            return ScanResult(Outcome.ERROR, barcode, request_id=exc.request_id, reason=exc.reason,
                              error_code=exc.code, error=exc)
        if on_data is not None and result.front_url:
            on_data(ScanResult(Outcome.SHOWN, barcode, result.product, credits=result.credits,
                               request_id=result.request_id, photo_pending=True))
        result = self._with_photo(result)
        display = self._display_images(result.image)
        answer = ScanResult(Outcome.SHOWN, barcode, result.product,
                            self._shown_image(result, display),
                            credits=result.credits if paid is None else 0.0,
                            request_id=result.request_id)
        if on_shown is not None:
            on_shown(answer)
        self._settle(result, display)
        return answer

    def defer(self, barcode: str, source: str, reason: str,
              scanned_at: float | None = None) -> ScanResult:
        """Queue an uncached scan for the drainer without asking the API now."""
        return self._queue(barcode, source, scanned_at, reason, None, self._cached(barcode))

    def resolve(self, barcode: str) -> ScanResult:
        """The drainer's seam: look up and cache (`FOUND`, with the credits it cost);
        raise ApiError subclasses (NotFound too).

        The answer's record completes the queued scan in its own transaction; a
        `StoreError` from the cache after it goes to the drainer (the scan is gone from
        the queue by then, and its answer is in `paid`)."""
        if self.api is None:
            raise CredentialsRefused("no API client (no key configured)", code="no_api")
        with self._claim(barcode):
            hit = self._cached(barcode)
            if isinstance(hit, CacheHit) and not hit.stale:  # bought while we waited
                return ScanResult(Outcome.FOUND, barcode)
            paid = self._paid_before(barcode)
            result = self._ask(barcode) if paid is None else _as_result(paid)
            result = self._with_photo(result)
            self._settle(result, self._display_images(result.image), strict=True)
        return ScanResult(Outcome.FOUND, barcode,
                          credits=0.0 if paid is not None else result.credits)

    def chores(self) -> None:
        """The drainer's periodic work for money: at start and then hourly, compare
        today's spending with the API's; put answers paid for but not yet settled (a
        power cut, a stop during the photo) into the cache, with their photo."""
        if self.api is None:
            return
        now = time.monotonic()
        if self._reconciled_at is None or now - self._reconciled_at >= RECONCILE_S:
            # Not read (offline): tried again with the next chores, not in an hour.
            self._reconciled_at = now if self.api.reconcile() is not None else None
        try:
            unsettled = self.store.paid.unsettled()
        except StoreError as exc:
            logger.warning("paid answers unreadable (%s)", exc)
            return
        for paid in unsettled:
            with self._claim(paid.barcode):
                self._settle_paid(paid)

    def _settle_paid(self, paid: PaidAnswer) -> None:
        result = _as_result(paid)
        try:
            if not paid.cached:  # free: first the card without its photo
                self.store.cache.put(paid.barcode, paid.product, None, paid.credits,
                                     keep_images=True)
                self.store.paid.mark(paid.barcode, cached=True)
            if not paid.photo_done:
                result = self._with_photo(result)
                self._settle(result, self._display_images(result.image), strict=True)
        except StoreError as exc:
            logger.warning("paid answer for %s not settled yet (%s)", paid.barcode, exc)

    # --- pieces ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _claim(self, barcode: str) -> Iterator[None]:
        """One buyer per barcode: the lookup lane and the drainer take turns."""
        with self._claims_lock:
            lock, users = self._claims.get(barcode, (threading.Lock(), 0))
            self._claims[barcode] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._claims_lock:
                lock, users = self._claims[barcode]
                if users == 1:
                    del self._claims[barcode]
                else:
                    self._claims[barcode] = (lock, users - 1)

    def _paid_before(self, barcode: str) -> PaidAnswer | None:
        """An answer already paid for and not yet settled in the cache."""
        try:
            paid = self.store.paid.get(barcode)
        except StoreError as exc:
            logger.warning("paid answers unreadable for %s (%s)", barcode, exc)
            return None
        if paid is None or (paid.cached and paid.photo_done):
            return None
        logger.info("product %s was paid for already (request %s): not bought again",
                    barcode, paid.request_id)
        return paid

    def _record(self, result: LookupResult) -> None:
        """The paid answer, its spend and the queued scan's completion: one fsync."""
        self.store.paid.record(PaidAnswer(
            result.barcode, result.product, result.front_url, result.url_expires_at,
            result.request_id, result.credits, result.paid_at))
        self.store.queue.forget_held(result.barcode)

    def _with_photo(self, result: LookupResult) -> LookupResult:
        if result.image_note != "pending" or self.api is None:
            return result
        image, note, extra = self.api.photo(result.barcode, result.front_url,
                                            result.url_expires_at)
        return replace(result, image=image, image_note=note,
                       credits=round(result.credits + extra, 6))

    def _settle(self, result: LookupResult, display: dict[str, bytes] | None, *,
                strict: bool = False) -> None:
        """Cache the answer with its photo, then mark the paid answer settled.

        `strict`: a StoreError is raised (the drainer's), else logged."""
        # A photo that found no way through (the API unreachable) stays due: the
        # drainer's chores try it again; any answer about it settles it.
        settled = (result.image is not None or not result.front_url or self.api is None
                   or self.api.state.reachable is not False)
        try:
            self._cache_result(result, display)
            self.store.paid.mark(result.barcode, cached=True, photo_done=settled)
        except StoreError as exc:
            if strict:
                raise
            logger.warning("product %s could not be cached (%s); its paid answer is kept "
                           "and cached later", result.barcode, exc)

    def _ask(self, barcode: str) -> LookupResult:
        """The API's answer, recorded, timed for `observe` (a 404 is an answer too; a
        failure not)."""
        assert self.api is not None
        started = time.monotonic()
        try:
            result = self.api.buy(barcode, self._record)
        except NotFound:
            self._observed(started, 0.0)
            raise
        self._observed(started, result.credits)
        return result

    def _observed(self, started: float, credits: float) -> None:
        if self._observe is not None:
            self._observe(time.monotonic() - started, credits)

    def _cached(self, barcode: str) -> CacheHit | CachedMiss | None:
        try:
            return self.store.cache.get(barcode)
        except StoreError as exc:
            logger.warning("cache unreadable for %s (%s); asking the API", barcode, exc)
            return None

    def _cache_answer(self, barcode: str, cached: CacheHit | CachedMiss | None
                      ) -> ScanResult | None:
        if isinstance(cached, CachedMiss):
            return ScanResult(Outcome.NOT_FOUND, barcode, from_cache=True, reason="cached_miss")
        if isinstance(cached, CacheHit) and not cached.stale:
            return self._from_cache(cached, stale=False)
        return None

    def _from_cache(self, hit: CacheHit, *, stale: bool, reason: str | None = None,
                    error: ApiError | None = None) -> ScanResult:
        return ScanResult(Outcome.CACHED, hit.barcode, hit.product, self._display_image(hit),
                          stale=stale, from_cache=True, reason=reason,
                          error_code=error.code if error else None, error=error)

    def _display_image(self, hit: CacheHit) -> bytes | None:
        if self._prepare is None:
            return hit.image
        try:
            ready = self.store.cache.get_display_image(hit.barcode, self._display_key())
        except StoreError:
            ready = None
        if ready is not None:
            return ready
        original = hit.image
        if original is None:
            return None
        ready = self._prepare(original)
        if ready is not None:
            try:
                self.store.cache.put_display_image(hit.barcode, self._display_key(), ready)
            except StoreError as exc:
                logger.debug("display image of %s not cached: %s", hit.barcode, exc)
        return ready

    def _display_images(self, image: bytes | None) -> dict[str, bytes] | None:
        if image is None or self._prepare is None:
            return None
        ready = self._prepare(image)
        return {self._display_key(): ready} if ready is not None else None

    def _shown_image(self, result: LookupResult, display: dict[str, bytes] | None
                     ) -> bytes | None:
        if display:
            return next(iter(display.values()))  # the one copy, made for the screen of now
        return result.image if self._prepare is None else None

    def _cache_result(self, result: LookupResult, display: dict[str, bytes] | None) -> None:
        """Cache an answer from the API; raises StoreError (each caller knows what then)."""
        self.store.cache.put(result.barcode, result.product, result.image,
                             result.credits, display_images=display)

    def _cache_miss(self, barcode: str) -> None:
        try:
            self.store.cache.put_miss(barcode)
        except StoreError as exc:
            logger.warning("unknown barcode %s not remembered (%s)", barcode, exc)

    def _queue(self, barcode: str, source: str, scanned_at: float | None, reason: str,
               error: ApiError | None, cached: CacheHit | CachedMiss | None) -> ScanResult:
        if isinstance(cached, CacheHit):  # stale, but better than nothing while offline
            return self._from_cache(cached, stale=True, reason=reason, error=error)
        code = error.code if error else None
        rid = error.request_id if error else None
        try:
            self.store.queue.enqueue(barcode, source, reason, scanned_at)
        except ScanNotSaved as exc:
            logger.error("scan %s could not be saved to disk (%s); held in memory", barcode, exc)
            return ScanResult(Outcome.QUEUED, barcode, reason=reason, error_code=code,
                              request_id=rid, saved=False, error=error)
        return ScanResult(Outcome.QUEUED, barcode, reason=reason, error_code=code, request_id=rid,
                          error=error)


def _as_result(paid: PaidAnswer) -> LookupResult:
    """A recorded paid answer as the client would have returned it (photo pending)."""
    return LookupResult(paid.barcode, paid.product, None, paid.credits, paid.request_id,
                        "none" if paid.photo_done or not paid.front_url else "pending",
                        front_url=paid.front_url, url_expires_at=paid.url_expires_at,
                        paid_at=paid.paid_at)
