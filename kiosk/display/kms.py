"""Which DRM card and connector the kiosk shows on, read from sysfs: pure, cheap, no device.

SDL on KMS/DRM takes the first card it can make something of, and a machine's card
numbers are not a constant: a Pi 5's card0 is the render-only v3d (no connectors, no
screen) and its display is card1; a Pi 4 has them the other way round, depending on
which driver bound first. So the kiosk reads `/sys/class/drm` itself: each display card
`cardN` has a directory `cardN-<connector>` per output (`card1-HDMI-A-1`, `card0-DSI-1`,
`card0-Virtual-1`) whose `status` says `connected`, `disconnected` or `unknown`. The
first connected connector (or the one `display.output` names) picks the card, and
`SDL_KMSDRM_DEVICE_INDEX` tells SDL to use it.

Reading these files costs a few system calls, so the display polls them every couple of
seconds: that is how it notices a screen switched on after the Pi, an HDMI cable pulled,
or the whole GPU gone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DRM_CLASS", "Connector", "NoOutput", "Output", "choose_output", "connectors"]

DRM_CLASS = Path("/sys/class/drm")
_CONNECTOR_DIR = re.compile(r"card(?P<card>[0-9]+)-(?P<name>.+)")
# Writeback connectors are the display engine's way of capturing its own output into
# memory: they report "unknown", never show anything, and must never be chosen.
_NEVER = ("Writeback-",)


@dataclass(frozen=True)
class Connector:
    """One output of one card as sysfs describes it."""

    card: int
    name: str  # "HDMI-A-1", without the card prefix
    status: str  # connected | disconnected | unknown | "" (unreadable)
    modes: tuple[str, ...] = ()  # "1920x1080", the preferred one first

    @property
    def connected(self) -> bool:
        return self.status == "connected"

    @property
    def preferred_size(self) -> tuple[int, int] | None:
        """The first (preferred) mode's size, when the kernel lists one."""
        for mode in self.modes:
            w, _, h = mode.partition("x")
            if w.isdigit() and h.rstrip("i").isdigit():
                return int(w), int(h.rstrip("i"))
        return None


@dataclass(frozen=True)
class Output:
    """The connector to show on: SDL_KMSDRM_DEVICE_INDEX is `card`."""

    card: int
    connector: str
    size: tuple[int, int] | None = None  # the preferred mode, when known

    def __str__(self) -> str:
        return f"card{self.card} {self.connector}"


@dataclass(frozen=True)
class NoOutput:
    """Nothing to show on, and why, in the words the journal and STATUS= use."""

    reason: str  # "no display: HDMI-A-1 disconnected"

    def __str__(self) -> str:
        return self.reason


def connectors(root: Path = DRM_CLASS) -> list[Connector]:
    """Every connector under `root`, by card then name; [] when there is no DRM at all."""
    try:
        entries = sorted(root.iterdir(), key=lambda p: _sort_key(p.name))
    except OSError:  # no /sys/class/drm: no display driver loaded (yet)
        return []
    found = []
    for entry in entries:
        match = _CONNECTOR_DIR.fullmatch(entry.name)
        if match is None or match["name"].startswith(_NEVER):
            continue
        found.append(Connector(int(match["card"]), match["name"], _read(entry / "status"),
                               tuple(_read(entry / "modes").split())))
    return found


def choose_output(root: Path = DRM_CLASS, want: str = "") -> Output | NoOutput:
    """The connected connector to show on: `want` if named, else the first connected one.

    Render-only cards (a Pi 5's v3d) have no connector directories, so they are never
    candidates, whatever their number.
    """
    found = connectors(root)
    if not found:
        return NoOutput("no display: no display card")
    if want:
        named = [c for c in found if c.name == want]
        if not named:
            have = ", ".join(sorted({c.name for c in found}))
            return NoOutput(f"no display: {want} not found (this machine has {have})")
        found = named
    for c in found:
        if c.connected:
            return Output(c.card, c.name, c.preferred_size)
    if len(found) == 1 or want:
        return NoOutput(f"no display: {found[0].name} {found[0].status or 'unreadable'}")
    return NoOutput("no display: " + ", ".join(f"{c.name} {c.status or 'unreadable'}"
                                               for c in found))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:  # the card went away between listing and reading
        return ""


def _sort_key(name: str) -> tuple[int, str]:
    """card10 after card2; the connector names in the kernel's order within a card."""
    match = _CONNECTOR_DIR.fullmatch(name) or re.fullmatch(r"card(?P<card>[0-9]+)", name)
    return (int(match["card"]), name) if match else (1 << 30, name)
