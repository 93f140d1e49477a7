"""Deleting a tree that held a chroot without reaching into what was mounted there.

A chroot gets the machine's /dev, /proc and /sys bound into it. Should one still be
mounted when the tree is deleted (a lazy unmount that failed, a run killed between mount
and unmount), `shutil.rmtree` walks through the bind into the machine's own /dev and
deletes its device nodes; `rm --one-file-system` alone does not help either, since a
bind of a directory on the same file system has the same device number. So the mount
table decides: whatever is mounted at or under the tree is unmounted first (for real,
never lazily: a lazy unmount reports success while the mount may live on), and if
anything stays mounted nothing is deleted at all.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

__all__ = ["RemoveTreeError", "mounts_under", "remove_tree"]

MOUNTINFO = Path("/proc/self/mountinfo")


class RemoveTreeError(RuntimeError):
    """A tree was not deleted: something stays mounted in it (then nothing was deleted),
    or rm failed."""


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in a path as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts_under(path: Path) -> list[Path]:
    """The mount points at or under `path` in this process's mount namespace, deepest
    first (the order they can be unmounted in); a point mounted over twice, twice."""
    top = os.path.realpath(path)
    found = []
    for line in MOUNTINFO.read_text().splitlines():
        # ID PARENT MAJOR:MINOR ROOT MOUNTPOINT ...; the mount point is the fifth field.
        point = _unescape(line.split(" ")[4])
        if point == top or point.startswith(top.rstrip("/") + "/"):
            found.append(point)
    return [Path(p) for p in sorted(found, key=lambda p: (-p.count("/"), p))]


def remove_tree(path: Path) -> None:
    """Delete `path` and everything in it, never crossing a mount point.

    Mounts in the tree are first made slaves (an unmount there then never propagates to
    the mount it was bound from: unmounting a chroot's dev/pts must not unmount the
    machine's /dev/pts), then unmounted deepest first, as often as something is mounted
    over something else. Raises RemoveTreeError, deleting nothing, when one will not go
    (busy, or no right to unmount); the deletion itself stays on the tree's own file
    system all the same (`rm --one-file-system`).
    """
    if os.path.islink(path):  # the link goes, not what it points to
        os.unlink(path)
        return
    if not os.path.lexists(path):
        return
    for point in dict.fromkeys(reversed(mounts_under(path))):  # shallowest first
        subprocess.run(["mount", "--make-rslave", str(point)], capture_output=True, check=False)
    errors: list[str] = []
    left = mounts_under(path)
    while left:
        for point in left:
            res = subprocess.run(["umount", str(point)], capture_output=True, text=True,
                                 check=False)
            if res.returncode != 0:
                errors.append(f"{point}: {res.stderr.strip() or f'exit {res.returncode}'}")
        before, left = left, mounts_under(path)
        if left == before:  # no progress: what is left will not unmount
            raise RemoveTreeError(
                f"refusing to delete {path}: still mounted there: {', '.join(map(str, left))}"
                + "".join(f"\n  umount {e}" for e in errors))
    res = subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)],
                         capture_output=True, text=True, check=False)
    if res.returncode != 0 or os.path.lexists(path):
        raise RemoveTreeError(f"could not delete all of {path}: {res.stderr.strip()}")
