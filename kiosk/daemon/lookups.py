"""From a normalized barcode to what the screen shows: cache, then API, else the queue.

This is the one place that decides whether a scan spends credits:

- a fresh cached product, or a fresh cached 404, is answered from disk for free;
- otherwise exactly one API lookup (see `kiosk.api.client`), whose answer is cached
  with a display-ready copy of its image;
- when the API cannot answer now (network, 5xx, 429, 402, refused key) a stale cached
  copy is shown marked stale, or the scan is queued durably for the drainer.

The daemon's scan worker and the queue drainer both go through here, and so does
`kiosk lookup`, so an admin's lookup over SSH behaves exactly like a scan.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.api.client import ApiClient, LookupResult
from kiosk.api.errors import ApiError, CredentialsRefused, NotFound, PermanentError, RetryableError
from kiosk.daemon.drainer import Resolution
from kiosk.errors import StoreError
from kiosk.outcome import Outcome
from kiosk.product import Product
from kiosk.store import CachedMiss, CacheHit, Store
from kiosk.store.errors import ScanNotSaved

__all__ = ["Lookups", "ScanAnswer"]

logger = logging.getLogger(__name__)

Prepare = Callable[[bytes], bytes | None]


@dataclass(frozen=True)
class ScanAnswer:
    """What one scan came to. `image` is display-ready when a `prepare` was given."""

    outcome: Outcome
    barcode: str
    product: Product | None = None
    image: bytes | None = None
    stale: bool = False
    from_cache: bool = False
    credits: float = 0.0
    request_id: str | None = None
    reason: str | None = None
    error_code: str | None = None
    saved: bool = True  # for "queued": False when the disk refused and it is held in memory
    error: ApiError | None = None
    photo_pending: bool = False  # the product data is in, its photo is still downloading


class Lookups:
    def __init__(
        self,
        store: Store,
        api: ApiClient | None,
        *,
        prepare: Prepare | None = None,
        display_key: str = "display",
        observe: Callable[[float, float], None] | None = None,
    ) -> None:
        """`observe(seconds, credits)` is told of every API lookup that got an answer
        (the metrics' lookup histogram and credits spent), from the thread that asked."""
        self.store = store
        self.api = api
        self._prepare = prepare
        self._display_key = display_key
        self._observe = observe

    def from_cache(self, barcode: str) -> ScanAnswer | None:
        """The answer when the cache alone can give it (fresh product or fresh miss).

        Only reads (and at most prepares a display image): the scan worker's fast lane
        uses it so a cached card never waits behind a slow API call.
        """
        return self._cache_answer(barcode, self._cached(barcode))

    def lookup(self, barcode: str, source: str = "cli", scanned_at: float | None = None,
               *, queue_on_failure: bool = True,
               on_data: Callable[[ScanAnswer], None] | None = None,
               on_shown: Callable[[ScanAnswer], None] | None = None) -> ScanAnswer:
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

        def early(data: LookupResult) -> None:
            assert on_data is not None
            on_data(ScanAnswer(Outcome.SHOWN, barcode, data.product, credits=data.credits,
                               request_id=data.request_id, photo_pending=True))

        try:
            result = self._ask(barcode, early if on_data is not None else None)
        except NotFound as exc:
            self._cache_miss(barcode)
            return ScanAnswer(Outcome.NOT_FOUND, barcode, request_id=exc.request_id,
                              reason="not_found", error_code=exc.code)
        except RetryableError as exc:
            if not queue_on_failure:
                return ScanAnswer(Outcome.ERROR, barcode, request_id=exc.request_id,
                                  reason=exc.reason, error_code=exc.code, error=exc)
            return self._queue(barcode, source, scanned_at, exc.reason, exc, cached)
        except PermanentError as exc:
            return ScanAnswer(Outcome.ERROR, barcode, request_id=exc.request_id, reason=exc.reason,
                              error_code=exc.code, error=exc)
        display = self._display_images(result.image)
        answer = ScanAnswer(Outcome.SHOWN, barcode, result.product,
                            self._shown_image(result, display), credits=result.credits,
                            request_id=result.request_id)
        if on_shown is not None:
            on_shown(answer)
        try:
            self._cache_result(result, display)
        except StoreError as exc:  # the card is shown; only a re-scan pays for it
            logger.warning("product %s could not be cached (%s); it will cost again",
                           result.barcode, exc)
        return answer

    def defer(self, barcode: str, source: str, reason: str,
              scanned_at: float | None = None) -> ScanAnswer:
        """Queue an uncached scan for the drainer without asking the API now."""
        return self._queue(barcode, source, scanned_at, reason, None, self._cached(barcode))

    def resolve(self, barcode: str) -> Resolution:
        """The drainer's seam: look up and cache; raise ApiError subclasses (NotFound too)."""
        if self.api is None:
            raise CredentialsRefused("no API client (no key configured)", code="no_api")
        result = self._ask(barcode)
        # A StoreError goes to the drainer: the scan stays queued.
        self._cache_result(result, self._display_images(result.image))
        return Resolution(barcode, credits=result.credits)

    # --- pieces ----------------------------------------------------------------------

    def _ask(self, barcode: str,
             on_data: Callable[[LookupResult], None] | None = None) -> LookupResult:
        """The API's answer, timed for `observe` (a 404 is an answer too; a failure not)."""
        assert self.api is not None
        started = time.monotonic()
        try:
            result = self.api.lookup(barcode, on_data=on_data)
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
                      ) -> ScanAnswer | None:
        if isinstance(cached, CachedMiss):
            return ScanAnswer(Outcome.NOT_FOUND, barcode, from_cache=True, reason="cached_miss")
        if isinstance(cached, CacheHit) and not cached.stale:
            return self._from_cache(cached, stale=False)
        return None

    def _from_cache(self, hit: CacheHit, *, stale: bool, reason: str | None = None,
                    error: ApiError | None = None) -> ScanAnswer:
        return ScanAnswer(Outcome.CACHED, hit.barcode, hit.product, self._display_image(hit),
                          stale=stale, from_cache=True, reason=reason,
                          error_code=error.code if error else None, error=error)

    def _display_image(self, hit: CacheHit) -> bytes | None:
        if self._prepare is None:
            return hit.image
        try:
            ready = self.store.cache.get_display_image(hit.barcode, self._display_key)
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
                self.store.cache.put_display_image(hit.barcode, self._display_key, ready)
            except StoreError as exc:
                logger.debug("display image of %s not cached: %s", hit.barcode, exc)
        return ready

    def _display_images(self, image: bytes | None) -> dict[str, bytes] | None:
        if image is None or self._prepare is None:
            return None
        ready = self._prepare(image)
        return {self._display_key: ready} if ready is not None else None

    def _shown_image(self, result: LookupResult, display: dict[str, bytes] | None
                     ) -> bytes | None:
        if display:
            return display[self._display_key]
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
               error: ApiError | None, cached: CacheHit | CachedMiss | None) -> ScanAnswer:
        if isinstance(cached, CacheHit):  # stale, but better than nothing while offline
            return self._from_cache(cached, stale=True, reason=reason, error=error)
        code = error.code if error else None
        rid = error.request_id if error else None
        try:
            self.store.queue.enqueue(barcode, source, reason, scanned_at)
        except ScanNotSaved as exc:
            logger.error("scan %s could not be saved to disk (%s); held in memory", barcode, exc)
            return ScanAnswer(Outcome.QUEUED, barcode, reason=reason, error_code=code,
                              request_id=rid, saved=False, error=error)
        return ScanAnswer(Outcome.QUEUED, barcode, reason=reason, error_code=code, request_id=rid,
                          error=error)
