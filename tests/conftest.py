"""Test-wide set-up: no test may open a real window or sound device; and the fixtures
more than one test directory uses: the sandbox API, a settable clock, a store on disk,
the fonts' measure, a directory in RAM."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import FakeClock

if TYPE_CHECKING:  # loaded by the fixtures that need them: `kiosk status` tests stay light
    from kiosk.display.text import FontMeasure
    from kiosk.sandbox import Sandbox
    from kiosk.store import Store

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# skip_policy: under CI=true a skipped test fails the run; pytester: its own tests;
# display.fakes: a screen that comes and goes, for the display's and the daemon's tests.
pytest_plugins = ["tests.skip_policy", "pytester", "tests.display.fakes"]

# The system test boots a whole machine (tests/system, about half an hour): it runs from
# ./scripts/system-test, which sets KIOSK_SYSTEM_TEST, not in every ./scripts/test.
if not os.environ.get("KIOSK_SYSTEM_TEST"):
    collect_ignore = ["system"]


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start a sandbox with these `Sandbox` arguments (rpm, balance, client_id, ...) on a
    loopback port; every one started is stopped after the test."""
    from kiosk.sandbox import Sandbox

    with contextlib.ExitStack() as started:
        def make(**kw: Any) -> Sandbox:
            return started.enter_context(Sandbox(**kw))

        yield make


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A fresh sandbox per test (cheap: ~30 ms; tests change balances, tokens, faults),
    with its rate limit out of the way; a test about the limit asks `make_sandbox(rpm=)`."""
    return make_sandbox(rpm=10_000)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def file_store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    """A store on files in tmp_path, on the test's clock."""
    from kiosk.store import Store

    s = Store.open(tmp_path / "state", tmp_path / "cache", clock=clock)
    yield s
    s.close()


@pytest.fixture(scope="session")
def measure() -> FontMeasure:
    """The display's text measure (fonts loaded once), for layouts without a screen."""
    from kiosk.display.text import FontMeasure

    return FontMeasure()


@pytest.fixture
def ram_dir() -> Iterator[Path]:
    """A fresh directory on /dev/shm (a tmpfs on every Linux with systemd or docker),
    removed after: state held in RAM, as the overlay file system leaves it."""
    import tempfile

    from kiosk.store.durable import parse_mountinfo, placement

    mounts = parse_mountinfo(Path("/proc/self/mountinfo").read_text())
    if not placement(os.path.realpath("/dev/shm"), mounts).volatile:
        pytest.skip("/dev/shm is not a tmpfs here")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as ram:
        yield Path(ram)
