"""`kiosk run`: wire readers, lookups, queue and screen into one systemd service.

Threads, and why:

- the **main thread** owns pygame (its display is not thread-safe): it paints (a card as
  soon as the product data is in, its photo when downloaded), logs each scan once the
  complete card is on screen (so `FIRST_PAINT_MS` and `LATENCY_MS` are the shopper's
  waits), talks to systemd, and sleeps on one queue between events, so an idle kiosk
  costs nothing;
- the **scan worker** (`kiosk.daemon.worker`): a fast lane that validates scans and answers
  from the cache, and a lookup lane that asks the API in order, so a cached card never
  waits behind a slow lookup;
- the **drainer** resolves queued scans when the API answers again
  (`kiosk.daemon.drainer`);
- one thread per **reader** (`kiosk.scanner`).

The other threads reach the main thread only through its queue, with the plain values
of `kiosk.daemon.events`; the main loop matches on their type. Scan results come
through the worker's outbox (`kiosk.daemon.outbox`) instead, with one `ScansReady` on
the queue at a time: a reader gone wild (hundreds of frames a second) can grow neither
queue, gets one paint per display frame at most (`FRAME_INTERVAL_S`: the newest
result is painted, the ones it covers are journalled), and its invalid frames and
double reads a few journal lines and a "suppressed N" summary per window.

Components start in order (store, API client, display, lookups, worker, drainer,
readers). An orderly stop (SIGTERM/SIGINT) tells every thread at once (and the API
client to send nothing new and abandon a photo, `kiosk.daemon.shutdown`), then waits for
them all against one deadline (`STOP_WAIT_MAX_S`): a paid answer on the wire is let
arrive and be cached. The display, the API client and last the store are closed after
that; the store not at all while a thread that uses it still runs. SIGHUP reloads the
configuration.

Built in-process (the tests do) it takes its seams as arguments: a reader factory (or
none), an httpx transport (`httpx.MockTransport`) or a sandbox's URL in the
configuration, SDL's dummy display, and `signals=False` off the main thread's duties.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from kiosk import config as config_mod
from kiosk.api import client_for, describe_route, make_http_client
from kiosk.api.errors import ApiError
from kiosk.config import Config, DisplayConfig, ScannerConfig
from kiosk.daemon.drainer import Drainer, DrainEvent
from kiosk.daemon.events import (
    Drained,
    Event,
    LinkChanged,
    Reload,
    Scanned,
    ScannerChanged,
    ScansReady,
    Stop,
)
from kiosk.daemon.health import Health, StatusPublisher, StatusWriter, status_line
from kiosk.daemon.lookups import Lookups
from kiosk.daemon.memory import no_huge_pages, pin_mmap_threshold
from kiosk.daemon.outbox import Batch, Outbox
from kiosk.daemon.present import (
    ScanRecord,
    journal_fields,
    journal_message,
    recent_entry,
    screen_for,
)
from kiosk.daemon.ratelimit import Suppressed
from kiosk.daemon.shutdown import StopGate
from kiosk.daemon.systemd import Notifier, event, fatal, label_entries
from kiosk.daemon.worker import ScanWorker
from kiosk.display import Display, Idle, RecentScan, ScannerDisconnected, ScreenState
from kiosk.errors import ConfigError, DisplayError, StoreError
from kiosk.exitcodes import EX_CONFIG, EX_FAILURE, EX_OK
from kiosk.metrics import Gauges, Metrics
from kiosk.outcome import Outcome
from kiosk.scanner import OnScan, OnStatus, Reader, WindowKeyboard, open_readers
from kiosk.store import StatusFile, Store

__all__ = ["Daemon", "ReaderFactory", "run"]

logger = logging.getLogger(__name__)

PROBE_EVERY_S = 30.0  # while offline, or unsure, ask the free /balance this often
FRAME_INTERVAL_S = 1 / 60  # scan results are painted at most this often (a 60 Hz panel)
# An orderly stop waits this long at most for every thread together: a lookup in flight
# has at most `api.lookup_deadline_s` left, and its answer is cached within a second or
# two. systemd's TimeoutStopSec (systemd/kiosk.service) is sized from it.
STOP_WAIT_MAX_S = 15.0
STOP_CACHE_S = 2.0

_SUPPRESSED_LABELS = {
    "invalid": "invalid", "duplicate": "double reads",
    "dropped_invalid": "invalid, dropped unread", "dropped_repeat": "repeats, dropped unread",
    "dropped_valid": "VALID scans dropped unread (the reader sent faster than scans are "
                     "handled)", "unshown": "results neither drawn nor journalled",
}


ReaderFactory = Callable[[ScannerConfig, list[str], OnScan, OnStatus], list[Reader]]


class Daemon:
    """The kiosk's service; `run()` until `stop()` (or a signal).

    `readers` builds the scanner readers (default: the configured evdev or serial
    readers; None: no readers, as in the demo, which feeds the worker itself; a test
    passes `FakeReader`s). `transport` replaces httpx's network transport (tests).
    `signals=False` leaves the process's signal handlers alone (a daemon run off the
    main thread, or inside a test runner). `after_show` is called on the main thread
    after each paint of a scan's screen: twice for a card drawn before its photo
    arrived (the record's answer `photo_pending` first), once otherwise; results that
    arrive within one `frame_interval_s` are painted once, the newest. `display`
    builds the screen (tests pass one with a fake sysfs to play a screen coming and going).
    """

    def __init__(self, cfg: Config, *, readers: ReaderFactory | None = open_readers,
                 transport: httpx.BaseTransport | None = None, signals: bool = True,
                 after_show: Callable[[ScanRecord, Display], None] | None = None,
                 frame_interval_s: float = FRAME_INTERVAL_S,
                 display: Callable[[DisplayConfig], Display] = Display) -> None:
        self.cfg = cfg
        self._make_display = display
        self._reader_factory = readers
        self._transport = transport
        self._signals = signals
        self._after_show = after_show
        # SimpleQueue, not Queue: SIGTERM's and SIGHUP's handlers put into it, and they run
        # on the main thread between two bytecodes, possibly inside the loop's own get().
        # Queue's lock is not reentrant, so that put() waited forever on a lock its own
        # thread held: a kiosk that ignored SIGTERM until systemd's SIGKILL (seen once in
        # some hundred stops by the test suite). SimpleQueue's put() is reentrant.
        # It has no bound; what could flood it is bounded by construction instead: scan
        # results wait in the outbox, announced by one ScansReady at a time.
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.outbox = Outbox()
        self._frame_interval_s = frame_interval_s
        self._scans_due: float | None = None  # when to take the outbox's results
        self._painted_at = float("-inf")
        self._gate = StopGate()
        self._stop_wait_s = min(cfg.api.lookup_deadline_s + STOP_CACHE_S, STOP_WAIT_MAX_S)
        # What an orderly stop tells (at once), then waits for (against one deadline).
        self._stoppable: list[tuple[str, Callable[[], None], Callable[[float], bool]]] = []
        self._threads_ended = True
        self.health = Health()
        self.notifier = Notifier()
        self.recent: deque[RecentScan] = deque(maxlen=8)
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._drawn_seq = 0
        # (seq, when) of the card drawn before its photo arrived: the one lookup in flight.
        self._first_paint: tuple[int, float] | None = None
        self._readers: list[Reader] = []
        self._status_file = StatusFile.for_daemon(cfg.storage.state_dir)
        self._status_writer = StatusWriter(self._status_file)
        self.status = StatusPublisher(self.health, self.notifier, self._status_writer.offer)
        self._last_probe = float("-inf")
        self._prober: threading.Thread | None = None
        # Prometheus metrics, when `metrics.textfile` names a file (set at start only).
        self._metrics_path = cfg.metrics.path
        self._started_at = time.time()
        self.metrics: Metrics | None = None  # made once the store can say what was spent
        self._metrics_due: float | None = 0.0 if self._metrics_path else None

    # --- start and stop -------------------------------------------------------------------

    def run(self) -> int:
        cfg = self.cfg
        config_mod.resolve_client_id(cfg)  # ConfigError → 78, before anything is opened
        label_entries(cfg.fleet.journal_fields())
        for key, directory in (("storage.state_dir", cfg.storage.state_dir),
                               ("storage.cache_dir", cfg.storage.cache_dir)):
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file in the way, or no permission to create it
                raise StoreError(f"{key}: {directory} cannot be used: {exc.strerror}") from exc
        with contextlib.ExitStack() as stack:
            self.store = Store.from_config(cfg.storage)
            stack.callback(self._close_store)
            if self._metrics_path is not None:
                self.metrics = Metrics(started_at=self._started_at,
                                       credits_spent_at_start=self._spent_so_far())
            self.http = make_http_client(cfg.api, self._transport, keep_warm=True)
            stack.callback(self._close_http)
            self._gate.install(self.http)
            self.api = client_for(cfg, self.http, ledger=self.store.spending)
            self.api.on_link = lambda online, why: self.events.put(LinkChanged(online, why))
            self.display = self._make_display(cfg.display)
            stack.callback(self.display.close)
            self.health.display = self.display.problem  # said in READY's STATUS= already
            self.display.on_problem = self._display_changed
            stack.callback(self._stop_threads)  # before anything above is closed
            self.lookups = Lookups(
                self.store, self.api, prepare=self.display.prepare_image,
                display_key=self._display_key,
                observe=self._observe_lookup if self.metrics else None)
            self.keyboard = WindowKeyboard()
            self.display.on_key = self._on_key
            self.worker = ScanWorker(self.lookups, self._result,
                                     duplicate_window_s=cfg.scanner.duplicate_window_s,
                                     on_drop=lambda kind, _: self.outbox.dropped(kind))
            self.worker.start()
            self._stoppable.append(("the scan worker", self.worker.request_stop,
                                    self.worker.join))
            self.drainer = Drainer(self.store, self.lookups.resolve,
                                   lambda e: self.events.put(Drained(e)),
                                   chores=self.lookups.chores)
            self.drainer.start()
            # Drainer.stop tells and waits in one call: it is told when it is waited for,
            # first of all, before any other wait.
            self._stoppable.insert(0, ("the drainer", lambda: None, lambda deadline:
                                       self.drainer.stop(max(0.0, deadline - time.monotonic()))))
            self._status_writer.start()
            self._stoppable.append(("the status writer", self._status_writer.request_stop,
                                    self._status_writer.join))
            if self._status_file.path.parent != cfg.storage.state_dir:
                StatusFile(cfg.storage.state_dir).remove()  # left there by an older kiosk
            self._open_readers()
            self._stoppable.insert(1, ("the scanner readers", self._tell_readers,
                                       self._join_readers))
            if self._signals:
                self._install_signals()
            self.health.refresh(self.api, self.store.queue)
            self._probe()
            self.notifier.ready(status_line(self.health))
            self.ready.set()
            logger.info("kiosk ready: %s mode, %dx%d, API %s %s", self.display.mode,
                        *self.display.size, cfg.api.base_url, describe_route(cfg.api))
            self._loop()
            self.notifier.stopping()
            logger.info("stopping: finishing the current lookup, saving waiting scans")
        if self._threads_ended:
            self._status_file.remove()
        if self._metrics_path is not None:
            Metrics.remove(self._metrics_path)
        logger.info("stopped")
        return EX_OK

    def stop(self) -> None:
        """Ask the main loop to stop: what SIGTERM does. Thread-safe, and safe in a signal
        handler, which may run inside anything the main thread was doing: no lock is
        taken here (a second signal during the first one's Event.set() would wait on the
        lock the first holds), only SimpleQueue's reentrant put; the loop sets the flag."""
        self.events.put(Stop())

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def queue_depth(self) -> int:
        try:
            return self.store.queue.stats().depth
        except StoreError:
            return -1

    def _display_key(self) -> str:
        """The screen-sized image copies' name: the size the display lays out for now
        (read from the lookup threads; a tuple swapped whole when a screen opens)."""
        width, height = self.display.size
        return f"display-{width}x{height}-{self.display.mode}"

    def _open_readers(self) -> None:
        if self._reader_factory is None:
            return
        self._readers = self._reader_factory(self.cfg.scanner, self.cfg.scanner_devices,
                                             self.worker.submit, self._on_scanner_status)
        for reader in self._readers:
            self.health.scanners.setdefault(reader.source, False)
            reader.start()

    def _close_readers(self) -> None:
        for reader in self._readers:
            reader.stop()
        self._readers = []

    def _tell_readers(self) -> None:
        for reader in self._readers:
            reader.stop(0.0)  # told, not waited for

    def _join_readers(self, deadline: float) -> bool:
        """Readers touch neither the store nor the screen, so one that outlives the stop
        (it says so itself) does not keep them open: always True."""
        for reader in self._readers:
            reader.stop(max(0.0, deadline - time.monotonic()))
        self._readers = []
        return True

    def _stop_threads(self) -> None:
        """Tell every thread to stop at once, then wait for them all against one
        deadline: the slowest (a paid lookup finishing) sets the pace, not the sum."""
        started = time.monotonic()
        deadline = started + self._stop_wait_s
        self._gate.close()  # nothing new goes out; a photo being read is let go
        for _, tell, _ in self._stoppable:
            tell()
        still = [name for name, _, join in self._stoppable if not join(deadline)]
        self._stoppable = []
        if still:
            self._threads_ended = False
            logger.error("stopping: %s did not end within %.1f s", " and ".join(still),
                         self._stop_wait_s)
        else:
            logger.info("stopping: every thread ended in %.2f s", time.monotonic() - started)

    def _close_http(self) -> None:
        if self._threads_ended:
            self.http.close()
        # else left open like the store: closing it would fail a paid answer still arriving

    def _close_store(self) -> None:
        if self._threads_ended:
            self.store.close()
            return
        # Closing it under a running thread would turn a write in progress into an error
        # (or worse); the process ends now anyway, and SQLite's journal covers the rest.
        logger.error("the store is left open: a thread that uses it is still running")

    def _install_signals(self) -> None:
        def stop(signum: int, frame: FrameType | None) -> None:
            self.stop()

        def reload(signum: int, frame: FrameType | None) -> None:
            self.events.put(Reload())

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)

    # --- the main loop ----------------------------------------------------------------------

    def _loop(self) -> None:
        # In a window the keyboard is a reader, so window events are read often; full
        # screen only needs them now and then.
        pump_every = 0.5 if self.cfg.display.fullscreen else 0.05
        deadline = self.display.tick()
        while not self._stop.is_set() and not self.display.quit_requested:
            now = time.monotonic()
            self.notifier.watchdog(now)
            waits = [now + pump_every, deadline, self.notifier.next_ping(), self.status.due,
                     self._metrics_due, self._scans_due, self.outbox.summary_due,
                     self._last_probe + PROBE_EVERY_S if self.health.online is not True else None]
            timeout = max(0.0, min(w for w in waits if w is not None) - now)
            try:
                self._handle(self.events.get(timeout=timeout))
                while True:  # drain a burst before the next paint deadline check
                    self._handle(self.events.get_nowait())
            except queue.Empty:
                pass
            now = time.monotonic()
            if self._scans_due is not None and now >= self._scans_due:
                self._scans_due = None
                self._show_batch(self.outbox.take())
            if (due := self.outbox.summary_due) is not None and now >= due:
                self._say_suppressed(self.outbox.summary())
            deadline = self.display.tick(now)  # reads window events (the keyboard) too
            for scan in self.keyboard.poll(now):
                self.worker.submit(scan)
            if self.health.online is not True and now - self._last_probe >= PROBE_EVERY_S:
                self._probe()
            if self.status.due is not None and now >= self.status.due:
                self.health.refresh(self.api, self.store.queue)
                self.status.publish(self.display.mode)
            if self._metrics_due is not None and now >= self._metrics_due:
                self._metrics_due = now + self.cfg.metrics.interval_s
                self._write_metrics()

    def _handle(self, event: Event) -> None:
        match event:
            case ScansReady():
                self._scans_ready()
            case Scanned(record):  # put by hand (a test): through the outbox all the same
                self._result(record)
            case Drained(drained):
                self._drained(drained)
            case ScannerChanged():
                self._scanner_changed(event)
            case LinkChanged(online, reason):
                self._set_online(online, reason)
            case Reload():
                self._do_reload()
            case Stop():
                self._stop.set()

    # --- scan results: coalesced, painted at most once a frame ------------------------------

    def _result(self, record: ScanRecord) -> None:
        """A scan worker's result (from its threads): into the outbox, and the main loop
        woken only if it was not already."""
        if self.outbox.put(record):
            self.events.put(ScansReady())

    def _scans_ready(self) -> None:
        if self._scans_due is None:
            self._scans_due = max(time.monotonic(), self._painted_at + self._frame_interval_s)

    def _show_batch(self, batch: Batch) -> None:
        """Paint the newest of the results that came since the last paint, once, then
        journal each (in the order they came) with when it was drawn, if it was."""
        credits = self.api.state.credits_remaining
        shown = [(r, screen_for(r, credits)) for r in batch.records]
        drawn_before = self._drawn_seq
        top: tuple[ScanRecord, ScreenState] | None = None
        for record, state in [*shown, *([(batch.quiet, screen_for(batch.quiet, credits))]
                                        if batch.quiet is not None else [])]:
            if state is None or (record.seq and record.seq < drawn_before):
                continue  # nothing to show, or a later scan is already on screen
            if top is None or not record.seq or record.seq >= top[0].seq:
                top = (record, state)
        if any(r.answer is not None and not r.answer.from_cache for r in batch.records):
            self.health.refresh(self.api, self.store.queue)  # an API answer, or a queued scan
            self.status.schedule()
        if self.display.mode == "staff":
            self._list_recent(shown, top[0] if top else None)
        painted_at = None
        if top is not None:
            record, state = top
            self._drawn_seq = max(self._drawn_seq, record.seq)
            self.display.set_status(self.health.status_info(), list(self.recent))
            self.display.show(state)
            painted_at = self._painted_at = time.monotonic()
            if self._after_show is not None:
                self._after_show(record, self.display)
        for record, state in shown:
            drawn = top is not None and record is top[0]
            covered = state is not None and 0 < record.seq < drawn_before
            self._scanned(record, covered, painted_at if drawn else None)

    def _list_recent(self, shown: list[tuple[ScanRecord, ScreenState | None]],
                     top: ScanRecord | None) -> None:
        """The staff list: each scan once, when first drawn (a card before its photo) or
        when its result came (everything else)."""
        first = self._first_paint
        for record, state in shown:
            answer = record.answer
            early = answer is not None and answer.photo_pending
            redraw = first is not None and record.seq != 0 and first[0] == record.seq
            if state is None or redraw or (early and record is not top):
                continue
            entry = recent_entry(record.outcome, record.barcode,
                                 answer.product if answer else None)
            if entry is not None:
                self.recent.appendleft(entry)

    def _scanned(self, record: ScanRecord, covered: bool, painted_at: float | None) -> None:
        """One result's journal entry and metrics (`covered`: a later scan was on screen
        already; `painted_at`: when it was drawn, None if it was not)."""
        answer = record.answer
        early = answer is not None and answer.photo_pending
        if not early and answer is not None and answer.outcome is Outcome.QUEUED:
            self.drainer.wake()
        if covered and not early:
            logger.info("card for %s not drawn: a later scan is on screen", record.barcode)
        first = self._first_paint
        redraw = first is not None and record.seq != 0 and first[0] == record.seq
        if early:  # the journal entry waits for the complete card
            self._first_paint = (record.seq, painted_at) if painted_at is not None else None
            return
        first_at = painted_at
        if redraw:
            assert first is not None
            first_at, self._first_paint = first[1], None
        if self.metrics is not None:
            self.metrics.record_scan(record.outcome)
            if first_at is not None:
                self.metrics.observe_first_paint(first_at - record.t_last)
        level = logging.WARNING if record.outcome is Outcome.ERROR else logging.INFO
        event(logger, level, journal_message(record),
              **journal_fields(record, _ms_since(record.t_last, painted_at),
                               _ms_since(record.t_last, first_at)))

    def _say_suppressed(self, said: Suppressed | None) -> None:
        """The one line a window of noise costs, with each kind counted as a field."""
        if said is None:
            return
        noise = said.counts.get("invalid", 0) + said.counts.get("duplicate", 0)
        noise += said.counts.get("dropped_invalid", 0) + said.counts.get("dropped_repeat", 0)
        parts = ", ".join(f"{n} {_SUPPRESSED_LABELS.get(k, k)}"
                          for k, n in sorted(said.counts.items()))
        event(logger, logging.WARNING,
              f"suppressed {noise} invalid/duplicate frames in the last {said.seconds:.0f} s "
              f"({parts}); a reader at the wrong baud rate, or held over a code?",
              kiosk_event="suppressed", seconds=round(said.seconds, 1),
              **{k: n for k, n in said.counts.items()})
        if self.metrics is not None:  # every scan counted, journalled one by one or not
            for kind in ("invalid", "duplicate"):
                for _ in range(said.counts.get(kind, 0)):
                    self.metrics.record_scan(Outcome(kind))

    def _drained(self, ev: DrainEvent) -> None:
        if ev.kind == "resolved":
            event(logger, logging.INFO, f"queued scan {ev.barcode} resolved ({ev.outcome})",
                  kiosk_event="resolved", barcode=ev.barcode, outcome=ev.outcome,
                  credits=ev.credits)
            if ev.outcome is not None and self.display.mode == "staff":
                entry = recent_entry(ev.outcome, ev.barcode, resolved=True)
                if entry is not None:
                    self.recent.appendleft(entry)
        self.health.refresh(self.api, self.store.queue)
        self.display.set_status(self.health.status_info(), list(self.recent))
        self.status.schedule()

    def _scanner_changed(self, change: ScannerChanged) -> None:
        # The reader itself logs each transition once; here it only changes what is shown.
        self.health.scanners[change.source] = change.connected
        if self.display.mode == "staff":
            if not self.health.scanner_ok and isinstance(self.display.state, Idle):
                missing = next((s for s, ok in self.health.scanners.items() if not ok), None)
                self.display.show(ScannerDisconnected(missing))
            elif self.health.scanner_ok and isinstance(self.display.state, ScannerDisconnected):
                self.display.show(self.display.idle)
            self.display.set_status(self.health.status_info(), list(self.recent))
        self.status.schedule()

    # --- health ----------------------------------------------------------------------------

    def _set_online(self, online: bool, reason: str | None = None) -> None:
        change = self.health.set_online(online)
        if change is None:
            return
        if change == "back":
            logger.warning("network back: the API answers again")
            self.drainer.wake(retry_now=True)
        elif change == "first_answer":
            logger.info("the API answers")
        else:
            logger.warning("network lost: the API does not answer (%s); scans are saved "
                           "and cached cards still show", reason or "no answer")
        self.status.schedule()

    def _probe(self) -> None:
        """Ask the free /balance in the background: what is left, and (through the
        client's `on_link`) whether the API answers. Then /pricing when it is due (free
        too): at start it is read here, so the first scan does not wait a round trip for
        it; the same one request either way."""
        if self._prober is not None and self._prober.is_alive():
            return
        self._last_probe = time.monotonic()

        def probe() -> None:
            try:
                self.api.balance()
            except ApiError as exc:  # told to the main loop by `on_link` when it matters
                logger.debug("probe: %s", exc)
            else:
                self.api.refresh_pricing(when_due=True)

        self._prober = threading.Thread(target=probe, name="kiosk-probe", daemon=True)
        self._prober.start()

    # --- callbacks from other threads ---------------------------------------------------------

    def _on_scanner_status(self, source: str, connected: bool, detail: str) -> None:
        self.events.put(ScannerChanged(source, connected, detail))

    def _display_changed(self, problem: str | None) -> None:
        """From `Display.tick` on this thread: a screen came or went (it logged that)."""
        self.health.display = problem
        self.status.schedule()

    def _on_key(self, pygame_event: Any) -> None:
        for scan in self.keyboard.handle(pygame_event, time.monotonic()):
            self.worker.submit(scan)

    # --- reload -------------------------------------------------------------------------------

    def _do_reload(self) -> None:
        self.notifier.reloading()
        try:
            self._reload_config()
        finally:
            self.notifier.reloaded(status_line(self.health))

    def _reload_config(self) -> None:
        path = self.cfg.path
        try:
            new = config_mod.load(path) if path else self.cfg
        except ConfigError as exc:
            logger.error("reload refused, keeping the running configuration: %s",
                         "; ".join(exc.problems))
            return
        old = self.cfg
        self.cfg = new
        if new.fleet != old.fleet:
            label_entries(new.fleet.journal_fields())
        if new.scanner != old.scanner:
            logger.info("scanner settings changed: reopening the readers")
            self._close_readers()
            self.health.scanners.clear()
            self.worker.set_duplicate_window(new.scanner.duplicate_window_s)
            self._open_readers()
        fixed = ("size", "mode", "fullscreen", "font", "backlight", "brightness_percent",
                 "output", "rotation")
        d_old, d_new = old.display, new.display
        if any(getattr(d_old, f) != getattr(d_new, f) for f in fixed):
            logger.warning("display size, mode, full screen, font, backlight, output and "
                           "rotation apply after a restart")
        self.display.config = replace(d_new, **{f: getattr(d_old, f) for f in fixed})
        self.display.set_idle(Idle(d_new.store_name, d_new.logo, d_new.scanner_position))
        if new.api != old.api or new.storage != old.storage or new.metrics != old.metrics:
            logger.warning("[api], [storage] and [metrics] changes apply after a restart")
        logger.info("configuration reloaded from %s", path)


    # --- metrics ---------------------------------------------------------------------------

    def _spent_so_far(self) -> float:
        try:
            return self.store.spending.total()
        except StoreError as exc:  # the queue file is unusable: the counter starts again
            logger.warning("credits spent so far are unknown, kiosk_credits_spent_total "
                           "starts from 0: %s", exc)
            return 0.0

    def _observe_lookup(self, seconds: float, credits: float) -> None:
        """From the scan worker's and the drainer's threads (Metrics is thread-safe)."""
        assert self.metrics is not None
        self.metrics.observe_lookup(seconds)
        self.metrics.record_spend(credits)

    def _write_metrics(self) -> None:
        """The gauges as of now, and the file node_exporter reads (every interval_s:
        the oldest queued scan ages, and a file that stops changing means a stuck kiosk)."""
        assert self.metrics is not None and self._metrics_path is not None
        self.health.refresh(self.api, self.store.queue)
        try:
            oldest = self.store.queue.stats().oldest_age_s or 0.0
        except StoreError:
            oldest = 0.0  # the queue's own trouble is logged where it happens
        h = self.health
        self.metrics.update(Gauges(
            queue_depth=h.queue_depth, oldest_queued_age_s=oldest, set_aside=h.set_aside,
            credits_remaining=h.credits_remaining, token_expires_at=h.token_expires_at,
            scanners=dict(h.scanners), online=h.online,
            last_api_success_at=self.api.state.last_answer_at,
            spend_limit_reached=self.api.spend is not None and self.api.spend.limited))
        self.metrics.write(self._metrics_path)


def _ms_since(start: float, end: float | None) -> float | None:
    return None if end is None else (end - start) * 1000


def run(config_path: Path) -> int:
    """Load the configuration and run the daemon; the exit code for systemd.

    Every way the daemon ends on an error passes through `fatal` here, so that the
    reason reaches the journal and, when `kiosk run` was typed in one, the terminal.
    """
    pin_mmap_threshold()  # before the first image is decoded
    no_huge_pages()  # before khugepaged has collapsed any of the GL stack's regions
    try:
        return Daemon(config_mod.load(config_path)).run()
    except ConfigError as exc:
        for problem in exc.problems:
            fatal(logger, "configuration: %s", problem)
        return EX_CONFIG
    except (DisplayError, StoreError) as exc:  # no screen; a state or cache dir unusable
        fatal(logger, "kiosk cannot run: %s", exc)
        return EX_FAILURE
    except KeyboardInterrupt:
        return EX_OK
    except Exception:
        fatal(logger, "kiosk stopped on an unexpected error", exc_info=True)
        return EX_FAILURE
