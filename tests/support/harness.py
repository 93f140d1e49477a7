"""Run the real `kiosk run` process the way systemd would, and watch it from outside.

- a real pty as the serial scanner, reachable through a symlink like /dev/serial/by-id/…;
- a real `NOTIFY_SOCKET` datagram socket collecting READY/STATUS/WATCHDOG/STOPPING;
- the real journal, read back with `journalctl -o json _PID=…`;
- the sandbox in the test process, so the test can cut the network or inspect the ledger.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
Event = dict[str, Any]


class PtyScanner:
    """A serial barcode reader: a pty whose slave is reached through `link`."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master, self.slave = os.openpty()
        link.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(os.ttyname(self.slave))

    def send(self, text: str, end: str = "\r\n") -> None:
        os.write(self.master, (text + end).encode("latin-1"))

    def unplug(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class NotifySocket:
    """What the daemon tells systemd, as a list of datagrams."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self.received: list[tuple[float, str]] = []  # (time.monotonic(), datagram)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.received.append((time.monotonic(), data.decode()))
            self.messages.append(data.decode())

    def times_of(self, line: str) -> list[float]:
        """When each datagram holding `line` (e.g. "WATCHDOG=1") arrived."""
        return [at for at, msg in list(self.received) if line in msg.splitlines()]

    def lines(self) -> list[str]:
        return [line for msg in list(self.messages) for line in msg.splitlines()]

    def wait_for(self, prefix: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines():
                if line.startswith(prefix):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no {prefix!r} from the daemon; got {self.lines()[-10:]}")

    def wait_until(self, pred: Callable[[str], bool], timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines():
                if pred(line):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no matching notification; got {self.lines()[-10:]}")

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


class Kiosk:
    """One `kiosk run` process with its own config, state and scanner link."""

    def __init__(self, tmp: Path, sandbox: Sandbox, *, mode: str = "staff",
                 watchdog_usec: int = 1_000_000, extra: str = "",
                 base_url: str | None = None) -> None:
        """`base_url`: where the kiosk reaches the API when not at the sandbox itself
        (a latency relay in front of it); the sandbox's certificate must cover its host."""
        self.tmp = tmp
        self.sandbox = sandbox
        self.base_url = base_url or sandbox.base_url
        self.scanner_link = tmp / "dev" / "serial-scanner"
        self.key_file = tmp / "api_key"
        self.key_file.write_text(sandbox.api_key)
        self.key_file.chmod(0o600)
        self.config = tmp / "kiosk.toml"
        self.write_config(mode=mode, extra=extra)
        self.notify = NotifySocket(tmp / "notify.sock")
        self.watchdog_usec = watchdog_usec
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr_path = tmp / "stderr.log"

    def write_config(self, *, mode: str = "staff", store_name: str = "Test store",
                     lane: str = "lane 1", extra: str = "", api_extra: str = "") -> None:
        self.config.write_text(f"""
[api]
base_url = "{self.base_url}"
ca_file = "{self.sandbox.ca_file}"
client_id = "{self.sandbox.client_id}"
api_key_file = "{self.key_file}"
lookup_deadline_s = 5.0
connect_timeout_s = 1.0
read_timeout_s = 3.0
{api_extra}

[scanner]
kind = "serial"
device = "{self.scanner_link}"
baudrate = 115200

[display]
mode = "{mode}"
fullscreen = false
size = [800, 480]
store_name = "{store_name}"

[fleet]
store = "test-store"
lane = "{lane}"

[storage]
state_dir = "{self.tmp / 'state'}"
cache_dir = "{self.tmp / 'cache'}"
{extra}
""")

    def start(self) -> Kiosk:
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
               "NOTIFY_SOCKET": str(self.notify.path), "PYTHONPATH": str(ROOT)}
        env.pop("RD_API_KEY", None)
        if self.watchdog_usec:
            env["WATCHDOG_USEC"] = str(self.watchdog_usec)
        self._stderr = self.stderr_path.open("wb")
        # PIDs are reused and the journal keeps every earlier run: only entries written
        # after this start belong to this daemon.
        self.started_us = int(time.time() * 1_000_000)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "run", "--config", str(self.config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr, env=env,
            cwd=ROOT,
        )
        # WATCHDOG_PID must match the daemon; systemd sets it, here the env is set before
        # the pid is known, so the daemon accepts a missing WATCHDOG_PID.
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_kib(self) -> int:
        """The daemon's resident set now (VmRSS, KiB); 0 once it is gone."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        line = next((ln for ln in status.splitlines() if ln.startswith("VmRSS:")), "")
        return int(line.split()[1]) if line else 0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = 30.0) -> None:
        self.notify.wait_for("READY=1", timeout)

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 15.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def journal(self) -> list[Event]:
        since = f"--since=@{self.started_us // 1_000_000 - 1}"
        out = subprocess.run(
            ["journalctl", "-o", "json", "--no-pager", since, f"_PID={self.pid}"],
            capture_output=True, text=True, check=False,
        ).stdout
        entries = (json.loads(line) for line in out.splitlines() if line.strip())
        return [e for e in entries if int(e["__REALTIME_TIMESTAMP"]) >= self.started_us]

    def wait_event(self, pred: Callable[[Event], bool], timeout: float = 20.0,
                   what: str = "event") -> Event:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.journal():
                if pred(entry):
                    return entry
            if not self.alive():
                break
            time.sleep(0.1)
        tail = [e.get("MESSAGE") for e in self.journal()[-15:]]
        raise AssertionError(f"no {what} in the journal; last entries: {tail}\n{self.stderr()}")

    def wait_scanner(self) -> None:
        self.wait_event(lambda e: "scanner serial:" in e.get("MESSAGE", "")
                        and " connected" in e["MESSAGE"], what="scanner connected")

    def scans(self) -> list[Event]:
        return [e for e in self.journal() if e.get("KIOSK_EVENT") == "scan"]

    def wait_scan(self, barcode: str, outcome: str, timeout: float = 20.0) -> Event:
        return self.wait_event(
            lambda e: e.get("KIOSK_EVENT") == "scan" and e.get("BARCODE") == barcode
            and e.get("OUTCOME") == outcome, timeout, f"scan {barcode} {outcome}")

    def wait_scan_count(self, barcode: str, outcome: str, count: int,
                        timeout: float = 20.0) -> list[Event]:
        """The first `count` journal entries of scans of `barcode` with `outcome`."""
        def enough(_: Event) -> bool:
            return len(matching()) >= count

        def matching() -> list[Event]:
            return [e for e in self.scans()
                    if e.get("BARCODE") == barcode and e.get("OUTCOME") == outcome]

        self.wait_event(enough, timeout, f"{count} scans {barcode} {outcome}")
        return matching()[:count]

    def stop(self) -> None:
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.wait(15)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.wait(5)
        self.notify.close()
        with contextlib.suppress(AttributeError):
            self._stderr.close()
