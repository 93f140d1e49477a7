"""Helpers shared by the benchmark parts: percentiles and result output."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 (nearest-rank) of `samples`, plus their count."""
    if not samples:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    ordered = sorted(samples)

    def rank(p: float) -> float:
        k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[k]

    return {"n": len(ordered), "p50": statistics.median(ordered), "p95": rank(95), "p99": rank(99)}


def parse_args(description: str, quick: str | None = None) -> argparse.Namespace:
    """--json, and --quick (also BENCH_QUICK=1) when `quick` says what it shortens."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    if quick is not None:
        parser.add_argument("--quick", action="store_true",
                            default=bool(os.environ.get("BENCH_QUICK")),
                            help=f"{quick} (or BENCH_QUICK=1)")
    return parser.parse_args()


def say(text: str) -> None:
    """Progress on stderr, so stdout holds only the figures."""
    print(f"  .. {text}", file=sys.stderr, flush=True)


def emit(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
