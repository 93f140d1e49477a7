"""Resilience cases need the real journal; their figures are printed after the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kiosk.sandbox import Sandbox
from tests.resilience.util import FIGURES, Figures, Fleet
from tests.support import journald


@pytest.fixture(scope="session", autouse=True)
def journal_running() -> None:
    reason = journald.ensure_journald()
    if reason:
        pytest.skip(f"resilience tests read the daemon's journal: {reason}")


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A rate limit the fault cases' scans stay under (600 a minute)."""
    return make_sandbox(rpm=600)


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    f = Fleet()
    yield f
    f.close()


@pytest.fixture
def figures() -> Figures:
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    cases = FIGURES.cases
    if not cases:
        return
    tr = terminalreporter
    tr.section("resilience figures")
    tr.write_line(f"fault cases: {len(cases)}   scans sent: {sum(c.scans for c in cases)}   "
                  f"lost: {sum(c.lost for c in cases)}   "
                  f"double charges: {sum(c.double_charges for c in cases)}   "
                  f"crashes (SIGKILL): {sum(c.crashes for c in cases)}")
    for c in cases:
        rss = f"  peak RSS {c.peak_rss_mb:.1f} MB" if c.peak_rss_mb is not None else ""
        tr.write_line(f"  {c.name:<48} scans {c.scans:>5}  lost {c.lost}  "
                      f"double charges {c.double_charges}  crashes {c.crashes}{rss}")
