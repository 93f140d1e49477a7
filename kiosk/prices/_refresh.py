"""One round of keeping the prices current: ask each source, import what is new, say so.

The daemon calls `refresh()` every `prices.poll_interval_s` from a worker thread (the
lookups go on meanwhile: `PriceBook`). With both a path and a URL configured, each new
file from either replaces the prices in use: the last one accepted wins.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kiosk.errors import StoreError
from kiosk.prices._book import ImportOutcome, PriceBook
from kiosk.prices._entry import Limits, Normalize
from kiosk.prices._sources import Candidate, Source, refused_key

__all__ = ["PriceRefresher"]

logger = logging.getLogger(__name__)


class PriceRefresher:
    def __init__(self, book: PriceBook, sources: Sequence[Source], normalize: Normalize,
                 limits: Limits) -> None:
        self.book = book
        self.sources = tuple(sources)
        self.normalize = normalize
        self.limits = limits

    def refresh(self) -> list[ImportOutcome]:
        """Import each source's new file, if any; what became of each file that was
        checked (one that could not be read to its end or stored is logged, not listed)."""
        outcomes = []
        for source in self.sources:
            try:
                candidate = source.poll(self.book.meta())
            except StoreError as exc:
                logger.warning("price file %s not checked: %s", source.label, exc)
                continue
            if candidate is None:
                continue
            try:
                outcomes.append(self._import(candidate))
            except (StoreError, OSError) as exc:
                # Not the file's fault (a disk, a stick pulled out): tried again next poll.
                logger.warning("price file %s could not be imported: %s; the prices in use "
                               "stay", candidate.label, exc)
                source.reset()
            finally:
                candidate.discard()
        return outcomes

    def _import(self, candidate: Candidate) -> ImportOutcome:
        outcome = self.book.import_file(candidate.path, self.normalize, self.limits,
                                        label=candidate.label, sha256=candidate.sha256)
        notes = dict(candidate.notes)
        if outcome.accepted:
            s = outcome.summary
            logger.info("price file %s imported: %d entries, %d promotions, %d recalls, "
                        "%d age limits", candidate.label, s.entries, s.promotions, s.recalls,
                        s.age_limits)
        else:
            notes[refused_key(candidate.label)] = candidate.sha256
            logger.warning("price file %s refused (%d problems); the prices in use stay",
                           candidate.label, len(outcome.problems))
            for problem in outcome.problems:
                logger.warning("%s", problem)
        self.book.remember(notes)
        return outcome
