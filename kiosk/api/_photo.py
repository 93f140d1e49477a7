"""The front image of a product already paid for, downloaded by the client that bought it.

From its signed URL (free, no bearer token, no rate-limit slot), by this same client,
so from this device's own IP. A signed URL that answers 403 (our IP changed between
the two calls, e.g. Wi-Fi to LTE) or 410 (used or expired), or one saved past its life,
is replaced once through the 302 endpoint `/products/{b}/image`, whose price is counted
at once. The bytes are checked (`image_problem`) before anything decodes them. A photo
that cannot be had never fails the lookup: the card is drawn without it.
"""

from __future__ import annotations

import logging
import urllib.parse

import httpx

from kiosk.api._failures import code_or_status, short, transport_error
from kiosk.api._requests import Requests
from kiosk.api.errors import ApiError, TransportError
from kiosk.config import url_problem
from kiosk.imagecheck import MAX_IMAGE_BYTES, image_problem

__all__ = ["Photos"]

logger = logging.getLogger(__name__)


class Photos(Requests):
    """`photo`, the one endpoint that may leave the API's host; `ApiClient` adds the rest."""

    def photo(self, barcode: str, url: str | None, expires_at: float | None,
              *, deadline: float | None = None) -> tuple[bytes | None, str, float]:
        """The front image of a product already paid for: from its signed URL while it
        is valid (free), else through `/products/{b}/image` (the redirect's price, less
        than a lookup's, counted and written down at once). Never fails: (image or None,
        note, credits spent on a redirect)."""
        if deadline is None:
            deadline = self._clock() + self._deadline_s
        # `expires_at` is on the clock the answer was recorded by (the store's, through
        # the spending guard): compared on the same one, a step of the wall clock does
        # not throw away a URL that is still good (a redirect costs credits).
        valid = url is not None and (expires_at is None or self._stamp_now() < expires_at)
        return self._download_front(barcode, url if valid else None, deadline)

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
                                code_or_status(response))
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
            logger.warning("front image of %s not downloaded: %s", barcode, short(exc))
            return None, short(exc), extra
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
            raise self._failed(transport_error(exc, "image download")) from None
