"""A green run must mean the suite ran: under CI=true a skipped test fails the run.

Tests skip when a facility is missing here (journald, root, udevadm, QEMU, a Debian
package). On a developer's machine that is allowed, and the run ends with one line
naming the suites that did not run and why. In CI (`CI=true`, which `.ci/run` sets)
such a skip would let a change land that no end-to-end test ever saw, so it is turned
into a failure carrying the skip's reason. `ALLOWED` exempts a skip that is truly by
design; each entry says why, and the run prints the ones it used.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Generator
from typing import Any

import pytest

# Test id (or the start of one) -> why skipping it in CI is by design. Keep it empty
# unless a skip cannot be a missing facility; a facility CI lacks belongs in
# scripts/setup or a fixture instead.
ALLOWED: dict[str, str] = {}

Skip = tuple[str, str, str | None]  # (test id, reason, allowed because)
_SKIPPED = pytest.StashKey[list[Skip]]()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def allowed_because(nodeid: str) -> str | None:
    for prefix, why in ALLOWED.items():
        if nodeid == prefix or nodeid.startswith(prefix.rstrip(":") + "::") or (
            prefix.endswith("/") and nodeid.startswith(prefix)
        ):
            return why
    return None


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _judge(config: pytest.Config, report: pytest.TestReport | pytest.CollectReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _reason(report)
    because = allowed_because(report.nodeid)
    config.stash.setdefault(_SKIPPED, []).append((report.nodeid, reason, because))
    if in_ci() and because is None:
        report.outcome = "failed"
        report.longrepr = (f"skipped under CI=true, which counts as a failure (a missing "
                           f"facility must be provided, not skipped): {reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
        None, Any, None]:
    outcome = yield
    _judge(item.config, outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield
    _judge(collector.config, outcome.get_result())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    skipped = config.stash.get(_SKIPPED, [])
    suites: dict[str, list[str]] = defaultdict(list)
    for nodeid, reason, because in skipped:
        if because is None and not in_ci():
            suites[_suite(nodeid)].append(reason)
    for nodeid, reason, because in skipped:
        if because is not None:
            terminalreporter.write_line(f"allowed skip: {nodeid}: {because} ({reason})")
    if suites:
        parts = [f"{suite} ({len(reasons)}: {_most_common(reasons)})"
                 for suite, reasons in sorted(suites.items())]
        terminalreporter.write_line(
            "did not run here (a failure under CI=true): " + "; ".join(parts), yellow=True)


def _suite(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else path


def _most_common(reasons: list[str]) -> str:
    return max(set(reasons), key=reasons.count)
