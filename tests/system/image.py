"""The guest: a Debian 12 machine built from scratch, and the disk that carries the kiosk in.

The root file system is `debootstrap --variant=minbase` with a kernel, systemd and udev:
what any Debian-based device has. On top come only harness parts, written down here and
nowhere in the product:

- qemu-guest-agent: the test's command channel (a shop's Pi has ssh instead);
- openssh-server and python3, which every Raspberry Pi OS image has: Ansible, which
  installs the kiosk here as on a chain's Pis, reaches the guest over SSH and runs its
  modules with the guest's Python;
- a static address for the one network the guest has (QEMU's user network, which
  forwards 10.0.2.100:443 to the API sandbox on the host and reaches nothing else);
- passwordless root with an autologin shell on the serial console, for debugging;
- apt pointed at a local package directory on the second disk: the guest has no
  network, so the packages install-pi asks for are downloaded on the host first. The
  list is install-pi's own (its dry run inside the fresh root), so a package the kiosk
  needs but install-pi does not install is simply absent in the guest.

The second disk ("kiosk data", read-only in the guest) holds that package directory, a
wheelhouse for `install-pi --wheels`, a copy of the checkout, the sandbox's CA and the
API key. The root file system is cached by a hash of what goes into it (never under
CI=true: CI builds fresh); the data disk is made per run, it is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["API_HOST", "INSTALL_PI_ARGS", "LOG_HOST", "LOG_PORT", "Guest", "build_guest"]

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
ARCH = "amd64"
# The OS, and the harness's command channel. Nothing the kiosk needs.
BASE_PACKAGES = ("systemd", "systemd-sysv", "udev", "linux-image-amd64", "qemu-guest-agent",
                 # What a Raspberry Pi OS image has, for Ansible: sshd and a Python.
                 "openssh-server", "python3")
GUEST_IP = "10.0.2.15"
API_HOST = "10.0.2.100"  # QEMU forwards this address's port 443 to the sandbox
LOG_HOST, LOG_PORT = "10.0.2.101", 19532  # ... and this one to the central log server
# How the kiosk is installed here: as a chain's device, its journal sent to the log server,
# its metrics served by node_exporter.
INSTALL_PI_ARGS = ("--log-server", f"https://{LOG_HOST}:{LOG_PORT}", "--metrics")
DATA_MOUNT = "/mnt/kiosk"

_HARNESS_FILES: dict[str, str] = {
    "etc/hostname": "kiosk-vm\n",
    "etc/hosts": "127.0.0.1 localhost\n127.0.1.1 kiosk-vm\n",
    "etc/fstab": ("/dev/vda / ext4 rw,noatime 0 1\n"
                  f"LABEL=kioskdata {DATA_MOUNT} ext4 ro,nofail 0 0\n"),
    "etc/systemd/network/10-qemu.network": (
        f"[Match]\nName=en* eth*\n[Network]\nAddress={GUEST_IP}/24\nGateway=10.0.2.2\n"),
    "etc/apt/sources.list": f"deb [trusted=yes] file:{DATA_MOUNT}/debs ./\n",
    "etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf": (
        "[Service]\nExecStart=\n"
        "ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200 %I $TERM\n"),
    # Keep the journal across power cuts, as a Pi with /var/log/journal does.
    "etc/systemd/journald.conf.d/persistent.conf": "[Journal]\nStorage=persistent\n",
}


@dataclass(frozen=True)
class Guest:
    """What a run boots: kernel, initrd, the root image (raw, never written) and data disk."""

    kernel: Path
    initrd: Path
    root_image: Path
    data_image: Path
    packages: tuple[str, ...]  # what install-pi will ask apt for, present on the data disk


def build_guest(work: Path, checkout: Path, ca_cert: Path, api_key: str, *,
                cache: Path | None, keep_data: bool = False) -> Guest:
    """Build (or take from `cache`) the root image, then make this run's data disk
    (`keep_data`: reuse the last one, for a machine whose kiosk is installed already)."""
    work.mkdir(parents=True, exist_ok=True)
    key = _cache_key(checkout)
    base = (cache / key) if cache is not None else (work / "base")
    if not (base / "done").exists():
        if base.exists():
            shutil.rmtree(base)
        _build_base(base, checkout)
        (base / "done").write_text(key + "\n")
    packages = tuple(json.loads((base / "packages.json").read_text()))
    data_image = work / "data.img"
    if keep_data and data_image.exists():
        return Guest(base / "vmlinuz", base / "initrd.img", base / "root.img", data_image,
                     packages)
    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir()
    shutil.copytree(base / "debs", data / "debs")
    _wheelhouse(checkout, data / "wheels")
    _copy_checkout(checkout, data / "kiosk")
    (data / "ca").mkdir()
    shutil.copy(ca_cert, data / "ca" / "kiosk-sandbox-ca.crt")
    (data / "api_key").write_text(api_key + "\n")
    _mkfs(data, data_image, label="kioskdata")
    return Guest(base / "vmlinuz", base / "initrd.img", base / "root.img", data_image, packages)


# --- the root file system ------------------------------------------------------------------


def _cache_key(checkout: Path) -> str:
    """What the cached root depends on: this recipe and install-pi's package list."""
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update((checkout / "scripts" / "install-pi").read_bytes())
    digest.update(repr((SUITE, MIRROR, ARCH, BASE_PACKAGES)).encode())
    return digest.hexdigest()[:16]


