"""One `kiosk run` process for the daemon benchmark, watched the way systemd would.

Built on the end-to-end harness (`tests/support/harness.py`): a real pty as the serial
scanner, a real `NOTIFY_SOCKET`, the real journal. What this adds for measuring:

- the configuration a shop would run: shopper mode, full screen, the size under test,
  and the watchdog interval of `systemd/kiosk.service` (WatchdogSec=30), so the idle
  loop wakes as often as it would in production, not as often as the tests make it;
- the journal read through `systemd.journal.Reader`, polled only while waiting for a
  scan (see `JournalFollower`), so the bench neither waits on journald's notification
  delay nor spends a core watching the journal;
- READY timed at a few-millisecond resolution, and CPU/RSS read from `/proc`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from kiosk.sandbox import Sandbox  # noqa: E402
from tests.support.harness import Kiosk, PtyScanner  # noqa: E402

__all__ = ["DaemonRun", "Entry", "JournalFollower", "prewarm_images"]

Entry = dict[str, Any]
WATCHDOG_USEC = 30_000_000  # systemd/kiosk.service: WatchdogSec=30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def prewarm_images(sandbox: Sandbox, barcodes: list[str]) -> int:
    """Render the front packshots the run will download, before anything is timed.

    The sandbox draws an image on its first download (tens of milliseconds, in this
    process): that is the stand-in's cost, not the kiosk's, and the real API serves
    stored files. Its image LRU holds 48; the catalog has fewer front images than that.
    """
    done = 0
    for barcode in barcodes:
        if sandbox.catalog[barcode]["image_meta"].get("front"):
            sandbox._state.images.get(barcode, "front")
            done += 1
    return done


class JournalFollower:
    """Every journal entry of one pid, read straight from the journal files.

    Polled with `systemd.journal.Reader` from the waiting thread only: an entry shows up
    within a millisecond or two. `journalctl -f` would wait for journald's change
    notification, which it coalesces for a quarter of a second: that made the bench
    wait ~0.3 s per scan, and polling `journalctl` would cost more CPU than the kiosk.
    """

    def __init__(self, pid: int, since_epoch: float) -> None:
        from systemd import journal

        self.entries: list[Entry] = []
        self._reader = journal.Reader()
        self._reader.this_boot()
        self._reader.add_match(_PID=str(pid))
        self._reader.seek_realtime(since_epoch)
        self._reader.fileno()  # sets up inotify, so process() notices new journal files

    def poll(self) -> int:
        """Read what has arrived; the number of entries now known."""
        self._reader.process()
        while True:
            entry = self._reader.get_next()
            if not entry:
                return len(self.entries)
            self.entries.append({k: v if isinstance(v, str) else str(v)
                                 for k, v in entry.items()})

    def wait(self, pred: Callable[[Entry], bool], start: int = 0,
             timeout: float = 15.0) -> tuple[int, Entry] | None:
        """The first entry at index >= `start` that matches, or None at the timeout."""
        deadline = time.monotonic() + timeout
        i = start
        while True:
            self.poll()
            while i < len(self.entries):
                if pred(self.entries[i]):
                    return i, self.entries[i]
                i += 1
            if time.monotonic() > deadline:
                return None
            time.sleep(0.002)

    def __len__(self) -> int:
        return self.poll()

    def close(self) -> None:
        self._reader.close()


class _BenchKiosk(Kiosk):
    """The harness's kiosk with the display settings under test."""

    def __init__(self, tmp: Path, sandbox: Sandbox, size: tuple[int, int],
                 fullscreen: bool, mode: str, base_url: str | None) -> None:
        self.size = size
        self.fullscreen = fullscreen
        super().__init__(tmp, sandbox, mode=mode, watchdog_usec=WATCHDOG_USEC,
                         base_url=base_url)

    def write_config(self, *, mode: str = "shopper", store_name: str = "Bench store",
                     extra: str = "") -> None:
        # The bench buys the whole catalog again and again: no spending guard.
        super().write_config(mode=mode, store_name=store_name, extra=extra,
                             api_extra="max_credits_per_hour = 0\nmax_credits_per_day = 0")
        text = self.config.read_text()
        text = text.replace("fullscreen = false", f"fullscreen = {str(self.fullscreen).lower()}")
        text = text.replace("size = [800, 480]", f"size = [{self.size[0]}, {self.size[1]}]")
        self.config.write_text(text)


