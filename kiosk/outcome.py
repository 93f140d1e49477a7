"""What happened to a scan: the one vocabulary of the lookups, the drainer, the journal
and the screens.

A `StrEnum`, so the journal's `OUTCOME=` field, `kiosk lookup --json` and the staff
list keep the plain words admins filter on (`journalctl OUTCOME=queued`), while the code
compares members, not strings that can drift apart.

An outcome says what the shopper got, never whether the network is up: a "not found"
can come from the API or from the negative cache on disk. Online and offline are what
the API client saw on the wire (`kiosk.api.client.ApiClient.on_link`).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["SHOWS_PRODUCT", "Outcome"]


class Outcome(StrEnum):
    SHOWN = "shown"  # looked up from the API now, and drawn
    CACHED = "cached"  # from the cache (fresh; or stale while the API cannot answer)
    NOT_FOUND = "not_found"  # not in the catalog: the API's 404, or remembered from one
    QUEUED = "queued"  # saved for the drainer: the API cannot answer now
    ERROR = "error"  # the API refused this lookup for good; asking again cannot help
    INVALID = "invalid"  # not a valid UPC/EAN (wrong length, check digit)
    DUPLICATE = "duplicate"  # the same code again within the double-read window
    FOUND = "found"  # a queued scan the drainer looked up later, with nobody watching


SHOWS_PRODUCT = frozenset({Outcome.SHOWN, Outcome.CACHED})
