"""Scan → card over a network's round-trip time: the real daemon behind a latency relay.

Method: the real `kiosk run` process (`_daemon_proc.DaemonRun`, the daemon bench's
harness: pty scanner, SDL dummy driver, the journal) at 1280x720 in shopper mode, talking
HTTPS to the sandbox through `kiosk.sandbox.latency.LatencyRelay`, which delays every byte
RTT/2 each way (TCP and TLS handshakes included). Figures are the daemon's own journal
fields: `FIRST_PAINT_MS` (scan → the card drawn with its product data) and `LATENCY_MS`
(scan → the complete card, photo drawn); uncached products with a front photo only.

Cases, at each RTT:

- warm: one process, scans one after another, so its connection is in use all along;
- after idle close: the sandbox closes connections idle for IDLE_S (the real API's load
  balancer: 60 s); after each scan the bench waits until the server has closed every
  connection that was open when the scan was done, then a further 0.5 s to
  IDLE_S - 0.5 s (a shopper arriving some time later), then scans;
- cold start: the first scan of a process, sent as soon as it is READY and has its scanner
  (fresh state: it also has to sign in).

Floors: a lookup needs one round trip for the product data and one more for the photo
(its URL comes in the data); a new connection adds TCP + TLS 1.3, two more. The sandbox's
packshots are drawn before timing and its rate limit is raised (this measures latency,
not pacing). Also measured: a TLS handshake's client CPU, full and resumed (`_tls_cost`),
and what keeping a connection warm costs in rate-limit budget.

`--quick` (or BENCH_QUICK=1): fewer samples, for trying.
"""

from __future__ import annotations

import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from _common import emit, parse_args, percentiles, say, table  # noqa: E402
from _daemon_proc import DaemonRun, prewarm_images  # noqa: E402
from _tls_cost import handshake_cost  # noqa: E402

from kiosk.sandbox import Sandbox  # noqa: E402
from kiosk.sandbox.latency import LatencyRelay  # noqa: E402
from tests.support import journald  # noqa: E402

RTTS_MS = (40, 100, 200)
TARGET_RTT_MS = 100
COMPLETE_SLACK_MS = 20  # the complete card's target: 2 RTT + this
SIZE = (1280, 720)
IDLE_S = 3.0
FAST_RPM = 1_000_000
API_IDLE_S = 60.0  # the real API's load balancer closes idle connections after this
API_RPM, API_RPD = 60, 10_000
# (first paint, complete card) in round trips: the data, then the photo. A new
# connection adds two (TCP, TLS 1.3): at a cold start always, after an idle close only
# when no connection was opened ahead (the second floor printed for that case).
FLOORS = {"warm": (1, 2), "after idle close": (1, 2), "cold start": (3, 4)}
NEW_CONNECTION = 2
CASES = tuple(FLOORS)


class Samples:
    """(first paint, complete) pairs per case, and what went wrong."""

    def __init__(self) -> None:
        self.pairs: dict[str, list[tuple[float, float]]] = {c: [] for c in CASES}
        self.problems: list[str] = []

    def scan(self, run: DaemonRun, case: str, code: str) -> None:
        entry, _ = run.scan(code)
        if entry is None:
            self.problems.append(f"{case}: {code}: no scan entry in the journal")
            return
        if entry.get("OUTCOME") != "shown" or "LATENCY_MS" not in entry:
            self.problems.append(f"{case}: {code}: {entry.get('OUTCOME')} "
                                 f"({entry.get('REASON') or entry.get('MESSAGE')})")
            return
        complete = float(entry["LATENCY_MS"])
        self.pairs[case].append((float(entry.get("FIRST_PAINT_MS", complete)), complete))


def _started(work: Path, sb: Sandbox, relay: LatencyRelay, name: str) -> DaemonRun:
    run = DaemonRun(work / name, sb, SIZE, base_url=relay.url(sb.base_url))
    run.start()
    run.wait_scanner()
    return run


def warm(work: Path, sb: Sandbox, relay: LatencyRelay, codes: list[str], n: int,
         out: Samples) -> None:
    run = _started(work, sb, relay, f"warm-{relay.rtt_s}")
    try:
        out.scan(run, "cold start", codes[0])
        for code in codes[1:n + 1]:
            out.scan(run, "warm", code)
    finally:
        run.stop()


