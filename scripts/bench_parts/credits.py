"""Credits: what a realistic shop day costs the kiosk, a naive client, and at the least.

Method:
- trace: `_scan_trace.make_trace` over the sandbox catalog (600 scans, seed 7: popular
  items, repeat and returning shoppers, double reads, mis-reads, unknown codes, UPC-A
  sent as EAN-13, GTIN-14 and UPC-E, two readers).
- kiosk: each scan goes the daemon's way: `validate(Scan)`, the per-reader
  `DuplicateWindow` (scanner.duplicate_window_s default, on the trace's times), then
  `Lookups.lookup` with a real `Store` in a temp dir (storage defaults, its clock on the
  trace's time) and a real `ApiClient` (`make_http_client`, `TokenAuth`, api defaults)
  talking TCP to a fresh `Sandbox`.
- naive: a second fresh `Sandbox`; one token exchange, then `GET /products/{code}` with
  default parameters for every scan that is all digits after stripping blanks. No
  normalization, no double-read filter, no cache, a new connection per call (as a
  `requests.get` per scan would). Image URLs are charged when returned, so its
  downloads would not change its credits and are skipped.
- minimum: from the trace's ground truth and the catalog, not from kiosk code: one scope
  + one image per distinct catalog product scanned that has a front image, one scope for
  one without; unknown codes cost nothing (a 404 is free).
- Credits are read from each sandbox's ledger. Both sandboxes get an unbounded balance
  and rate limit, so the figures measure lookups, not pacing or a 402.

- window: the one window no client can close (the API has no idempotency key): from the
  sandbox's debit (its ledger entry's time, written as the answer leaves) to the
  kiosk's fsync of the paid answer (`store.paid.record` returning: the answer, its
  spend and the queue's completion in one commit). `WINDOW_LOOKUPS` distinct products
  with a front image, one at a time, over loopback TLS, with the daemon's defaults
  (`client_for`'s spending guard on the store's ledger); p50/p95/max in ms.

Exit status 1 when the kiosk spends anything but the minimum, or shows the wrong set of
products, or normalizes a scan differently from the ground truth.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import httpx  # noqa: E402
from _common import emit, parse_args, table  # noqa: E402
from _scan_trace import TraceScan, make_trace  # noqa: E402

from kiosk.api import (  # noqa: E402
    ApiClient,
    RefreshTokenFile,
    Secret,
    TokenAuth,
    make_http_client,
)
from kiosk.config import ApiConfig, ScannerConfig, StorageConfig  # noqa: E402
from kiosk.daemon.lookups import Lookups  # noqa: E402
from kiosk.sandbox import Pricing, Sandbox, build_catalog  # noqa: E402
from kiosk.scanner import DuplicateWindow, Invalid, Scan, validate  # noqa: E402
from kiosk.store import Store  # noqa: E402

EPOCH = 1_800_000_000.0
UNBOUNDED: dict[str, Any] = {"balance": 1e9, "rpm": 10_000_000, "rpd": 100_000_000}
WINDOW_LOOKUPS = 50
OUTCOMES = ("shown", "cached", "not_found", "invalid", "duplicate", "queued", "error")


@dataclass
class ClientRun:
    """What one client did with the trace, as its sandbox's ledger saw it."""

    credits: float
    requests: dict[str, int]
    statuses: dict[str, int]
    outcomes: dict[str, int]
    shown: set[str] = field(default_factory=set)
    own_credits: float | None = None  # what the client itself says it spent
    image_downloads: int = 0
    mismatches: list[str] = field(default_factory=list)
    doubles_suppressed: int = 0


def _ledger_figures(sb: Sandbox) -> tuple[float, dict[str, int], dict[str, int]]:
    requests: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for entry in sb.ledger:
        path = entry.path.split("/api/v1", 1)[-1]
        kind = "/" + path.strip("/").split("/", 1)[0]
        if kind == "/products" and path.endswith("/image"):
            kind = "/products/*/image"
        requests[kind] += 1
        statuses[str(entry.status)] += 1
    requests["total"] = sum(requests.values())
    return sb.credits_spent(), dict(requests), dict(statuses)


