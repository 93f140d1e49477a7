"""The screen: show screen states, animate and dim the idle screen, follow the panel.

States are painted into an in-memory canvas at the layout's (upright) size; the
`Presenter` shows it, turned for `display.rotation`, on whatever screen is open, and
opens and lets go of the screen as it comes and goes (`kiosk.display.presenter`).

The daemon drives this from one thread (pygame's display is not thread-safe)::

    deadline = display.tick(now)
    while running:
        item = queue.get(timeout=max(0, deadline - now) if deadline else None)
        if item: display.show(item) else: deadline = display.tick(time.monotonic())

`tick` does the timed work (a card going back to idle after `card_seconds`, 3 frames a
second of the idle arrow in its own small rectangle, dimming and blanking) and returns
when it next needs to run, so an idle kiosk sleeps in the queue instead of polling.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiosk.config import DisplayConfig
from kiosk.display.backlight import Backlight
from kiosk.display.commands import Arrow, Layout
from kiosk.display.images import load_prepared, prepare_image, prepared_size
from kiosk.display.kms import DRM_CLASS
from kiosk.display.layout import layout
from kiosk.display.painter import Painter, draw_arrow
from kiosk.display.presenter import Opener, Presenter, open_window
from kiosk.display.rotation import as_rotation, logical_size
from kiosk.display.screens import (
    Card,
    Error,
    Idle,
    Mode,
    RecentScan,
    ScannerDisconnected,
    ScreenState,
    StatusInfo,
)
from kiosk.display.text import FontMeasure

__all__ = ["ANIMATION_FPS", "Display"]

logger = logging.getLogger(__name__)

ANIMATION_FPS = 3.0
ANIMATION_REST = 4.0  # a frame's cost times this, at least, until the next one
# Without a desktop, SDL reads every /dev/input keyboard itself: its key events are the
# scanners the kiosk's own readers already read (or any keyboard plugged in), not the
# typing into a window that the window keyboard stands for.
_NO_WINDOW = frozenset({"kmsdrm", "fbcon", "directfb"})
_PULSE_PERIOD_S = 2.4


class Display:
    """The kiosk's screen. Opening the window happens here, never at import.

    Everything is painted into `canvas`, an in-memory surface of the upright (logical)
    size, and presented on the real screen only while one is open (`kiosk.display.
    presenter`): with no screen the kiosk runs on, and the screen, once connected, shows
    the current state at once. After construction nothing about the screen raises.
    `drm_root`, `kms` and `opener` are the tests' seams for a screen that comes and goes.
    """

    def __init__(self, config: DisplayConfig, *, now: float | None = None,
                 drm_root: Path = DRM_CLASS, kms: bool | None = None,
                 opener: Opener = open_window) -> None:
        import pygame
        import pygame.font

        self.config = config
        self.mode: Mode = config.mode
        self.rotation = as_rotation(config.rotation)
        self._presenter = Presenter(config, self.rotation, kms=kms, drm_root=drm_root,
                                    opener=opener)
        self._presenter.on_change = self._problem_changed
        self.on_problem: Callable[[str | None], None] | None = None
        now = time.monotonic() if now is None else now
        self._open_screen(now)
        pygame.font.init()
        w, h = config.size
        self.size: tuple[int, int] = self._screen_size() or logical_size((w, h), self.rotation)
        self.canvas = pygame.Surface(self.size)
        self.measure = FontMeasure(config.font)
        self.painter = Painter(self.measure)
        self._logo = self._load_logo(config)
        self._idle = Idle(config.store_name, config.logo if self._logo is not None else None,
                          config.scanner_position)
        self._status: StatusInfo | None = None
        self._recent: tuple[RecentScan, ...] = ()
        self._state: ScreenState = self._idle
        self._layout: Layout | None = None
        self._pulsing: list[Arrow] = []
        self._backdrops: list[Any] = []
        self._shown_at = 0.0
        self._next_frame: float | None = None
        self._power = "on"  # on | dim | blank
        self._backlight = Backlight.find(config.backlight, config.brightness_percent)
        if self._backlight is not None:
            self._backlight.set("on")  # a kiosk killed while blank must not stay dark
        self.quit_requested = False
        # The daemon's window keyboard (kiosk.scanner.WindowKeyboard) gets key events here.
        self.on_key: Callable[[Any], None] | None = None
        self.show(self._idle, now=now)
        logger.info("display %dx%d (layout), %s mode%s", *self.size, self.mode,
                    f", {self.problem}" if self.problem else "")

    def _open_screen(self, now: float) -> None:
        """A window at once; on KMS/DRM the screen if one is connected already."""
        if not self._presenter.kms:
            self._presenter.open_now()
            return
        # No desktop: SDL will draw through KMS/DRM, and there with its desktop-GL
        # renderer unless told otherwise; without libGL (a Lite image, a minimal Debian)
        # those calls fail silently and every frame scans out black. GLES2 is what KMS/DRM
        # machines have. Read by SDL at start-up, so set before init (found by the system
        # test: a black screen in the QEMU guest).
        os.environ.setdefault("SDL_RENDER_DRIVER", "opengles2")
        self._presenter.poll(now)

    # --- public API ----------------------------------------------------------------------------

    @property
    def state(self) -> ScreenState:
        return self._state

    @property
    def idle(self) -> Idle:
        return self._idle

    @property
    def problem(self) -> str | None:
        """Why nothing is shown ("no display: HDMI-A-1 disconnected"); None while shown."""
        return self._presenter.problem

    @property
    def driver(self) -> str:
        """SDL's video driver while a screen is open, else "none"."""
        window = self._presenter.window
        return window.driver if window is not None else "none"

    def prepare_image(self, data: bytes) -> bytes | None:
        """`prepare_image` for this screen's size and mode."""
        return prepare_image(data, self.size, self.mode)

    def set_idle(self, idle: Idle) -> None:
        """Change what the idle screen shows (e.g. a new store name after a reload)."""
        self._idle = idle
        if isinstance(self._state, Idle):
            self.show(idle)

    def set_status(self, status: StatusInfo, recent: Sequence[RecentScan] = ()) -> None:
        """New staff status bar and recent scans; repaints at once in staff mode."""
        changed = status != self._status or tuple(recent) != self._recent
        self._status, self._recent = status, tuple(recent)
        if changed and self.mode == "staff" and self._power == "on":
            self._render(time.monotonic())

    def show(self, state: ScreenState, now: float | None = None) -> None:
        """Paint `state` now; a scan wakes a dimmed or blank screen instantly."""
        now = time.monotonic() if now is None else now
        self._pump()
        self._state = state
        self._shown_at = now
        self._wake()
        self._render(now)

    def tick(self, now: float | None = None) -> float | None:
        """Do the timed work due by `now`; return the next deadline (None: none pending).

        The timed work includes looking for a screen that came or went (every few
        seconds, on KMS/DRM only).
        """
        now = time.monotonic() if now is None else now
        self._pump()
        self._follow_screen(now)
        deadlines = [d for d in (self._timed(now), self._presenter.next_poll) if d is not None]
        return min(deadlines) if deadlines else None

    def _timed(self, now: float) -> float | None:
        """The screen's own timers: a card's time up, the arrow's frames, dim and blank."""
        cfg = self.config
        if not isinstance(self._state, Idle | ScannerDisconnected):
            back = self._shown_at + cfg.card_seconds
            if now >= back:
                self.show(self._idle, now)
            else:
                return back
        if isinstance(self._state, Idle):
            idle_for = now - self._shown_at
            if cfg.blank_after_s and idle_for >= cfg.blank_after_s:
                if self._power != "blank":
                    self._blank()
                return None
            if cfg.dim_after_s and idle_for >= cfg.dim_after_s:
                if self._power != "dim":
                    self._dim()
                return self._shown_at + cfg.blank_after_s if cfg.blank_after_s else None
        deadlines: list[float] = []
        if self._pulsing and self._power == "on" and self._presenter.window is not None:
            if self._next_frame is None or now >= self._next_frame:
                started = time.perf_counter()
                self._animate(now)
                # A screen drawn in software (no GPU: Mesa's softpipe in the system test's
                # guest) can take longer for one frame than the interval: then the arrow
                # rests three times as long as it took, so that it never holds the main
                # thread (and the GIL the readers and the drainer need) more than a quarter.
                cost = time.perf_counter() - started
                self._next_frame = now + max(1 / ANIMATION_FPS, ANIMATION_REST * cost)
            deadlines.append(self._next_frame)
        if isinstance(self._state, Idle):
            for after in (cfg.dim_after_s, cfg.blank_after_s):
                if after and self._shown_at + after > now:
                    deadlines.append(self._shown_at + after)
        return min(deadlines) if deadlines else None

    def close(self) -> None:
        """Close the window, leaving the panel lit for whatever shows next."""
        self._wake()
        self._presenter.close()

    def __enter__(self) -> Display:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- painting ------------------------------------------------------------------------------

    def _follow_screen(self, now: float) -> None:
        """A screen just opened: lay out for its size if that changed, show what is current."""
        if not self._presenter.poll(now):
            return
        size = self._screen_size() or self.size
        if size == self.size:
            self._presenter.present(self.canvas)
            return
        import pygame

        logger.info("laying out for %dx%d (was %dx%d)", *size, *self.size)
        self.size = size
        self.canvas = pygame.Surface(size)
        power, self._power = self._power, "on"
        self._render(now)
        if power == "dim":
            self._dim()
        elif power == "blank":
            self._blank()

    def _screen_size(self) -> tuple[int, int] | None:
        """The layout's size on the open screen; None without one (the last size stays)."""
        window = self._presenter.window
        return logical_size(window.size, self.rotation) if window is not None else None

    def _problem_changed(self, problem: str | None) -> None:
        if self.on_problem is not None:
            self.on_problem(problem)

    def _render(self, now: float) -> None:
        try:
            self._paint(self._state)
        except Exception:
            # Bad data must never stop the kiosk: this one screen becomes an error card.
            # If even that cannot be drawn (in memory: no device involved), it is a bug
            # of the painter itself, and that propagates.
            logger.exception("%s could not be drawn; showing an error card instead",
                             _describe(self._state))
            self._state = Error("This product cannot be shown. Please ask staff.")
            self._paint(self._state)
        for arrow in self._pulsing:
            draw_arrow(self.canvas, arrow, _phase(now))
        self._next_frame = now + 1 / ANIMATION_FPS if self._pulsing else None
        self._presenter.present(self.canvas)

    def _paint(self, state: ScreenState) -> None:
        state, images = self._resolve_images(state)
        self._layout = layout(state, self.size, self.mode, self.measure, status=self._status,
                              recent=self._recent)
        self._pulsing = self.painter.paint(self.canvas, self._layout, images)
        self._backdrops = [self.canvas.subsurface(a.box.as_tuple()).copy() for a in self._pulsing]

    def _resolve_images(self, state: ScreenState) -> tuple[ScreenState, dict[str, Any]]:
        images: dict[str, Any] = {}
        if isinstance(state, Idle) and state.logo is not None and self._logo is not None:
            images["logo"] = self._logo
        if isinstance(state, Card) and state.image is not None:
            data = state.image
            if prepared_size(data) is None:  # raw JPEG/PNG from an older cache: slow path
                logger.info("card image for %s was not prepared; preparing now",
                            state.product.barcode)
                data = prepare_image(data, self.size, state.mode or self.mode) or b""
            try:
                images["image"] = load_prepared(data)
            except ValueError:
                logger.warning("image for %s is unusable; showing the placeholder",
                               state.product.barcode)
                state = Card(**{**state.__dict__, "image": None})
        return state, images

    def _animate(self, now: float) -> None:
        rects = []
        for arrow, backdrop in zip(self._pulsing, self._backdrops, strict=True):
            self.canvas.blit(backdrop, (arrow.box.x, arrow.box.y))
            draw_arrow(self.canvas, arrow, _phase(now))
            rects.append(arrow.box.as_tuple())
        self._presenter.present(self.canvas, rects)

    def _dim(self) -> None:
        """Dim the idle screen: with the backlight where there is one, else by painting."""
        import pygame

        self._power = "dim"
        if self._backlight is not None and self._backlight.set("dim"):
            logger.debug("idle screen dimmed (backlight)")
            return
        shade = pygame.Surface(self.size, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 170))
        self.canvas.blit(shade, (0, 0))
        self._presenter.present(self.canvas)
        logger.debug("idle screen dimmed")

    def _blank(self) -> None:
        self._power = "blank"
        self.canvas.fill((0, 0, 0))
        self._presenter.present(self.canvas)
        if self._backlight is not None:
            self._backlight.set("blank")
        logger.debug("idle screen blanked")

    def _wake(self) -> None:
        if self._power != "on" and self._backlight is not None:
            self._backlight.set("on")
        self._power = "on"

    def _pump(self) -> None:
        import pygame
        import pygame.display
        import pygame.event

        # Drain everything (a desktop marks a window that never reads events as hung).
        # Hardware scanners are read through evdev or serial, not through these events;
        # in a window, key events go to `on_key` (the window keyboard: typing is a scan).
        # No screen open: no video subsystem, and no events to read.
        if not pygame.display.get_init():
            return
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.quit_requested = True
                logger.info("window closed by the user")
            elif (self.on_key is not None and self.driver.lower() not in _NO_WINDOW
                  and event.type in (pygame.KEYDOWN, pygame.KEYUP)):
                self.on_key(event)

    @staticmethod
    def _load_logo(config: DisplayConfig) -> Any:
        if config.logo is None:
            return None
        import pygame
        import pygame.image

        try:
            return pygame.image.load(str(config.logo))
        except (pygame.error, OSError, FileNotFoundError) as exc:
            logger.warning("logo %s could not be loaded (%s); showing the store name",
                           config.logo, exc)
            return None


def _describe(state: ScreenState) -> str:
    if isinstance(state, Card):
        return f"the card of {state.product.barcode}"
    return f"the {type(state).__name__} screen"


def _phase(now: float) -> float:
    return (now % _PULSE_PERIOD_S) / _PULSE_PERIOD_S

