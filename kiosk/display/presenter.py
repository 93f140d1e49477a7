"""The real screen behind the kiosk's canvas: opened when one is there, let go when it goes.

A store's screen comes and goes on its own schedule: the TV is switched on after the Pi,
a cleaner pulls the HDMI cable, a desktop's compositor holds the display. None of that
may stop the kiosk, whose scans are read, looked up and journalled either way. So the
`Display` always paints into an in-memory canvas, and this `Presenter` shows that canvas
on a screen only while one is open.

Its states, and the only places they change (`_opened`, `_let_go`, `_unavailable`)::

    absent ──connector connected, opened──▶ shown ──disconnected, card gone, flip fails──▶ absent
       ▲ └──connected but cannot be opened──▶ busy ──retry on a later poll──┘

Each change is logged once, and `problem` says in one line why nothing is shown, for
systemd's STATUS=. Two paths:

- **KMS/DRM** (no desktop: the kiosk's real life). The DRM connectors in sysfs are read
  every `POLL_S` seconds from the display's own `tick` (no thread); SDL's video
  subsystem is initialised only when a connector is connected, on the card that has it,
  and quit again when it goes away, which also releases DRM master for whoever
  comes next.
- **Window** (a desktop, or SDL's dummy driver in the tests and the demo): the window
  is opened at once, as it always was, and a failure to open it is an error for the
  person who started it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import DisplayConfig
from kiosk.display.kms import DRM_CLASS, NoOutput, Output, choose_output
from kiosk.display.rotation import Rect, Rotation, physical_rect, rotated
from kiosk.errors import DisplayError

__all__ = ["POLL_S", "RETRY_S", "Opener", "Presenter", "ScreenUnavailable", "Window",
           "kms_path", "open_window"]

logger = logging.getLogger(__name__)

POLL_S = 2.0  # how often sysfs is read for a connector that came or went
RETRY_S = 10.0  # after a connected screen could not be opened (busy): SDL init is not free
# SDL drivers that draw into memory only: right for tests and screenshots when asked for,
# never what a kiosk should end up on by itself.
INVISIBLE = frozenset({"offscreen", "dummy"})


class ScreenUnavailable(Exception):
    """A screen that is there could not be opened; `reason` is for the journal."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Window:
    """An open screen: its surface and how to put a frame on it."""

    surface: Any
    driver: str
    name: str  # "HDMI-A-1", or "window"

    @property
    def size(self) -> tuple[int, int]:
        w, h = self.surface.get_size()
        return int(w), int(h)

    def update(self, rects: Sequence[Rect] | None) -> None:
        """Flip the whole frame (None) or only `rects`; pygame.error when the screen is gone."""
        import pygame.display

        if rects is None:
            pygame.display.flip()
        else:
            pygame.display.update(list(rects))


# Opens a screen: on `output` (KMS/DRM) or as a window (None); raises ScreenUnavailable.
Opener = Callable[[Output | None, DisplayConfig], Window]


def kms_path() -> bool:
    """Whether SDL will draw through KMS/DRM: no desktop and no invisible driver asked for."""
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("SDL_VIDEODRIVER") in INVISIBLE)


def open_window(output: Output | None, config: DisplayConfig) -> Window:
    """Initialise SDL's video and open the screen: full screen at the panel's own mode on
    KMS/DRM, `display.size` in a window. ScreenUnavailable (video quit again) otherwise."""
    import pygame
    import pygame.display

    if output is not None:
        # SDL otherwise takes the first card it can use, not the one with the screen.
        os.environ["SDL_KMSDRM_DEVICE_INDEX"] = str(output.card)
    name = output.connector if output is not None else "window"
    try:
        pygame.display.init()
    except pygame.error as exc:
        raise ScreenUnavailable(f"no display: SDL cannot start its video ({exc}); without a "
                                "desktop the user needs the 'video' and 'render' groups") from exc
    driver = pygame.display.get_driver()
    asked = os.environ.get("SDL_VIDEODRIVER", "").lower()
    if driver.lower() in INVISIBLE and asked != driver.lower():
        # SDL tried its real drivers, then settled for one that shows nothing.
        _quit_video()
        held = " (another program, a desktop?, may hold it)" if output is not None else ""
        raise ScreenUnavailable(f"display busy: SDL cannot use {name}{held} and fell back "
                                f"to '{driver}', which shows nothing")
    want, flags = _mode(output, config, driver)
    try:
        surface = pygame.display.set_mode(want, flags)
    except pygame.error as exc:
        _quit_video()
        raise ScreenUnavailable(f"display busy: {name} cannot be opened ({exc}); another "
                                "program (a desktop?) may hold it") from exc
    pygame.display.set_caption("kiosk")
    if config.fullscreen:
        pygame.mouse.set_visible(False)
    return Window(surface, driver, name)