def replay_kiosk(trace: list[TraceScan], workdir: Path) -> ClientRun:
    """The daemon's scan path over `trace`, against a fresh sandbox."""
    storage = StorageConfig(state_dir=workdir / "state", cache_dir=workdir / "cache")
    window = DuplicateWindow(ScannerConfig().duplicate_window_s)
    outcomes: Counter[str] = Counter(dict.fromkeys(OUTCOMES, 0))
    run_shown: set[str] = set()
    mismatches: list[str] = []
    own = 0.0
    doubles = 0
    now = [0.0]
    with Sandbox(**UNBOUNDED) as sb:
        cfg = ApiConfig(base_url=sb.base_url, client_id=sb.client_id, ca_file=sb.ca_file)
        store = Store.from_config(storage, clock=lambda: EPOCH + now[0])
        try:
            with make_http_client(cfg) as http:
                auth = TokenAuth(cfg.base_url, cfg.client_id, lambda: Secret(sb.api_key),
                                 RefreshTokenFile(storage.state_dir))
                api = ApiClient(http, cfg.base_url, auth, deadline_s=cfg.lookup_deadline_s,
                                low_balance=cfg.low_balance_warning)
                lookups = Lookups(store, api)
                for scan in trace:
                    now[0] = scan.t
                    verdict = validate(Scan(scan.raw, scan.source, scan.t))
                    gtin = None if isinstance(verdict, Invalid) else verdict.gtin
                    if gtin != scan.gtin:
                        mismatches.append(f"{scan.raw!r} ({scan.kind}): kiosk {gtin}, "
                                          f"truth {scan.gtin}")
                    if gtin is None:
                        outcomes["invalid"] += 1
                        continue
                    if window.is_duplicate(scan.source, gtin, scan.t):
                        outcomes["duplicate"] += 1
                        doubles += scan.kind == "double"
                        continue
                    answer = lookups.lookup(gtin, scan.source, EPOCH + scan.t)
                    outcomes[answer.outcome] += 1
                    own += answer.credits
                    if answer.outcome in ("shown", "cached"):
                        run_shown.add(gtin)
        finally:
            store.close()
        credits, requests, statuses = _ledger_figures(sb)
        downloads = len(sb.image_downloads())
    return ClientRun(credits, requests, statuses, dict(outcomes), run_shown, round(own, 6),
                     downloads, mismatches, doubles)


def replay_naive(trace: list[TraceScan]) -> ClientRun:
    """A client that sends what it reads, with default parameters, every time."""
    outcomes: Counter[str] = Counter()
    run_shown: set[str] = set()
    fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection per call
    with Sandbox(**UNBOUNDED) as sb, httpx.Client(timeout=10.0, trust_env=False,
                                                  limits=fresh, verify=sb.verify) as http:
        token = http.post(f"{sb.base_url}/auth/token",
                          json={"client_id": sb.client_id, "api_key": sb.api_key})
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for scan in trace:
            code = scan.raw.strip()
            if not (code.isascii() and code.isdigit()):
                outcomes["skipped"] += 1
                continue
            response = http.get(f"{sb.base_url}/products/{code}", headers=headers)
            outcomes[{200: "shown", 404: "not_found", 400: "bad_request"}.get(
                response.status_code, str(response.status_code))] += 1
            if response.status_code == 200:
                run_shown.add(code)
        credits, requests, statuses = _ledger_figures(sb)
    return ClientRun(credits, requests, statuses, dict(outcomes), run_shown)


