"""`scripts/bench credits` on a short trace: the kiosk spends exactly the minimum.

The benchmark's own functions are run (imported from scripts/bench_parts), against real
sandboxes over TCP and a real store on disk, so this is the daemon's scan path end to end.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kiosk.sandbox import Pricing, build_catalog
from kiosk.sandbox.catalog import is_valid_gtin, upca_to_upce

BENCH_PARTS = Path(__file__).resolve().parents[2] / "scripts" / "bench_parts"


def _load(name: str) -> ModuleType:
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_PARTS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:] = saved


credits = _load("credits")
_scan_trace = sys.modules["_scan_trace"]
CATALOG = build_catalog()


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return credits.run(n=200, seed=7, workdir=tmp_path_factory.mktemp("credits"))


def test_kiosk_spends_exactly_the_minimum(figures: dict[str, Any]) -> None:
    spent = figures["credits"]
    assert spent["minimum"] > 0
    assert spent["kiosk"] == pytest.approx(spent["minimum"], abs=1e-6)
    assert spent["kiosk_own_accounting"] == pytest.approx(spent["kiosk"], abs=1e-6)
    assert figures["kiosk_equals_minimum"] is True


def test_naive_client_spends_more(figures: dict[str, Any]) -> None:
    assert figures["credits"]["naive"] > 2 * figures["credits"]["kiosk"]


def test_kiosk_shows_every_scanned_product_and_refuses_every_misread(
        figures: dict[str, Any]) -> None:
    kiosk = figures["kiosk"]
    assert kiosk["shown_equals_truth"], (kiosk["missing_products"], kiosk["unexpected_products"])
    assert kiosk["normalization_mismatches"] == []
    assert kiosk["double_reads_suppressed"] == kiosk["double_reads"] > 0
    assert kiosk["outcomes"]["queued"] == kiosk["outcomes"]["error"] == 0
    assert kiosk["image_downloads"] == figures["trace"]["with_front_image"]


def test_minimum_counts_each_product_once_and_unknown_codes_not_at_all() -> None:
    with_front = next(b for b, p in CATALOG.items() if p["image_meta"]["front"])
    without = next(b for b, p in CATALOG.items() if not p["image_meta"]["front"])
    scan = _scan_trace.TraceScan
    trace = [scan(with_front, "a", 0.0, "good", with_front),
             scan(with_front, "a", 9.0, "rescan", with_front),
             scan(without, "b", 1.0, "good", without),
             scan("4000000000006", "b", 2.0, "unknown", "4000000000006"),
             scan("garbage", "b", 3.0, "garbage", None)]
    assert credits.minimum_credits(trace, CATALOG, Pricing()) == pytest.approx(1.3 + 0.3)


def test_trace_is_deterministic_and_holds_every_kind_of_read() -> None:
    trace = _scan_trace.make_trace(CATALOG, n=200, seed=7)
    assert trace == _scan_trace.make_trace(CATALOG, n=200, seed=7)
    assert trace != _scan_trace.make_trace(CATALOG, n=200, seed=8)
    assert len(trace) == 200
    assert [s.t for s in trace] == sorted(s.t for s in trace)
    kinds = Counter(s.kind for s in trace)
    assert set(kinds) == {"good", "rescan", "returning", "double", "misread", "garbage",
                          "unknown"}
    assert {s.source for s in trace} == set(_scan_trace.READERS)
    truths = [s for s in trace if s.gtin in CATALOG]
    assert any(len(s.raw) == 13 and s.raw == "0" + s.gtin for s in truths)
    assert any(len(s.raw) == 8 and upca_to_upce(s.gtin) == s.raw for s in truths)
    for s in trace:
        if s.kind == "double":
            assert any(o.raw == s.raw and o.source == s.source and 0 < s.t - o.t <= 0.3
                       for o in trace)
        if s.kind in ("misread", "garbage"):
            assert s.gtin is None and not is_valid_gtin(s.raw)
        if s.kind == "unknown":
            assert s.gtin not in CATALOG and is_valid_gtin(s.gtin)


def test_the_window_from_debit_to_fsync_is_measured(figures: dict[str, Any]) -> None:
    window = figures["window"]
    assert window["lookups"] >= 40  # every product with a front image, bought once
    assert 0 < window["p50_ms"] <= window["p95_ms"] <= window["max_ms"]