def after_idle_close(work: Path, sb: Sandbox, relay: LatencyRelay, codes: list[str], n: int,
                     out: Samples, rng: random.Random) -> None:
    run = _started(work, sb, relay, f"idle-{relay.rtt_s}")
    try:
        out.scan(run, "cold start", codes[0])
        for code in codes[1:n + 1]:
            if not _server_closed_idle_connections(relay, timeout=IDLE_S + 10):
                out.problems.append("after idle close: not every idle connection was "
                                    "closed by the server; scanned anyway")
            time.sleep(rng.uniform(0.5, IDLE_S - 0.5))  # the next shopper comes later
            out.scan(run, "after idle close", code)
    finally:
        run.stop()


def _server_closed_idle_connections(relay: LatencyRelay, timeout: float) -> bool:
    """Wait until every connection open now has been closed, and say whether it was the
    server that closed them all (not the kiosk)."""
    waiting = {c.number for c in relay.connections() if c.closed_by is None}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        closed = [c.closed_by for c in relay.connections() if c.number in waiting]
        if all(closed):
            return all(by == "server" for by in closed)
        time.sleep(0.05)
    return False


def cold(work: Path, sb: Sandbox, relay: LatencyRelay, codes: list[str], n: int,
         out: Samples) -> None:
    for i in range(n):
        run = _started(work, sb, relay, f"cold-{relay.rtt_s}-{i}")
        try:
            out.scan(run, "cold start", codes[i % len(codes)])
        finally:
            run.stop()


def budget() -> dict[str, Any]:
    """What keeping one connection warm costs in the API's request budget."""
    every = API_IDLE_S - 10  # a request this often keeps a 60 s idle timeout from firing
    per_min = 60 / every
    per_day = 86_400 / every
    return {
        "api_idle_timeout_s": API_IDLE_S, "limit_per_minute": API_RPM, "limit_per_day": API_RPD,
        "free_request_every_s": every, "free_requests_per_minute": per_min,
        "free_requests_per_day": per_day,
        "share_of_minute_pct": 100 * per_min / API_RPM,
        "share_of_day_pct": 100 * per_day / API_RPD,
        "reopen_requests": 0, "reopen_handshakes_per_hour_idle": 3600 / API_IDLE_S,
    }


# --- report ------------------------------------------------------------------------------


def _pc(pairs: list[tuple[float, float]], k: int) -> dict[str, float]:
    return percentiles([p[k] for p in pairs])


def report(fig: dict[str, Any]) -> tuple[str, list[str]]:
    rows: list[tuple[str, ...]] = [("RTT", "case", "n", "first paint p50 / p95 (floor)",
                                    "complete card p50 / p95 (floor)")]
    for rtt in fig["rtts"]:
        r = rtt["rtt_ms"]
        for case in CASES:
            first, complete = rtt["cases"][case]["first_ms"], rtt["cases"][case]["complete_ms"]
            f_floor, c_floor = (_floor(case, k, r) for k in FLOORS[case])
            rows.append((f"{r} ms", case, str(first["n"]),
                         f"{first['p50']:.0f} / {first['p95']:.0f} ms ({f_floor})",
                         f"{complete['p50']:.0f} / {complete['p95']:.0f} ms ({c_floor})"))
    return table(rows), verdicts(fig)


def _floor(case: str, round_trips: int, rtt_ms: int) -> str:
    text = f"{round_trips * rtt_ms} ms"
    if case == "after idle close":
        text += f"; new conn. {(round_trips + NEW_CONNECTION) * rtt_ms}"
    return text


def verdicts(fig: dict[str, Any]) -> list[str]:
    """The targets at RTT 100 ms, p95: warm first paint ≤ 1 RTT + 30 ms, complete card
    ≤ 2 RTT + 20 ms (issue #32 raised it from + 40 ms); after an idle close at most one
    RTT more than warm."""
    at = next((r for r in fig["rtts"] if r["rtt_ms"] == TARGET_RTT_MS), None)
    if at is None:
        return []
    rtt = TARGET_RTT_MS
    warm_c, idle_c = at["cases"]["warm"], at["cases"]["after idle close"]
    checks = [
        ("warm first paint p95", warm_c["first_ms"]["p95"], rtt + 30),
        ("warm complete card p95", warm_c["complete_ms"]["p95"], 2 * rtt + COMPLETE_SLACK_MS),
        ("after idle close first paint p95", idle_c["first_ms"]["p95"],
         warm_c["first_ms"]["p95"] + rtt),
        ("after idle close complete card p95", idle_c["complete_ms"]["p95"],
         warm_c["complete_ms"]["p95"] + rtt),
    ]
    out = []
    for name, measured, target in checks:
        verdict = "met" if measured <= target else f"MISSED by {measured - target:.0f} ms"
        out.append(f"target @RTT {rtt} ms: {name} {measured:.0f} ms <= {target:.0f} ms: {verdict}")
    return out


