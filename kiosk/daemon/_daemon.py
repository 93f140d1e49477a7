"""`kiosk run`: wire readers, lookups, queue and screen into one systemd service.

The main thread owns pygame and sleeps on one queue (`kiosk.daemon._wake`); a scan
worker with a fast and a lookup lane, the drainer and one thread per reader reach it
only through that queue, with the plain values of `kiosk.daemon.events`, and scan
results through the outbox, one `ScansReady` at a time, so a reader gone wild can grow
neither. Paints are paced past a short burst (`FRAME_INTERVAL_S`, `kiosk.daemon._pace`).
Why each thread, and the order of start and stop: docs/architecture.md, "The threads".
A stop (SIGTERM/SIGINT) tells every thread at once, then waits for them all against one
deadline (`STOP_WAIT_MAX_S`): a paid answer on the wire is let arrive and be cached.

Built in-process (the tests do) it takes its seams as arguments: a reader factory (or
none), an httpx transport (`httpx.MockTransport`) or a sandbox's URL in the
configuration, SDL's dummy display, and `signals=False` off the main thread's duties.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from kiosk import config as config_mod
from kiosk.api import client_for, describe_route, make_http_client
from kiosk.config import Config, DisplayConfig
from kiosk.daemon._board import StatusBoard
from kiosk.daemon._link import Link
from kiosk.daemon._metrics import MetricsFile
from kiosk.daemon._pace import HOLD_S, Pacer
from kiosk.daemon._paint import PaintOrder
from kiosk.daemon._pi import PiHealth
from kiosk.daemon._prices import Prices
from kiosk.daemon._reload import display_now, load_again, restart_only
from kiosk.daemon._results import AfterShow, Results
from kiosk.daemon._scan import ScanResult
from kiosk.daemon._threads import ReaderFactory, Readers, Stoppables, install_signals
from kiosk.daemon._wake import Waker
from kiosk.daemon.drainer import Drainer
from kiosk.daemon.events import (
    Drained,
    Event,
    LinkChanged,
    Reload,
    ScannerChanged,
    ScansReady,
    Stop,
)
from kiosk.daemon.health import Health, StatusPublisher, StatusWriter, status_line
from kiosk.daemon.lookups import Lookups
from kiosk.daemon.outbox import Outbox
from kiosk.daemon.shutdown import StopGate
from kiosk.daemon.systemd import Notifier, label_entries
from kiosk.daemon.worker import ScanWorker
from kiosk.display import Display, Idle, ScannerDisconnected
from kiosk.errors import StoreError
from kiosk.exitcodes import EX_OK
from kiosk.scanner import WindowKeyboard, open_readers
from kiosk.store import StatusFile, Store

__all__ = ["FRAME_INTERVAL_S", "STOP_WAIT_MAX_S", "Daemon"]

logger = logging.getLogger(__name__)

FRAME_INTERVAL_S = 1 / 60  # scan results are painted this often at most, past a short
# burst (a 60 Hz panel; `kiosk.daemon._pace`)
WINDOW_EVENTS_S = 0.05  # in a window, its events (the keyboard: a reader) are read this often
# An orderly stop waits this long at most for every thread together: a lookup in flight
# has at most `api.lookup_deadline_s` left, and its answer is cached within a second or
# two. systemd's TimeoutStopSec (systemd/kiosk.service) is sized from it.
STOP_WAIT_MAX_S = 15.0
STOP_CACHE_S = 2.0


class Daemon:
    """The kiosk's service; `run()` until `stop()` (or a signal).

    `readers` builds the scanner readers (default: the configured ones; None: none, as
    in the demo; tests pass `FakeReader`s). `transport` replaces httpx's network
    transport (tests). `signals=False` leaves the signal handlers alone (off the main
    thread, in a test runner). `after_show` is called on the main thread after each
    paint of a scan's screen (twice for a card drawn before its photo, `photo_pending`
    first). `frame_interval_s` and `early_hold_s` pace the paints (`kiosk.daemon._pace`).
    `display` builds the screen (tests pass one with a fake sysfs). `stop_wait_s` bounds
    an orderly stop's wait for the threads (default: from `api.lookup_deadline_s`).
    """

    def __init__(self, cfg: Config, *, readers: ReaderFactory | None = open_readers,
                 transport: httpx.BaseTransport | None = None, signals: bool = True,
                 after_show: AfterShow | None = None,
                 frame_interval_s: float = FRAME_INTERVAL_S, early_hold_s: float = HOLD_S,
                 display: Callable[[DisplayConfig], Display] = Display,
                 stop_wait_s: float | None = None) -> None:
        self.cfg = cfg
        self._make_display = display
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
        self._pacer = Pacer(frame_interval_s, hold_s=early_hold_s)
        self._scans_due: float | None = None  # when to take the outbox's results
        self._waker = Waker()  # the main loop's sleep (`kiosk.daemon._wake`)
        self._gate = StopGate()
        self._stop_wait_s = (min(cfg.api.lookup_deadline_s + STOP_CACHE_S, STOP_WAIT_MAX_S)
                             if stop_wait_s is None else stop_wait_s)
        self._stoppable = Stoppables()
        self.health = Health()
        self.notifier = Notifier()
        self.order = PaintOrder()  # the newest scan drawn, and the staff list
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._readers = Readers(readers, lambda scan: self.worker.submit(scan),
                                self._on_scanner_status)
        self._status_file = StatusFile.for_daemon(cfg.storage.state_dir)
        self._status_writer = StatusWriter(self._status_file)
        self.status = StatusPublisher(self.health, self.notifier, self._status_writer.offer)
        # Prometheus metrics, when `metrics.textfile` names a file (set at start only).
        self._metrics = MetricsFile(cfg.metrics.path)
        self.pi = PiHealth(self.health)  # state in RAM? power supply too weak?

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
        self.pi.at_start(cfg)
        with contextlib.ExitStack() as stack:
            self.store = Store.from_config(cfg.storage)
            stack.callback(self._close_store)
            self._metrics.open(self.store)
            self.http = make_http_client(cfg.api, self._transport, keep_warm=True)
            stack.callback(self._close_http)
            self._gate.install(self.http)
            self.api = client_for(cfg, self.http, ledger=self.store.spending)
            self.api.on_link = lambda online, why: self.events.put(LinkChanged(online, why))
            self.display = self._make_display(cfg.display)
            stack.callback(self.display.close)
            self.health.display = self.display.problem  # said in READY's STATUS= already
            self.display.on_problem = self._display_changed
            self.board = StatusBoard(self.health, self.status, self.api, self.store.queue,
                                     self.display, self.order.recent)
            self.prices = Prices.start(cfg, self._transport, stack, self._stoppable)
            stack.callback(self._stop_threads)  # before anything above is closed
            metrics = self._metrics.metrics
            self.lookups = Lookups(self.store, self.api, prepare=self.display.prepare_image,
                                   display_key=self._display_key,
                                   observe=self._metrics.observe_lookup if metrics else None)
            self.keyboard = WindowKeyboard()
            self.display.on_key = self._on_key
            self.worker = ScanWorker(self.lookups, self.post,
                                     duplicate_window_s=cfg.scanner.duplicate_window_s,
                                     on_drop=lambda kind, _: self.outbox.dropped(kind),
                                     prices=self.prices.lookup if self.prices else None)
            self.worker.start()
            self._stoppable.add("the scan worker", self.worker.request_stop, self.worker.join)
            self.drainer = Drainer(self.store, self.lookups.resolve,
                                   lambda e: self.events.put(Drained(e)),
                                   chores=self.lookups.chores)
            self.drainer.start()
            # Drainer.stop tells and waits in one call: it is told when it is waited for,
            # first of all, before any other wait.
            self._stoppable.add("the drainer", lambda: None, lambda deadline:
                                self.drainer.stop(max(0.0, deadline - time.monotonic())), at=0)
            self.link = Link(self.api, self.health, on_change=self.status.schedule,
                             on_back=lambda: self.drainer.wake(retry_now=True))
            self.results = Results(self.display, self.board, self.order,
                                   credits=lambda: self.api.state.credits_remaining,
                                   wake_drainer=self.drainer.wake, metrics=metrics,
                                   after_show=self._shown)
            self._status_writer.start()
            self._stoppable.add("the status writer", self._status_writer.request_stop,
                                self._status_writer.join)
            if self._status_file.path.parent != cfg.storage.state_dir:
                StatusFile(cfg.storage.state_dir).remove()  # left there by an older kiosk
            self._open_readers()
            self._stoppable.add("the scanner readers", self._readers.tell, self._readers.join,
                                at=1)
            if self._signals:
                install_signals(stop=self.stop, reload=lambda: self.events.put(Reload()))
            self.board.refresh()
            self.link.probe()
            self.notifier.ready(status_line(self.health))
            self.ready.set()
            logger.info("kiosk ready: %s mode, %dx%d, API %s %s", self.display.mode,
                        *self.display.size, cfg.api.base_url, describe_route(cfg.api))
            self._loop()
            self.notifier.stopping()
            logger.info("stopping: finishing the current lookup, saving waiting scans")
        if self._stoppable.ended:
            self._status_file.remove()
        self._metrics.remove()
        logger.info("stopped")
        return EX_OK

    def stop(self) -> None:
        """Ask the main loop to stop: what SIGTERM does. Thread-safe, and safe in a signal
        handler, which may run inside anything the main thread was doing: no lock is
        taken here (a second signal during the first one's Event.set() would wait on the
        lock the first holds), only SimpleQueue's reentrant put; the loop sets the flag."""
        self.events.put(Stop())

    @property
    def wakes(self) -> Counter[str]:
        """Why the main loop woke, counted: "event", the name of what was due
        (`_deadlines`), or "early" before anything was. Read by tests and benches."""
        return self._waker.wakes

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
        for source in self._readers.open(self.cfg.scanner, self.cfg.scanner_devices):
            self.health.scanners.setdefault(source, False)

    def _stop_threads(self) -> None:
        """Tell every thread to stop at once, then wait for them all against one
        deadline: the slowest (a paid lookup finishing) sets the pace, not the sum."""
        self._gate.close()  # nothing new goes out; a photo being read is let go
        self._stoppable.stop_all(self._stop_wait_s)

    def _close_http(self) -> None:
        if self._stoppable.ended:
            self.http.close()
        # else left open like the store: closing it would fail a paid answer still arriving

    def _close_store(self) -> None:
        if self._stoppable.ended:
            self.store.close()
            return
        # Closing it under a running thread would turn a write in progress into an error
        # (or worse); the process ends now anyway, and SQLite's journal covers the rest.
        logger.error("the store is left open: a thread that uses it is still running")

    # --- the main loop ----------------------------------------------------------------------

    def _loop(self) -> None:
        deadline = self.display.tick()
        while not self._stop.is_set() and not self.display.quit_requested:
            now = time.monotonic()
            self.notifier.watchdog(now)
            self._waker.wait(self.events, self._deadlines(now, deadline), now, self._handle)
            now = time.monotonic()
            if self._scans_due is not None and now >= self._scans_due:
                self._scans_due = None
                if (painted := self.results.show(self.outbox.take())) is not None:
                    self._pacer.painted(painted.at, completes=painted.completes)
            if (due := self.outbox.summary_due) is not None and now >= due:
                self.results.suppressed(self.outbox.summary())
            deadline = self.display.tick(now)  # reads window events (the keyboard) too
            for scan in self.keyboard.poll(now):
                self.worker.submit(scan)
            self.link.probe_if_due(now)
            if self.pi.poll_if_due(now):
                self.board.changed(refresh=False, bar=self.display.mode == "staff")
            self.board.publish_due(now)
            if self._metrics.due is not None and now >= self._metrics.due:
                self._metrics.due = now + self.cfg.metrics.interval_s
                self._metrics.write(self.board.refresh(), self.api, self.store)

    def _deadlines(self, now: float, display: float | None) -> dict[str, float | None]:
        """What the loop has to do next, by name, and when (None: nothing pending)."""
        return {
            # In a window the keyboard is a reader and pygame has no descriptor to wait
            # on, so its events are read often; full screen reads them whenever the loop
            # runs (the attract arrow's frames, a card, a watchdog ping), which is also
            # when SDL's own input queue is drained on KMS/DRM.
            "window events": None if self.cfg.display.fullscreen else now + WINDOW_EVENTS_S,
            "display": display, "watchdog": self.notifier.next_ping(),
            "status": self.status.due, "metrics": self._metrics.due,
            "scans": self._scans_due, "noise summary": self.outbox.summary_due,
            "probe": self.link.probe_due, "pi": self.pi.due,
        }

    def _handle(self, event: Event) -> None:
        match event:
            case ScansReady():
                self._scans_ready()
            case Drained(drained):
                self.results.drained(drained)
            case ScannerChanged():
                self._scanner_changed(event)
            case LinkChanged(online, reason):
                self.link.changed(online, reason)
            case Reload():
                self._do_reload()
            case Stop():
                self._stop.set()

    # --- scan results: coalesced, paced (kiosk.daemon._pace) ---------------------------------

    def post(self, result: ScanResult) -> None:
        """A scan's result, from any thread (the scan worker's lanes; a test): into the
        outbox, and the main loop woken only if it was not already."""
        if self.outbox.put(result):
            self.events.put(ScansReady())

    def _scans_ready(self) -> None:
        """Results came: when to paint them (`kiosk.daemon._pace`). Told again when a
        complete card joins its held early card, which brings the paint forward."""
        early = self.order.awaiting_photo
        completes = early is not None and self.outbox.completes(early)
        held = self.outbox.waiting_early()
        due = self._pacer.due(time.monotonic(), completes=completes,
                              early_scan_at=held.t_last if held is not None else None)
        self._scans_due = due if self._scans_due is None else min(self._scans_due, due)

    def _shown(self, result: ScanResult, display: Display) -> None:
        if self._after_show is not None:  # read now: a test may swap it while running
            self._after_show(result, display)

    # --- callbacks from other threads, and what they change -----------------------------------

    def _on_scanner_status(self, source: str, connected: bool, detail: str) -> None:
        self.events.put(ScannerChanged(source, connected, detail))

    def _scanner_changed(self, change: ScannerChanged) -> None:
        # The reader itself logs each transition once; here it only changes what is shown.
        self.health.scanners[change.source] = change.connected
        staff = self.display.mode == "staff"
        if staff:
            if not self.health.scanner_ok and isinstance(self.display.state, Idle):
                missing = next((s for s, ok in self.health.scanners.items() if not ok), None)
                self.display.show(ScannerDisconnected(missing))
            elif self.health.scanner_ok and isinstance(self.display.state, ScannerDisconnected):
                self.display.show(self.display.idle)
        self.board.changed(refresh=False, bar=staff)

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
        new = load_again(path, self.cfg)
        if new is None:
            return
        old, self.cfg = self.cfg, new
        if new.fleet != old.fleet:
            label_entries(new.fleet.journal_fields())
        if new.scanner != old.scanner:
            logger.info("scanner settings changed: reopening the readers")
            self._readers.close()
            self.health.scanners.clear()
            self.worker.set_duplicate_window(new.scanner.duplicate_window_s)
            self._open_readers()
        self.display.config = display_now(old.display, new.display)
        self.display.set_idle(Idle(new.display.store_name, new.display.logo,
                                   new.display.scanner_position))
        restart_only(old, new)
        logger.info("configuration reloaded from %s", path)