def _mode(output: Output | None, config: DisplayConfig,
          driver: str) -> tuple[tuple[int, int], int]:
    """What to ask set_mode for: the panel's native mode full screen, else a window."""
    import pygame

    if driver.lower() in INVISIBLE:  # tests: the connector's preferred mode stands for the panel
        size = output.size if output is not None and output.size else config.size
        return (int(size[0]), int(size[1])), 0
    if config.fullscreen or output is not None:
        return (0, 0), pygame.FULLSCREEN
    return (int(config.size[0]), int(config.size[1])), 0


def _quit_video() -> None:
    import pygame
    import pygame.display

    try:
        pygame.display.quit()
    except pygame.error as exc:  # a vanished device can fail its own teardown
        logger.debug("closing SDL's video: %s", exc)


class Presenter:
    """Shows a canvas on a screen while one is open; follows the screen coming and going.

    `kms` (default: decided from the environment, `kms_path`), `drm_root` and `opener`
    are the seams the tests use to play a connector that appears, goes and fails.
    """

    def __init__(self, config: DisplayConfig, rotation: Rotation, *, kms: bool | None = None,
                 drm_root: Path = DRM_CLASS, opener: Opener = open_window) -> None:
        self.config = config
        self.rotation = rotation
        self.kms = kms_path() if kms is None else kms
        self._root = drm_root
        self._opener = opener
        self.window: Window | None = None
        self._output: Output | None = None
        self.problem: str | None = None  # why nothing is shown; None while a screen is open
        self.next_poll: float | None = 0.0 if self.kms else None
        self._retry_at = float("-inf")
        self._polled_at = 0.0  # the caller's clock at the last poll
        self.on_change: Callable[[str | None], None] | None = None

    def open_now(self) -> None:
        """Window path: open at once; DisplayError for the person who asked for a window."""
        try:
            self.window = self._opener(None, self.config)
        except ScreenUnavailable as exc:
            raise DisplayError(exc.reason) from exc
        logger.info("display %dx%d via %s, rotation %d", *self.window.size,
                    self.window.driver, self.rotation)

    def poll(self, now: float) -> bool:
        """Follow sysfs when due; True when a screen was just opened (present it now)."""
        if self.next_poll is None or now < self.next_poll:
            return False
        self.next_poll, self._polled_at = now + POLL_S, now
        choice = choose_output(self._root, self.config.output)
        if isinstance(choice, NoOutput):
            if self.window is not None:
                self._let_go(choice.reason)
            else:
                self._unavailable(choice.reason)
            return False
        if self.window is not None:
            if self._same(choice):
                return False
            self._let_go(f"no display: {self._output} replaced by {choice}")
        if now < self._retry_at:
            return False
        return self._open(choice, now)

    def present(self, canvas: Any, rects: Sequence[Rect] | None = None) -> None:
        """Put the canvas (or only `rects` of it) on the screen, turned; nothing without one.

        A screen that fails here is gone (unplugged mid-frame, the device removed): it is
        let go, never raised into the daemon.
        """
        window = self.window
        if window is None:
            return
        import pygame

        logical = canvas.get_size()
        try:
            if rects is None:
                window.surface.blit(rotated(canvas, self.rotation), (0, 0))
                window.update(None)
                return
            placed = []
            for rect in rects:
                where = physical_rect(rect, logical, self.rotation)
                window.surface.blit(rotated(canvas.subsurface(rect), self.rotation), where[:2])
                placed.append(where)
            window.update(placed)
        except pygame.error as exc:
            # Not reopened at the next poll: a device that fails every frame would be
            # opened and lost every two seconds, each time in the journal.
            self._retry_at = self._polled_at + RETRY_S
            self._let_go(f"no display: {window.name} lost ({exc})")

    def close(self) -> None:
        if self.window is not None:
            self.window = None
            _quit_video()

    # --- the transitions ------------------------------------------------------------------

    def _open(self, output: Output, now: float) -> bool:
        try:
            self.window = self._opener(output, self.config)
        except ScreenUnavailable as exc:
            self._retry_at = now + RETRY_S
            self._unavailable(exc.reason)
            return False
        self._output = output
        logger.info("display %s connected: %dx%d via %s, rotation %d", output.connector,
                    *self.window.size, self.window.driver, self.rotation)
        self._changed(None)
        return True

    def _let_go(self, reason: str) -> None:
        """The screen went away: release it (and DRM master) and go on without it."""
        self.close()
        self._output = None
        self._unavailable(reason)

    def _unavailable(self, reason: str) -> None:
        if reason == self.problem:
            return
        if self.kms:
            logger.warning("%s; scanning goes on, the screen opens when one is connected",
                           reason)
        else:
            logger.error("%s; scanning goes on without a window", reason)
        self._changed(reason)

    def _changed(self, problem: str | None) -> None:
        self.problem = problem
        if self.on_change is not None:
            self.on_change(problem)

    def _same(self, choice: Output) -> bool:
        current = self._output
        return current is not None and (current.card, current.connector) == (
            choice.card, choice.connector)
