"""Prometheus metrics as a text file for node_exporter's textfile collector.

A chain's admins already run Prometheus and a node_exporter on every host; the kiosk
plugs into that instead of opening a port or running a process of its own. Every few
seconds the daemon rewrites one small file in the Prometheus text exposition format
(version 0.0.4), and node_exporter serves it with the host's own metrics.

Why a hand-written renderer and not the `prometheus_client` package: the daemon
measures 62.6 MB RSS against a 64 MB target (README, "Measured"), and importing
`prometheus_client` 0.26 with its Counter, Gauge, Histogram and `write_to_textfile`
costs 1.5 MB RSS, 32 modules and 27 ms on the x86-64 development VM (several times the
time on a Pi) on top of httpx, for what is here a page of code. Its default registry
would also add process and GC collectors and `_created` series that a textfile does
not want. The format is small and stable; the tests hold this module to it with
`promtool check metrics`, Prometheus' own linter.

Why the file belongs on tmpfs (`/run/kiosk/metrics.prom`, the unit's RuntimeDirectory):
it is rewritten every few seconds, about 17,000 times a day; on the SD card each
rewrite is a new file, a rename and a journal commit, which wears the card for numbers
nobody needs after a power cut. tmpfs also makes a stopped kiosk visible: systemd
removes /run/kiosk when the service stops, so its last numbers vanish with it instead
of being served stale, and `kiosk_build_info` goes absent.

Counters and histograms count from the start of the process: a restart resets them,
which `rate()` and `increase()` treat as a reset (they lose only what happened between
the last scrape and the restart). `kiosk_credits_spent_total` is the exception, money
being counted: it starts from the store's running total (`SpendLog.total`), passed to
`Metrics`. `kiosk_start_time_seconds` shows each restart.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk import __version__
from kiosk.atomic import remove_file, write_atomic

__all__ = ["BUCKETS_S", "METRIC_NAMES", "OUTCOMES", "Gauges", "Metrics"]

logger = logging.getLogger(__name__)

# What can happen to a scan (the journal's OUTCOME=), each exported from the start as 0
# so that `rate()` has a series before the first such scan.
OUTCOMES = ("shown", "cached", "not_found", "invalid", "duplicate", "queued", "error")

# Scan to first paint and lookups span 20 ms (a cached card) to 10 s (the lookup
# deadline); 0.08 s is the uncached card's p95 target, so its share is one query.
BUCKETS_S = (0.02, 0.05, 0.08, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 3.0, 5.0, 10.0)


@dataclass(frozen=True)
class Gauges:
    """The daemon's state at one moment; `None` leaves a series out while unknown.

    Times are Unix times (`time.time()`); `oldest_queued_age_s` is 0 with an empty
    queue, so that an alert on it needs no special case.
    """

    queue_depth: int = 0
    oldest_queued_age_s: float = 0.0
    set_aside: int = 0
    credits_remaining: float | None = None
    token_expires_at: float | None = None
    scanners: Mapping[str, bool] = field(default_factory=dict)
    online: bool | None = None
    last_api_success_at: float | None = None
    spend_limit_reached: bool = False
    # The Pi's own state (kiosk.daemon.pi): None where the machine cannot tell.
    state_durable: bool | None = None
    undervoltage: bool | None = None
    throttled: bool | None = None
    clock_skew_s: float | None = None  # the kiosk's clock minus the API's Date


class _Histogram:
    """Cumulative buckets as Prometheus wants them; not thread-safe on its own."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf
        self.total = 0.0

    def observe(self, value: float) -> None:
        if math.isnan(value):
            return
        value = max(0.0, value)  # a clock stepped back is not a negative latency
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += 1
                break
        else:
            self.counts[-1] += 1
        self.total += value


