"""What the end-to-end tests share: a journald to read the daemon back from, the sandbox."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiosk.sandbox import Sandbox
from tests.support import journald


@pytest.fixture(scope="module")
def journal_running() -> None:
    """Skip (a failure under CI=true) where no journald can answer: the daemon's tests
    read what it did back from the journal. Modules use it with `usefixtures`."""
    reason = journald.ensure_journald()
    if reason:
        pytest.skip(f"end-to-end daemon tests read the journal: {reason}")


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """The API's own rate limit (60 a minute): the daemon meets it as a kiosk in a shop."""
    return make_sandbox()
