"""tests/support/chroot.remove_tree: a chroot's tree deleted without crossing a mount.

The mounts are real: each case runs as root in a mount namespace of its own (`unshare
--mount`), so whatever it mounts vanishes with it, whatever remove_tree does; the
machine's mount table is checked to be untouched afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import chroot
from tests.support.chroot import mounts_under, remove_tree
from tests.system import image

ROOT = Path(__file__).resolve().parents[1]
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs root and unshare (mounts in a private mount namespace)")

# Run in the namespace: `setup` mounts things, then remove_tree(root) is tried; the
# outcome, what is left of the source and what is still mounted come back as JSON.
_CASE = """
import json, os, subprocess, sys
from pathlib import Path
from tests.support.chroot import RemoveTreeError, mounts_under, remove_tree

tmp = Path(sys.argv[1])
root, source = tmp / "root", tmp / "source"
def sh(line):
    subprocess.run(["sh", "-ec", line], cwd=tmp, check=True)
{setup}
try:
    remove_tree(root)
    error = None
except RemoveTreeError as exc:
    error = str(exc)
print(json.dumps({{
    "error": error,
    "root_exists": root.exists(),
    "source": sorted(str(p.relative_to(source)) for p in source.rglob("*")),
    "mounted": [str(p) for p in mounts_under(tmp)],
    "source_mounts": [str(p) for p in mounts_under(source)],
}}))
"""


def _in_namespace(tmp_path: Path, setup: str) -> dict[str, object]:
    """A chroot-like tree in tmp_path/root and a source tree in tmp_path/source, then
    `setup` (Python, with sh()) and remove_tree, in a private mount namespace."""
    for d in ("root/dev", "root/proc", "root/sys", "root/etc", "source/pts"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "root/etc/hostname").write_text("kiosk-vm\n")
    (tmp_path / "source/null").write_text("a device node, say\n")
    script = _CASE.format(setup=textwrap.dedent(setup))
    res = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", script,
         str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=60, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert mounts_under(tmp_path) == []  # nothing of it reached this namespace
    outcome: dict[str, object] = json.loads(res.stdout)
    return outcome


@needs_root
def test_binds_and_mounts_in_the_tree_are_unmounted_and_their_sources_kept(
        tmp_path: Path) -> None:
    # A bind from the same file system (rm --one-file-system alone would walk into it),
    # a tmpfs with a bind nested in it, and a point mounted over twice.
    got = _in_namespace(tmp_path, """
        sh("mount --bind source root/dev")
        sh("mount -t tmpfs kiosk-test root/proc && mkdir root/proc/deeper")
        sh("mount --bind source root/proc/deeper")
        sh("mount -t tmpfs kiosk-test root/sys && mount -t tmpfs kiosk-test root/sys")
        assert len(mounts_under(root)) == 5
    """)
    assert got == {"error": None, "root_exists": False, "source": ["null", "pts"],
                   "mounted": [], "source_mounts": []}


@needs_root
def test_unmounting_the_trees_copy_leaves_the_sources_submount(tmp_path: Path) -> None:
    """A shared source bound in with its submounts (`mount --rbind /dev`): unmounting the
    tree's dev/pts must not unmount the source's pts, as it would without --make-rslave."""
    got = _in_namespace(tmp_path, """
        sh("mount --bind source source && mount --make-shared source")
        sh("mount -t tmpfs kiosk-pts source/pts")
        sh("mount --rbind source root/dev")
        assert Path(tmp / "root/dev/pts") in mounts_under(root)
    """)
    assert got["error"] is None and got["root_exists"] is False
    assert got["source_mounts"] == [str(tmp_path / "source/pts"), str(tmp_path / "source")]


@needs_root
def test_a_mount_that_will_not_go_stops_the_delete_before_anything_is_lost(
        tmp_path: Path) -> None:
    # A file held open on a tmpfs in the tree: a real (not lazy) unmount is refused.
    got = _in_namespace(tmp_path, """
        sh("mount -t tmpfs kiosk-test root/dev")
        held = open(root / "dev/held", "w")
    """)
    error = got["error"]
    assert isinstance(error, str)
    assert f"refusing to delete {tmp_path / 'root'}: still mounted there: " in error
    assert str(tmp_path / "root/dev") in error
    assert got["root_exists"] is True
    assert got["mounted"] == [str(tmp_path / "root/dev")]
    # Nothing was deleted: the tree outside the mount is whole.
    assert (tmp_path / "root/etc/hostname").read_text() == "kiosk-vm\n"


def test_a_tree_without_mounts_is_deleted_and_a_link_is_not_followed(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "file").write_text("x")
    tree = tmp_path / "tree"
    (tree / "a/b").mkdir(parents=True)
    (tree / "a/b/file").write_text("x")
    (tree / "link").symlink_to(kept)
    link = tmp_path / "link-to-kept"
    link.symlink_to(kept)
    remove_tree(tree)
    remove_tree(link)
    remove_tree(tmp_path / "absent")
    assert not tree.exists() and not os.path.lexists(link)
    assert (kept / "file").read_text() == "x"


def test_mount_points_are_read_unescaped_deepest_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "a root"
    mountinfo = tmp_path / "mountinfo"
    escaped = str(tree).replace(" ", "\\040")
    mountinfo.write_text("".join(
        f"{n} 1 0:{n} / {point} rw shared:1 - tmpfs tmpfs rw\n" for n, point in enumerate(
            ["/", f"{escaped}/dev", f"{escaped}/dev/pts", f"{escaped}-other/dev",
             f"{escaped}/proc", escaped])))
    monkeypatch.setattr(chroot, "MOUNTINFO", mountinfo)
    assert mounts_under(tree) == [tree / "dev/pts", tree / "dev", tree / "proc", tree]


def _minimal_root(root: Path) -> None:
    """A root holding only the shell (dash) and what it loads: enough for a chroot."""
    shell = Path("/bin/sh").resolve()
    ldd = subprocess.run(["ldd", str(shell)], capture_output=True, text=True, check=True).stdout
    libs = {word for word in ldd.split() if word.startswith("/")}
    copies: list[tuple[Path, str]] = [(shell, "bin/sh"), *((Path(lib), lib[1:]) for lib in libs)]
    for source, target in copies:
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / target)
    for d in ("proc", "sys", "dev"):
        (root / d).mkdir()


@needs_root
def test_the_guest_builders_chroot_leaves_no_mount_behind(tmp_path: Path) -> None:
    """tests/system/image.py binds the machine's /proc, /sys and /dev into its root only
    inside the chroot's own mount namespace: they are there for the command, and the
    machine's mount table never has them, so deleting the root cannot reach them."""
    root = tmp_path / "root"
    _minimal_root(root)
    res = image._chroot(root, ["/bin/sh", "-c", "test -c /dev/null && test -r /proc/self/stat "
                                                "&& test -d /sys/kernel && echo inside"])
    assert res.stdout == "inside\n"
    assert mounts_under(tmp_path) == []
    remove_tree(root)
    assert not root.exists()
