"""Does the state survive a power cut? Where a directory's writes really go.

A chain that protects its SD cards turns on raspi-config's overlay file system: the root
becomes an overlay whose upper (written) layer is a tmpfs, so the queue, the cache and the
spend log live in RAM and a power cut loses them without a word. A state directory on
tmpfs, ramfs or a zram disk is the same. This module answers from the kernel's own
account, /proc/self/mountinfo (proc(5)), never from a guess at the distribution's setup:
the directory's mount is the deepest mount point above it (the last one listed, when
several are stacked on one point), and an overlay is followed to the mount that holds
its ``upperdir``. An overlay whose upper layer is not in the table (it was mounted in
another namespace, as a container's is) is taken as durable: the warning is kept for
what is known.

`placement` and `parse_mountinfo` are pure (tests feed mountinfo texts);
`volatile_dirs` reads the file, whose path is a parameter.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MOUNTINFO", "Mount", "Placement", "parse_mountinfo", "placement", "volatile_dirs",
           "volatile_warning"]

logger = logging.getLogger(__name__)

MOUNTINFO = Path("/proc/self/mountinfo")
RAM_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
_MAX_FOLLOW = 8  # overlays over overlays: bounded


@dataclass(frozen=True)
class Mount:
    """One line of mountinfo: the fields this module needs."""

    mount_point: str
    fstype: str
    source: str
    super_options: str

    def option(self, name: str) -> str | None:
        for opt in self.super_options.split(","):
            key, _, value = opt.partition("=")
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Placement:
    """Where `directory` lives: `volatile` when its writes are held in RAM; `why` says
    how that was found (for the journal and `kiosk status`)."""

    directory: Path
    volatile: bool
    why: str


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo octal.
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit() and len(field[i + 1:i + 4]) == 3:
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """The mounts, in the file's order (a later mount on one point covers an earlier).

    A line is: id parent major:minor root mount-point options [optional fields...] -
    fstype source super-options. A line not of that shape is skipped.
    """
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 6 or len(tail) < 2:
            continue
        super_options = tail[2] if len(tail) > 2 else ""
        mounts.append(Mount(_unescape(fields[4]), tail[0], _unescape(tail[1]),
                            _unescape(super_options)))
    return mounts


def _mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    best: Mount | None = None
    for m in mounts:
        point = m.mount_point
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.mount_point)):
            best = m
    return best


def placement(directory: Path | str, mounts: list[Mount]) -> Placement:
    """Where `directory` (absolute, symlinks resolved) lives, from the mount table."""
    path = os.path.normpath(str(directory))
    mount = _mount_of(path, mounts)
    hops = 0
    while mount is not None:
        where = f"{mount.mount_point} ({mount.fstype})"
        if mount.fstype in RAM_FILESYSTEMS:
            return Placement(Path(path), True, f"{where} is in RAM")
        if mount.source.startswith("/dev/zram"):
            return Placement(Path(path), True, f"{where} is a RAM disk ({mount.source})")
        upper = mount.option("upperdir") if mount.fstype == "overlay" else None
        if upper is None or hops >= _MAX_FOLLOW:
            return Placement(Path(path), False, f"{where} is kept on disk")
        below = _mount_of(os.path.normpath(upper), mounts)
        if below is None or below is mount:
            return Placement(Path(path), False,
                             f"{where}: an overlay whose upper layer {upper} is not listed")
        if below.fstype in RAM_FILESYSTEMS or below.source.startswith("/dev/zram"):
            return Placement(Path(path), True,
                             f"{where} is an overlay whose upper layer {upper} is in RAM "
                             f"({below.fstype}): the overlay file system")
        mount, hops = below, hops + 1
    return Placement(Path(path), False, "no mount listed")


def _resolved(directory: Path) -> str:
    """The directory with its symlinks resolved; one not made yet is placed by the
    mount it will be made on (its path is matched, not opened)."""
    return os.path.realpath(directory)


def volatile_dirs(directories: Iterable[Path], mountinfo: Path = MOUNTINFO
                  ) -> list[Placement]:
    """The directories whose writes are held in RAM (empty: all durable, or unknown)."""
    try:
        mounts = parse_mountinfo(mountinfo.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        logger.debug("cannot read %s: %s; state assumed durable", mountinfo, exc)
        return []
    found = (placement(_resolved(d), mounts) for d in directories)
    return [p for p in found if p.volatile]


def volatile_warning(placements: list[Placement]) -> str:
    """The one journal line for `volatile_dirs`' answer (not empty)."""
    where = "; ".join(f"{p.directory}: {p.why}" for p in placements)
    return (f"queued scans are kept in RAM: a power cut loses them ({where}). Put the "
            "state on a writable disk: sudo ./scripts/install-pi --state-dir PATH")
