"""Fixtures: a real sandbox on a loopback port, and an httpx client talking to it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kiosk.sandbox import Sandbox
from tests.sandbox.helpers import authed


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A fresh sandbox per test (cheap: ~30 ms): tests change balances, tokens, windows."""
    with Sandbox(rpm=10_000) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb: Sandbox) -> Iterator[httpx.Client]:
    with authed(sb) as c:
        yield c