def measure_window(workdir: Path, n: int = WINDOW_LOOKUPS, tls: bool = True) -> dict[str, Any]:
    """Milliseconds from the sandbox's debit to the kiosk's fsync of the answer.

    `tls=False` where the sandbox cannot make its certificates (a kiosk's own Python,
    without `kiosk[sandbox]`: the system test runs this in the guest)."""
    from kiosk.api.spending import SpendGuard
    from kiosk.sandbox.endpoints import API_PREFIX
    from kiosk.store.paid import PaidAnswer

    recorded: dict[str, float] = {}
    storage = StorageConfig(state_dir=workdir / "state", cache_dir=workdir / "cache")
    with Sandbox(**UNBOUNDED, tls=tls) as sb:
        cfg = ApiConfig(base_url=sb.base_url, client_id=sb.client_id, ca_file=sb.ca_file)
        store = Store.from_config(storage)
        record = store.paid.record

        def timed(answer: PaidAnswer) -> None:
            record(answer)
            recorded[answer.barcode] = time.time()

        store.paid.record = timed  # type: ignore[method-assign]
        try:
            with make_http_client(cfg) as http:
                auth = TokenAuth(cfg.base_url, cfg.client_id, lambda: Secret(sb.api_key),
                                 RefreshTokenFile(storage.state_dir))
                api = ApiClient(http, cfg.base_url, auth, deadline_s=cfg.lookup_deadline_s,
                                spend=SpendGuard(0, 0, store.spending))
                lookups = Lookups(store, api)
                codes = [b for b, p in sb.catalog.items() if p["image_meta"].get("front")][:n]
                for code in codes:
                    lookups.lookup(code)
        finally:
            store.close()
        debited = {e.barcode: e.time for e in sb.ledger
                   if e.credits and e.path == f"{API_PREFIX}/products/{e.barcode}"}
    ms = sorted((recorded[b] - debited[b]) * 1000 for b in recorded if b in debited)
    if not ms:
        return {"lookups": 0}

    def pct(q: float) -> float:
        return round(ms[min(len(ms) - 1, int(q * len(ms)))], 1)

    return {"lookups": len(ms), "p50_ms": pct(0.5), "p95_ms": pct(0.95),
            "max_ms": round(ms[-1], 1)}


def minimum_credits(trace: list[TraceScan], catalog: Mapping[str, Any],
                    pricing: Pricing) -> float:
    """The least any client showing every scanned product's card could spend."""
    products = {s.gtin for s in trace if s.gtin is not None and s.gtin in catalog}
    return round(sum(
        pricing.per_scope_rate + (pricing.per_image_rate if catalog[g]["image_meta"].get("front")
                                  else 0.0)
        for g in products), 6)


def run(n: int = 600, seed: int = 7, workdir: Path | None = None) -> dict[str, Any]:
    """Everything the benchmark reports, as one JSON-ready dict."""
    catalog = build_catalog()
    trace = make_trace(catalog, n=n, seed=seed)
    with tempfile.TemporaryDirectory(prefix="bench-credits-") as tmp:
        kiosk = replay_kiosk(trace, workdir or Path(tmp))
    naive = replay_naive(trace)
    with tempfile.TemporaryDirectory(prefix="bench-window-") as tmp:
        window = measure_window(Path(tmp))
    minimum = minimum_credits(trace, catalog, Pricing())
    truth = {s.gtin for s in trace if s.gtin is not None and s.gtin in catalog}
    with_front = {g for g in truth if catalog[g]["image_meta"].get("front")}
    kinds = Counter(s.kind for s in trace)
    return {
        "trace": {
            "scans": len(trace), "seed": seed, "hours": round(trace[-1].t / 3600, 2),
            "readers": len({s.source for s in trace}), "kinds": dict(kinds),
            "distinct_products": len(truth), "with_front_image": len(with_front),
            "distinct_unknown": len({s.gtin for s in trace if s.gtin and s.gtin not in catalog}),
        },
        "credits": {"kiosk": kiosk.credits, "naive": naive.credits, "minimum": minimum,
                    "kiosk_own_accounting": kiosk.own_credits},
        "kiosk_equals_minimum": abs(kiosk.credits - minimum) < 1e-6,
        "window": window,
        "kiosk": {
            "outcomes": kiosk.outcomes, "requests": kiosk.requests, "statuses": kiosk.statuses,
            "image_downloads": kiosk.image_downloads,
            "shown_equals_truth": kiosk.shown == truth,
            "missing_products": sorted(truth - kiosk.shown),
            "unexpected_products": sorted(kiosk.shown - truth),
            "normalization_mismatches": kiosk.mismatches,
            "double_reads": kinds["double"], "double_reads_suppressed": kiosk.doubles_suppressed,
        },
        "naive": {"outcomes": naive.outcomes, "requests": naive.requests,
                  "statuses": naive.statuses, "products_shown": len(naive.shown)},
    }


