"""The daemon: `kiosk run`'s threads, its main loop and what it tells people.

`Daemon` starts its components in order (store, API client, display, lookups, worker,
drainer, readers), and stops them all at once against one deadline before closing what
they use; `run` is `kiosk run`: load the configuration, run the daemon, turn every way
it ends into an exit status. `Lookups` is one scan's decision, also what `kiosk lookup`
runs; `ScanResult` (`_scan`) what a scan came to, the one value from the lookup to the
screen, the journal and the metrics; `setup_logging` sends the log to the journal
(every command that logs uses it). Everything else here is private to the daemon
(the modules without a leading underscore predate the rule; nothing outside the
package imports them but the tests and the benches):

- `_daemon`: the `Daemon`, its start-up, its main loop and its orderly stop, with
  `_threads` (stopping every thread against one deadline; the readers; the signals),
  `_link` (whether the API answers; the probe), `_reload` (SIGHUP) and `_run`;
- `_results`: what the main loop makes of each result (paint, journal entry, metrics),
  in the order `_paint` keeps (the newest scan drawn, the card waiting for its photo,
  the staff list); `_board`: health refreshed, shown and published in one step;
  `_metrics`: the Prometheus textfile; `_prices`: the store's price file, polled on its
  own thread, read by every scan;
- `events`: the plain values the main loop's queue carries;
- `worker`: the scan worker's two lanes (a cached card never waits behind a lookup),
  fed by `inbox` (bounded: a flooding reader's noise is dropped first);
- `outbox`: scan results on their way to the main loop (one wake-up at a time, the
  newest painted), with `ratelimit`'s line budget for invalid frames and double reads;
- `shutdown`: what a stop does to the API client (nothing new sent, a photo let go);
- `drainer`: looks queued scans up when the API answers again;
- `lookups`: one scan's decision (cache, one API lookup, or the queue), also what
  `kiosk lookup` runs;
- `present`: what a scan means to people (screen, journal line, staff list);
- `health`: what the daemon knows about itself (online, queue, scanners), how the
  network state changes, and the status file's writer thread;
- `systemd`: the journal and the notify protocol;
- `memory`: glibc's allocation threshold pinned and transparent huge pages declined,
  for a months-long process.

Its modules may use every layer below (the API client, the store, the display, the
readers); nothing below imports from here.
"""

from kiosk.daemon._daemon import Daemon
from kiosk.daemon._results import AfterShow
from kiosk.daemon._run import run
from kiosk.daemon._scan import ScanResult
from kiosk.daemon._threads import ReaderFactory
from kiosk.daemon.lookups import Lookups
from kiosk.daemon.systemd import setup_logging

__all__ = ["AfterShow", "Daemon", "Lookups", "ReaderFactory", "ScanResult", "run",
           "setup_logging"]