class Metrics:
    """Everything the kiosk exports; thread-safe, so any thread may record.

    `credits_spent_at_start` is where `kiosk_credits_spent_total` starts: the daemon
    passes the store's running total (`SpendLog.total`), so the counter survives
    restarts. The sum of the spend log's rows cannot serve: it deletes rows older than
    two days, so that sum falls, and a falling counter reads as a reset.
    """

    def __init__(
        self, version: str = __version__, *, started_at: float, credits_spent_at_start: float = 0.0
    ) -> None:
        self._version = version
        self._started_at = started_at
        self._lock = threading.Lock()
        self._scans: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        self._spent = max(0.0, credits_spent_at_start)
        self._recalls_shown = 0
        self._lookup = _Histogram(BUCKETS_S)
        self._first_paint = _Histogram(BUCKETS_S)
        self._gauges = Gauges()
        self._write_failing = False

    # --- recording ------------------------------------------------------------------

    def record_scan(self, outcome: str) -> None:
        """One scan ended with `outcome` (the journal's OUTCOME=)."""
        with self._lock:
            self._scans[outcome] = self._scans.get(outcome, 0) + 1

    def record_recall_shown(self) -> None:
        """A scan of a product the price file recalls was shown."""
        with self._lock:
            self._recalls_shown += 1

    def record_spend(self, credits: float) -> None:
        """Credits a lookup cost (what the spending guard is told)."""
        if credits > 0 and math.isfinite(credits):
            with self._lock:
                self._spent += credits

    def observe_lookup(self, seconds: float) -> None:
        """One API lookup took `seconds` (request to answer, image included)."""
        with self._lock:
            self._lookup.observe(seconds)

    def observe_first_paint(self, seconds: float) -> None:
        """A scan's screen was first painted `seconds` after its last byte."""
        with self._lock:
            self._first_paint.observe(seconds)

    def update(self, gauges: Gauges) -> None:
        """Replace the state the gauges show; call before `write`."""
        with self._lock:
            self._gauges = gauges

    # --- output ---------------------------------------------------------------------

    def render(self) -> str:
        """The whole file, in the text exposition format; no I/O, no clock."""
        with self._lock:
            return "".join(self._lines())

    def write(self, path: Path) -> bool:
        """Replace `path` atomically with `render()`; False (logged once) if it failed.

        Atomic so that node_exporter never reads half a file. The rename is not made
        durable (no directory fsync): the file is recomputed within seconds anyway, and
        on tmpfs there is nothing to sync. A failure is a state, logged when it starts
        and when it ends, never an exception in the daemon's loop.
        """
        data = self.render().encode("utf-8")
        try:
            write_atomic(path, data, mode=0o644, sync_dir=False)
        except OSError as exc:
            if not self._write_failing:
                logger.warning("metrics file %s cannot be written (%s); Prometheus sees no "
                               "kiosk metrics until it can", path, exc.strerror or exc)
            self._write_failing = True
            return False
        if self._write_failing:
            logger.warning("metrics file %s written again", path)
        self._write_failing = False
        return True

    @staticmethod
    def remove(path: Path) -> None:
        """Remove the file on an orderly stop, so that a stopped kiosk reads as absent."""
        remove_file(path, "metrics file")

    # --- under the lock -------------------------------------------------------------

    def _lines(self) -> Iterator[str]:
        g = self._gauges
        yield from _family("kiosk_build_info", "gauge",
                           "The running kiosk's version; always 1.",
                           [({"version": self._version}, 1)])
        yield from _family("kiosk_start_time_seconds", "gauge",
                           "When the kiosk process started, in Unix time.",
                           [({}, self._started_at)])
        yield from _family("kiosk_scans_total", "counter",
                           "Scans by outcome (the journal's OUTCOME=); resets at restart.",
                           [({"outcome": o}, n) for o, n in sorted(self._scans.items())])
        yield from _family("kiosk_recalls_shown_total", "counter",
                           "Scans of a product the price file recalls, shown; resets at "
                           "restart.", [({}, self._recalls_shown)])
        yield from _histogram("kiosk_lookup_duration_seconds",
                              "API lookups, request to answer; resets at restart.",
                              self._lookup)
        yield from _histogram("kiosk_first_paint_duration_seconds",
                              "Last byte of a scan to the first paint of its screen; "
                              "resets at restart.", self._first_paint)
        yield from _family("kiosk_credits_spent_total", "counter",
                           "Credits spent on lookups.", [({}, self._spent)])
        yield from _family("kiosk_credits_remaining", "gauge",
                           "Credits remaining, as the API last said.",
                           _known(g.credits_remaining))
        yield from _family("kiosk_queued_scans", "gauge",
                           "Scans saved for a later lookup.", [({}, g.queue_depth)])
        yield from _family("kiosk_queue_oldest_age_seconds", "gauge",
                           "Age of the oldest queued scan; 0 when the queue is empty.",
                           [({}, g.oldest_queued_age_s)])
        yield from _family("kiosk_queued_scans_set_aside", "gauge",
                           "Queued scans passed over after failing three times.",
                           [({}, g.set_aside)])
        yield from _family("kiosk_online", "gauge",
                           "1 when the API answers, 0 when it does not.",
                           _known(None if g.online is None else int(g.online)))
        yield from _family("kiosk_api_last_success_timestamp_seconds", "gauge",
                           "Last successful contact with the API, in Unix time.",
                           _known(g.last_api_success_at))
        yield from _family("kiosk_token_expiry_timestamp_seconds", "gauge",
                           "When the API access token expires, in Unix time.",
                           _known(g.token_expires_at))
        yield from _family("kiosk_spend_limit_reached", "gauge",
                           "1 while the spending guard holds lookups back.",
                           [({}, int(g.spend_limit_reached))])
        yield from _family("kiosk_clock_skew_seconds", "gauge",
                           "The kiosk's clock minus the API's Date at the last answer "
                           "(negative: behind).", _known(g.clock_skew_s))
        yield from _family("kiosk_scanner_connected", "gauge",
                           "1 when the scanner is connected, 0 when it is not.",
                           [({"scanner": s}, int(ok)) for s, ok in sorted(g.scanners.items())])
        yield from _family("kiosk_state_durable", "gauge",
                           "0 when the state or cache directory is held in RAM (tmpfs, the "
                           "overlay file system): a power cut loses queued scans.",
                           _known(None if g.state_durable is None else int(g.state_durable)))
        yield from _family("kiosk_undervoltage", "gauge",
                           "1 while the Pi's firmware reports under-voltage; absent off a Pi.",
                           _known(None if g.undervoltage is None else int(g.undervoltage)))
        yield from _family("kiosk_throttled", "gauge",
                           "1 while the Pi's firmware caps or throttles the CPU (power or "
                           "heat); absent off a Pi.",
                           _known(None if g.throttled is None else int(g.throttled)))