def budget_lines(b: dict[str, Any], tls: dict[str, Any]) -> list[str]:
    lines = [
        f"keeping a connection warm against a {b['api_idle_timeout_s']:.0f} s idle timeout "
        f"(limits {b['limit_per_minute']}/min, {b['limit_per_day']:,}/day):",
        f"  a free request every {b['free_request_every_s']:.0f} s: "
        f"{b['free_requests_per_minute']:.2f} requests/min ({b['share_of_minute_pct']:.1f} % "
        f"of the minute), {b['free_requests_per_day']:.0f}/day ({b['share_of_day_pct']:.1f} % "
        f"of the day)",
        f"  re-opening the connection when the server closes it: {b['reopen_requests']} "
        f"requests; {b['reopen_handshakes_per_hour_idle']:.0f} TLS handshakes an idle hour",
    ]
    if tls:
        lines.append(
            f"  TLS handshake, client CPU (median of {tls['rounds']}): full "
            f"{tls['full_cpu_ms']:.2f} ms, resumed {tls['resumed_cpu_ms']:.2f} ms "
            f"({tls['resumed']}/{tls['rounds']} resumed); on the wire both are one round trip "
            f"(TLS 1.3, no 0-RTT in Python's ssl)")
    return lines


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args((__doc__ or "").splitlines()[0], quick="fewer samples")
    reason = journald.ensure_journald()
    if reason:
        print(f"network bench: the journal is needed for the latency fields and is not there: "
              f"{reason}")
        return 1
    n_warm, n_idle, n_cold = (6, 3, 1) if args.quick else (40, 12, 8)
    rng = random.Random(11)
    fig: dict[str, Any] = {"quick": args.quick, "size": f"{SIZE[0]}x{SIZE[1]}",
                           "idle_timeout_s": IDLE_S, "floors_rtt": FLOORS, "rtts": []}
    with tempfile.TemporaryDirectory(prefix="bench-network-") as tmp, \
            Sandbox(rpm=FAST_RPM, rpd=100_000_000, balance=1e9) as sb, \
            Sandbox(rpm=FAST_RPM, rpd=100_000_000, balance=1e9, idle_timeout=IDLE_S) as sb_idle:
        work = Path(tmp)
        codes = [b for b, p in sorted(sb.catalog.items()) if p["image_meta"].get("front")]
        prewarm_images(sb, codes)
        prewarm_images(sb_idle, codes)
        for rtt_ms in RTTS_MS:
            samples = Samples()
            order = codes[:]
            rng.shuffle(order)
            with LatencyRelay((sb.host, sb.port), rtt_ms / 1000) as relay:
                say(f"RTT {rtt_ms} ms: warm")
                warm(work, sb, relay, order, n_warm, samples)
                say(f"RTT {rtt_ms} ms: cold start")
                cold(work, sb, relay, order, n_cold, samples)
            with LatencyRelay((sb_idle.host, sb_idle.port), rtt_ms / 1000) as relay:
                say(f"RTT {rtt_ms} ms: after idle close")
                after_idle_close(work, sb_idle, relay, order, n_idle, samples, rng)
            fig["rtts"].append({
                "rtt_ms": rtt_ms, "problems": samples.problems,
                "cases": {c: {"first_ms": _pc(p, 0), "complete_ms": _pc(p, 1), "samples": p}
                          for c, p in samples.pairs.items()},
            })
        fig["tls_handshake"] = handshake_cost(sb)
    fig["budget"] = budget()
    text, verdict_lines = report(fig)
    fig["verdicts"] = verdict_lines
    print(f"{fig['size']} shopper, full screen, SDL dummy driver; uncached products with a "
          f"photo; sandbox idle timeout {IDLE_S:g} s in the idle-close case; floors: data 1 "
          f"RTT, photo +1 RTT, a new connection +2 RTT (after an idle close: with a "
          f"connection opened ahead; with a new one); a cold start also signs in (+1 RTT) "
          f"unless that was done before its scan")
    print()
    print(text)
    print()
    for line in verdict_lines + budget_lines(fig["budget"], fig["tls_handshake"]):
        print(line)
    for rtt in fig["rtts"]:
        for problem in rtt["problems"]:
            print(f"RTT {rtt['rtt_ms']} ms: {problem}")
    emit(args, fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