def _build_base(base: Path, checkout: Path) -> None:
    root = base / "root"
    base.mkdir(parents=True)
    _run(["debootstrap", "--variant=minbase", f"--arch={ARCH}",
          f"--include={','.join(BASE_PACKAGES)}", SUITE, str(root), MIRROR], "debootstrap")
    for relative, text in _HARNESS_FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    with _mounted(root):
        _chroot(root, ["passwd", "-d", "root"])
        _chroot(root, ["systemctl", "enable", "systemd-networkd"])
        packages = _install_pi_packages(root, checkout)
        # The packages install-pi will ask for, downloaded here, installed there.
        (root / "etc/apt/sources.list").write_text(f"deb {MIRROR} {SUITE} main\n")
        _chroot(root, ["apt-get", "update", "-qq"])
        _chroot(root, ["apt-get", "install", "-y", "-qq", "--download-only",
                       "--no-install-recommends", *packages])
    debs = base / "debs"
    debs.mkdir()
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        shutil.move(str(deb), debs / deb.name)
    index = subprocess.run(["dpkg-scanpackages", "--multiversion", "."], cwd=debs,
                           capture_output=True, check=True).stdout
    (debs / "Packages").write_bytes(index)
    (root / "etc/apt/sources.list").write_text(_HARNESS_FILES["etc/apt/sources.list"])
    shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
    (root / "var/lib/apt/lists/partial").mkdir(parents=True)
    (base / "packages.json").write_text(json.dumps(packages))
    kernel = max((root / "boot").glob("vmlinuz-*"))
    shutil.copy(kernel, base / "vmlinuz")
    shutil.copy(root / "boot" / kernel.name.replace("vmlinuz", "initrd.img"),
                base / "initrd.img")
    _mkfs(root, base / "root.img", label="kioskroot", spare_mb=3072)
    shutil.rmtree(root)


def _install_pi_packages(root: Path, checkout: Path) -> list[str]:
    """The Debian packages install-pi would install on this fresh root (its dry run)."""
    script = root / "tmp/install-pi-probe"
    _copy_checkout(checkout, script)
    try:
        out = _chroot(root, ["/tmp/install-pi-probe/scripts/install-pi", "--dry-run",
                             *INSTALL_PI_ARGS]).stdout
    finally:
        shutil.rmtree(script)
    for line in out.splitlines():
        found = re.match(r"would run: env DEBIAN_FRONTEND=noninteractive apt-get install "
                         r"-y --no-install-recommends (.*)$", line)
        if found:
            return found.group(1).split()
    raise RuntimeError(f"install-pi's dry run names no packages to install:\n{out}")


@contextlib.contextmanager
def _mounted(root: Path) -> Iterator[None]:
    """/proc, /sys and /dev for the chroot, private so nothing leaks to the host."""
    mounts = []
    try:
        for name in ("proc", "sys", "dev"):
            target = root / name
            _run(["mount", "--bind", f"/{name}", str(target)], f"mount {name}")
            mounts.append(target)
            _run(["mount", "--make-private", str(target)], f"private {name}")
        shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
        yield
    finally:
        for target in reversed(mounts):
            subprocess.run(["umount", "-l", str(target)], check=False)


def _chroot(root: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
           "DEBIAN_FRONTEND": "noninteractive"}
    return _run(["chroot", str(root), *argv], " ".join(argv[:3]), env=env)


# --- the data disk -------------------------------------------------------------------------


def _wheelhouse(checkout: Path, out: Path) -> None:
    """Every Python package install-pi needs, for `install-pi --wheels`: binary wheels
    where they exist, sources for evdev and systemd-python, which compile on the device
    as on a Pi, and the build tools their builds need offline."""
    out.mkdir()
    pip = [os.environ.get("PYTHON", "python3"), "-m", "pip", "download", "-q", "-d", str(out)]
    _run([*pip, "setuptools>=68", "wheel"], "pip download build tools")
    _run([*pip, "--no-binary", "evdev,systemd-python", str(checkout)], "pip download")
    for leftover in out.glob("kiosk-*"):  # pip may save the checkout itself
        leftover.unlink()


def _copy_checkout(checkout: Path, dest: Path) -> None:
    """The files git tracks, as they are in the working tree (uncommitted edits too)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=checkout, capture_output=True,
                           check=True).stdout.decode().split("\0")
    dest.mkdir(parents=True)
    for name in filter(None, files):
        source = checkout / name
        if not source.exists():
            continue  # deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def _mkfs(source: Path, image: Path, *, label: str, spare_mb: int = 64) -> None:
    used = sum(f.stat().st_size for f in source.rglob("*") if f.is_file() and not f.is_symlink())
    size_mb = int(used / 1e6 * 1.3) + spare_mb
    image.unlink(missing_ok=True)
    _run(["mkfs.ext4", "-q", "-F", "-L", label, "-d", str(source), str(image), f"{size_mb}M"],
         f"mkfs {label}")


def _run(argv: list[str], what: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}"
                           f"\n{proc.stderr[-3000:]}")
    return proc

