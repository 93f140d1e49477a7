"""Fixtures: the sandbox under test (tests/conftest.py starts it), and an httpx client
talking to it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kiosk.sandbox import Sandbox
from tests.sandbox.helpers import authed


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    """The sandbox under test: tests/conftest.py's `sandbox`, by its short name here."""
    return sandbox


@pytest.fixture
def client(sb: Sandbox) -> Iterator[httpx.Client]:
    with authed(sb) as c:
        yield c