# Every family the file can hold; the README's list and the alert rules are tested
# against it.
METRIC_NAMES = (
    "kiosk_build_info", "kiosk_start_time_seconds", "kiosk_scans_total",
    "kiosk_recalls_shown_total",
    "kiosk_lookup_duration_seconds", "kiosk_first_paint_duration_seconds",
    "kiosk_credits_spent_total", "kiosk_credits_remaining", "kiosk_queued_scans",
    "kiosk_queue_oldest_age_seconds", "kiosk_queued_scans_set_aside", "kiosk_online",
    "kiosk_api_last_success_timestamp_seconds", "kiosk_token_expiry_timestamp_seconds",
    "kiosk_spend_limit_reached", "kiosk_scanner_connected", "kiosk_clock_skew_seconds",
    "kiosk_state_durable", "kiosk_undervoltage", "kiosk_throttled",
)

Sample = tuple[Mapping[str, str], float]


def _known(value: float | None) -> list[Sample]:
    return [] if value is None else [({}, value)]


def _family(name: str, kind: str, help_text: str, samples: list[Sample]) -> Iterator[str]:
    """HELP and TYPE even without samples: the family stays documented while unknown."""
    yield f"# HELP {name} {_escape_help(help_text)}\n"
    yield f"# TYPE {name} {kind}\n"
    for labels, value in samples:
        yield f"{name}{_labels(labels)} {_number(value)}\n"


def _histogram(name: str, help_text: str, h: _Histogram) -> Iterator[str]:
    yield f"# HELP {name} {_escape_help(help_text)}\n"
    yield f"# TYPE {name} histogram\n"
    cumulative = 0
    for bound, count in zip((*h.bounds, math.inf), h.counts, strict=True):
        cumulative += count
        yield f'{name}_bucket{{le="{_number(bound)}"}} {cumulative}\n'
    yield f"{name}_sum {_number(h.total)}\n"
    yield f"{name}_count {cumulative}\n"


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape_label_value(v)}"' for k, v in labels.items()) + "}"


def _escape_label_value(value: str) -> str:
    r"""A label value as the text format wants it: \\, \" and \n escaped.

    Scanner paths are an admin's text (and a device's name can hold anything); one
    unescaped quote or newline would make node_exporter refuse the whole file, and so
    would bytes that are not UTF-8 (a path decoded with surrogate escapes): those become
    the text `\udcff`, whose backslash is then escaped like any other.
    """
    value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value.replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _number(value: float) -> str:
    """Go's float syntax, which Prometheus parses: integers bare, +Inf, NaN."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))
