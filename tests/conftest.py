"""Test-wide set-up: no test may open a real window or sound device."""

from __future__ import annotations

import os

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