def report(fig: dict[str, Any]) -> str:
    tr, cr, k, nv = fig["trace"], fig["credits"], fig["kiosk"], fig["naive"]
    kinds = ", ".join(f"{name} {count}" for name, count in sorted(tr["kinds"].items()))
    outcomes = ", ".join(f"{name} {k['outcomes'].get(name, 0)}" for name in OUTCOMES)
    naive_out = ", ".join(f"{name} {count}" for name, count in sorted(nv["outcomes"].items()))
    rows: list[tuple[str, ...]] = [("", "kiosk", "naive", "minimum"),
            ("credits", f"{cr['kiosk']:.2f}", f"{cr['naive']:.2f}", f"{cr['minimum']:.2f}")]
    for kind in sorted(set(k["requests"]) | set(nv["requests"]), key=lambda x: (x != "total", x)):
        rows.append((f"requests {kind}", str(k["requests"].get(kind, 0)),
                     str(nv["requests"].get(kind, 0)), ""))
    yes = "yes" if fig["kiosk_equals_minimum"] else "NO"
    lines = [
        f"trace: {tr['scans']} scans over {tr['hours']} h on {tr['readers']} readers "
        f"(seed {tr['seed']}): {kinds}",
        f"distinct catalog products scanned: {tr['distinct_products']} "
        f"({tr['with_front_image']} with a front image); distinct unknown codes: "
        f"{tr['distinct_unknown']}",
        f"kiosk outcomes: {outcomes}",
        f"kiosk: double reads suppressed {k['double_reads_suppressed']} of "
        f"{k['double_reads']}; front images downloaded {k['image_downloads']}; "
        f"normalization mismatches {len(k['normalization_mismatches'])}; "
        f"own accounting {cr['kiosk_own_accounting']:.2f} credits",
        f"naive outcomes: {naive_out}; cards for {nv['products_shown']} distinct codes",
        "",
        table(rows),
        "",
        f"kiosk == minimum: {yes}  (naive / kiosk = "
        f"{cr['naive'] / cr['kiosk'] if cr['kiosk'] else float('inf'):.1f}x)",
    ]
    w = fig.get("window") or {}
    if w.get("lookups"):
        lines.append(f"window from the API's debit to the kiosk's fsync of the answer, "
                     f"{w['lookups']} lookups: p50 {w['p50_ms']} ms, p95 {w['p95_ms']} ms, "
                     f"max {w['max_ms']} ms")
    if not k["shown_equals_truth"]:
        lines.append(f"products not shown: {k['missing_products']}; "
                     f"shown but not scanned: {k['unexpected_products']}")
    lines += [f"mismatch: {m}" for m in k["normalization_mismatches"][:10]]
    return "\n".join(lines)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(__doc__ or "credits benchmark")
    fig = run()
    print(report(fig))
    emit(args, fig)
    k = fig["kiosk"]
    ok = fig["kiosk_equals_minimum"] and k["shown_equals_truth"] and not k[
        "normalization_mismatches"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