class DaemonRun:
    """One daemon process: start it, scan into it, read its CPU and memory, stop it."""

    def __init__(self, tmp: Path, sandbox: Sandbox, size: tuple[int, int], *,
                 fullscreen: bool = True, mode: str = "shopper",
                 base_url: str | None = None) -> None:
        """`base_url`: the API's address when it is not the sandbox's own (a relay)."""
        tmp.mkdir(parents=True, exist_ok=True)
        self.kiosk = _BenchKiosk(tmp, sandbox, size, fullscreen, mode, base_url)
        self.scanner = PtyScanner(self.kiosk.scanner_link)
        self.journal: JournalFollower | None = None

    @property
    def pid(self) -> int:
        return self.kiosk.pid

    def start(self, timeout: float = 30.0) -> float:
        """Start the process; seconds from exec to READY=1 on the notify socket."""
        t0 = time.monotonic()
        self.kiosk.start()
        # PIDs are reused and the journal keeps earlier runs: read from this start on.
        self.journal = JournalFollower(self.pid, self.kiosk.started_us / 1e6)
        while not any(line.startswith("READY=1") for line in self.kiosk.notify.lines()):
            if not self.kiosk.alive() or time.monotonic() - t0 > timeout:
                raise RuntimeError(f"kiosk not ready: {self.kiosk.stderr()[-2000:]}")
            time.sleep(0.002)
        return time.monotonic() - t0

    def wait_settled(self, timeout: float = 30.0) -> None:
        """Until systemd would show 'online … scanner ok': the start-up probe answered and
        the status that follows it is published, so what comes next is the idle loop."""
        deadline = time.monotonic() + timeout
        while not any(line.startswith("STATUS=online") and "scanner ok" in line
                      for line in self.kiosk.notify.lines()):
            if not self.kiosk.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"kiosk never settled: {self.kiosk.notify.lines()[-5:]}")
            time.sleep(0.01)

    def wait_scanner(self) -> None:
        assert self.journal is not None
        found = self.journal.wait(lambda e: "scanner serial:" in e.get("MESSAGE", "")
                                  and " connected" in e.get("MESSAGE", ""))
        if found is None:
            raise RuntimeError("the kiosk never connected to the pty scanner")

    def send(self, code: str) -> int:
        """Send one scan; the journal index from which its event can appear."""
        assert self.journal is not None
        mark = len(self.journal)
        self.scanner.send(code)
        return mark

    def wait_scan(self, code: str, mark: int, timeout: float = 15.0) -> Entry | None:
        assert self.journal is not None
        found = self.journal.wait(lambda e: e.get("KIOSK_EVENT") == "scan"
                                  and e.get("BARCODE") == code, mark, timeout)
        return None if found is None else found[1]

    def journalctl_scans(self, code: str | None = None) -> list[Entry]:
        """Scan events as `journalctl` finds them, in journal order.

        The ground truth: the polled reader now and then misses an entry that journald
        was appending at the moment it looked (about 1 in 600 here)."""
        match = [f"BARCODE={code}"] if code else []
        started_us = self.kiosk.started_us
        out = subprocess.run(
            ["journalctl", "-o", "json", "--no-pager", f"--since=@{started_us // 10**6 - 1}",
             f"_PID={self.pid}", "KIOSK_EVENT=scan", *match],
            capture_output=True, text=True, check=False).stdout
        entries = (json.loads(line) for line in out.splitlines() if line.strip())
        # PIDs are reused; the journal keeps earlier runs: only this daemon's entries.
        return [e for e in entries if int(e["__REALTIME_TIMESTAMP"]) >= started_us]

    def scan(self, code: str, timeout: float = 15.0) -> tuple[Entry | None, bool]:
        """Send `code`, wait for its scan event: (event or None, whether the reader saw it)."""
        mark = self.send(code)
        entry = self.wait_scan(code, mark, timeout=1.0)
        if entry is not None:
            return entry, True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.journalctl_scans(code)
            if found:
                return found[-1], False
            time.sleep(0.25)
        return None, False

    def scan_events(self) -> list[Entry]:
        assert self.journal is not None
        return [e for e in list(self.journal.entries) if e.get("KIOSK_EVENT") == "scan"]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def memory_kb(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) from /proc/<pid>/status, in kB."""
        out: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
        return out

    def stop(self) -> None:
        self.kiosk.stop()
        self.scanner.unplug()
        if self.journal is not None:
            self.journal.close()
