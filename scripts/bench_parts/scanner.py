"""Scanner input: decode throughput and terminator-to-validated-scan latency.

* HID decoder + GS1 normalizer, in one thread: events/s and scans/s.
* HID adapter (EvdevReader on a pipe-backed fake device, as in the tests): time from the
  terminator event being written to the device until the consumer holds a validated scan,
  and `Scan.t_last` to consumer.
* Serial (SerialReader on a real pty at 115200 baud): time from writing a frame until the
  consumer holds the validated scan, and `Scan.t_last` to consumer.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import random
import tempfile
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path

from _common import emit, parse_args, percentiles, table
from evdev import InputEvent
from evdev import ecodes as e

from kiosk.scanner.evdev_reader import EvdevReader
from kiosk.scanner.gs1 import Normalized, check_digit, validate
from kiosk.scanner.hid import HidDecoder
from kiosk.scanner.scan import Scan
from kiosk.scanner.serial_reader import SerialReader

DIGIT_KEYS = {str(i): e.ecodes[f"KEY_{i}"] for i in range(10)}


def random_gtin(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(12))
    return body + check_digit(body)


def key_events(code: str, t: float, rng: random.Random) -> tuple[list[InputEvent], float]:
    """A scan as a reader types it: MSC_SCAN, down, SYN, up, SYN per key, 2-8 ms apart."""
    out: list[InputEvent] = []
    for k in [DIGIT_KEYS[c] for c in code] + [e.KEY_ENTER]:
        for value, dt in ((1, 0.0), (0, 0.001)):
            sec = int(t + dt)
            usec = int((t + dt - sec) * 1e6)
            out += [InputEvent(sec, usec, e.EV_MSC, e.MSC_SCAN, 0x70000 + k),
                    InputEvent(sec, usec, e.EV_KEY, k, value),
                    InputEvent(sec, usec, e.EV_SYN, e.SYN_REPORT, 0)]
        t += rng.uniform(0.002, 0.008)
    return out, t + 0.3


def bench_decoder(n_scans: int) -> dict[str, float]:
    rng = random.Random(1)
    events: list[InputEvent] = []
    t = 1000.0
    for _ in range(n_scans):
        evs, t = key_events(random_gtin(rng), t, rng)
        events += evs
    dec = HidDecoder("bench")
    valid = 0
    start = time.perf_counter()
    for ev in events:
        for out in dec.feed(ev):
            if isinstance(out, Scan) and isinstance(validate(out), Normalized):
                valid += 1
    elapsed = time.perf_counter() - start
    assert valid == n_scans, valid
    return {"events": len(events), "scans": n_scans, "seconds": elapsed,
            "events_per_s": len(events) / elapsed, "scans_per_s": n_scans / elapsed}


class PipeDevice:
    """Stand-in for an evdev device: a pipe for select(), events handed over in memory."""

    path = "/dev/input/bench"
    name = "Bench Barcode Scanner"

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._q: queue.SimpleQueue[InputEvent] = queue.SimpleQueue()

    def fileno(self) -> int:
        return self._r

    def push(self, events: list[InputEvent]) -> None:
        for ev in events:
            self._q.put(ev)
        os.write(self._w, b"x")

    def read(self) -> Iterator[InputEvent]:
        with contextlib.suppress(BlockingIOError):
            os.read(self._r, 4096)
        events = []
        while not self._q.empty():
            events.append(self._q.get())
        if not events:
            raise BlockingIOError(errno.EAGAIN, "no events")
        return iter(events)

    def grab(self) -> None: ...

    def close(self) -> None: ...

    def active_keys(self) -> list[int]:
        return []

    def capabilities(self) -> dict[int, list[int]]:
        return {e.EV_KEY: [e.KEY_ENTER, *DIGIT_KEYS.values()]}


class Consumer:
    def __init__(self) -> None:
        self.q: queue.SimpleQueue[tuple[Scan, bool, float]] = queue.SimpleQueue()
        self.connected = threading.Event()

    def on_scan(self, scan: Scan) -> None:
        ok = isinstance(validate(scan), Normalized)
        self.q.put((scan, ok, time.monotonic()))

    def on_status(self, source: str, connected: bool, detail: str) -> None:
        if connected:
            self.connected.set()


def bench_hid_adapter(n: int) -> dict[str, dict[str, float]]:
    rng = random.Random(2)
    dev = PipeDevice()
    con = Consumer()
    reader = EvdevReader(dev.path, con.on_scan, con.on_status, open_device=lambda p: dev)
    reader.start()
    end_to_end, from_t_last = [], []
    try:
        assert con.connected.wait(5)
        t = 1000.0
        for _ in range(n):
            evs, t = key_events(random_gtin(rng), t, rng)
            dev.push(evs[:-6])  # everything but the Enter press/release
            time.sleep(0.001)
            sent = time.monotonic()
            dev.push(evs[-6:])
            scan, ok, got = con.q.get(timeout=5)
            assert ok and scan.terminated
            end_to_end.append((got - sent) * 1000)
            from_t_last.append((got - scan.t_last) * 1000)
    finally:
        reader.stop()
    return {"write_to_validated_ms": percentiles(end_to_end),
            "t_last_to_validated_ms": percentiles(from_t_last)}


def bench_serial(n: int) -> dict[str, dict[str, float]]:
    rng = random.Random(3)
    master, slave = os.openpty()
    tty.setraw(slave)
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / "usb-Bench_Scanner-if00"
        link.symlink_to(os.ttyname(slave))
        con = Consumer()
        reader = SerialReader(str(link), con.on_scan, con.on_status, baudrate=115200)
        reader.start()
        end_to_end, from_t_last = [], []
        try:
            assert con.connected.wait(5)
            for _ in range(n):
                frame = random_gtin(rng).encode() + b"\r\n"
                sent = time.monotonic()
                os.write(master, frame)
                scan, ok, got = con.q.get(timeout=5)
                assert ok
                end_to_end.append((got - sent) * 1000)
                from_t_last.append((got - scan.t_last) * 1000)
        finally:
            reader.stop()
            os.close(master)
            os.close(slave)
    return {"write_to_validated_ms": percentiles(end_to_end),
            "t_last_to_validated_ms": percentiles(from_t_last)}


def main() -> None:
    args = parse_args(__doc__ or "scanner benchmark")
    dec = bench_decoder(20_000)
    hid = bench_hid_adapter(500)
    ser = bench_serial(500)
    print(f"HID decoder + normalizer: {dec['events_per_s']:,.0f} events/s, "
          f"{dec['scans_per_s']:,.0f} scans/s ({dec['events']:,} events, "
          f"{dec['scans']:,} scans of 13 digits)")
    rows = [("latency (ms)", "n", "p50", "p95", "p99")]
    for label, figs in (("hid: terminator written -> validated", hid["write_to_validated_ms"]),
                        ("hid: t_last -> validated", hid["t_last_to_validated_ms"]),
                        ("serial: frame written -> validated", ser["write_to_validated_ms"]),
                        ("serial: t_last -> validated", ser["t_last_to_validated_ms"])):
        rows.append((label, str(figs["n"]), f"{figs['p50']:.3f}", f"{figs['p95']:.3f}",
                     f"{figs['p99']:.3f}"))
    print(table(rows))
    emit(args, {"decoder": dec, "hid_adapter": hid, "serial_pty": ser})


if __name__ == "__main__":
    main()
