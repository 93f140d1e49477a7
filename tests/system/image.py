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

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.support.chroot import remove_tree

__all__ = ["API_HOST", "ARCHES", "INSTALL_PI_ARGS", "LOG_HOST", "LOG_PORT", "Arch", "Guest",
           "build_guest"]

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


@dataclass(frozen=True)
class Arch:
    """What differs between guest architectures; the rest of the recipe is shared."""

    qemu: str
    machine: str
    cpu: str
    console: str  # the first serial port's name in the guest
    qemu_user: str = ""  # qemu-user's name for a foreign guest's CPU, to build its root
    wheel_platform: str = ""  # pip's --platform for a foreign guest's binary wheels
    # How much longer than the x86 guest anything takes in it: the harness's timeouts are
    # multiplied by this (machine.py, bench.py), the waits stay conditions.
    slowness: float = 1.0
    # Devices this machine has beside the common ones (qemu argv words).
    devices: tuple[str, ...] = ()


ARCHES = {
    # A hardware watchdog, as a Pi has one (bcm2835-wdt): Intel's 6300ESB, which systemd
    # arms through /dev/watchdog0 once install-pi has set RuntimeWatchdogSec=. Should it
    # ever fire (PID 1 starved for 15 s by a loaded host: the emulated CPU is 20-30 times
    # slower than a Pi), QEMU only reports it (a WATCHDOG event) instead of resetting the
    # machine in the middle of a scenario.
    "amd64": Arch("qemu-system-x86_64", "q35", "max", "ttyS0",
                  devices=("-device", "i6300esb", "-action", "watchdog=none")),
    # A Raspberry Pi 4's cores, on QEMU's generic board (a Pi's own board model has no PCI
    # for virtio-gpu and xHCI). Debian 12's glibc is 2.36.
    "arm64": Arch("qemu-system-aarch64", "virt", "cortex-a72", "ttyAMA0",
                  qemu_user="aarch64", wheel_platform="manylinux_2_36_aarch64",
                  slowness=4.0),
}
# Debian 12's python3, which install-pi's venv is made with: the foreign wheels' tags.
GUEST_PYTHON = "3.11"

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
    arch: str = ARCH  # a key of ARCHES


def build_guest(work: Path, checkout: Path, ca_cert: Path, api_key: str, *,
                cache: Path | None, keep_data: bool = False, arch: str = ARCH) -> Guest:
    """Build (or take from `cache`) the root image, then make this run's data disk
    (`keep_data`: reuse the last one, for a machine whose kiosk is installed already)."""
    work.mkdir(parents=True, exist_ok=True)
    key = _cache_key(checkout, arch)
    base = (cache / key) if cache is not None else (work / "base")
    if not (base / "done").exists():
        remove_tree(base)  # a build cut short: its root may still have mounts in it
        _build_base(base, checkout, arch)
        (base / "done").write_text(key + "\n")
    packages = tuple(json.loads((base / "packages.json").read_text()))
    data_image = work / "data.img"
    if keep_data and data_image.exists():
        return Guest(base / "vmlinuz", base / "initrd.img", base / "root.img", data_image,
                     packages, arch)
    data = work / "data"
    remove_tree(data)
    data.mkdir()
    shutil.copytree(base / "debs", data / "debs")
    _wheelhouse(checkout, data / "wheels", arch)
    _copy_checkout(checkout, data / "kiosk")
    (data / "ca").mkdir()
    shutil.copy(ca_cert, data / "ca" / "kiosk-sandbox-ca.crt")
    (data / "api_key").write_text(api_key + "\n")
    _mkfs(data, data_image, label="kioskdata")
    return Guest(base / "vmlinuz", base / "initrd.img", base / "root.img", data_image, packages,
                 arch)


# --- the root file system ------------------------------------------------------------------


def _cache_key(checkout: Path, arch: str) -> str:
    """What the cached root depends on: this recipe and install-pi's package list."""
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    for script in ("install-pi", "lib/apt.sh"):  # install-pi's list, and how it prints it
        digest.update((checkout / "scripts" / script).read_bytes())
    digest.update(repr((SUITE, MIRROR, arch, BASE_PACKAGES)).encode())
    return digest.hexdigest()[:16]


def _build_base(base: Path, checkout: Path, arch: str = ARCH) -> None:
    root = base / "root"
    base.mkdir(parents=True)
    include = [f"linux-image-{arch}" if p == f"linux-image-{ARCH}" else p
               for p in BASE_PACKAGES]
    # debootstrap mounts /proc and /sys in the root while it works: in a mount namespace
    # of its own, so that they go with it even if it is killed.
    _run([*_PRIVATE_MOUNTS, "debootstrap", "--variant=minbase", f"--arch={arch}",
          *(["--foreign"] if arch != ARCH else []),
          f"--include={','.join(include)}", SUITE, str(root), MIRROR], "debootstrap")
    if arch != ARCH:
        _qemu_user_static(base, arch)
        _small_initramfs(root)
        _second_stage(root, arch)
    for relative, text in _HARNESS_FILES.items():
        target = root / relative.replace("ttyS0", ARCHES[arch].console)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")  # for apt
    _chroot(root, ["passwd", "-d", "root"], arch)
    _chroot(root, ["systemctl", "enable", "systemd-networkd"], arch)
    packages = _install_pi_packages(root, checkout, arch)
    # The packages install-pi will ask for, downloaded here, installed there.
    (root / "etc/apt/sources.list").write_text(f"deb {MIRROR} {SUITE} main\n")
    _chroot(root, ["apt-get", "update", "-qq"], arch)
    _chroot(root, ["apt-get", "install", "-y", "-qq", "--download-only",
                   "--no-install-recommends", *packages], arch)
    debs = base / "debs"
    debs.mkdir()
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        shutil.move(str(deb), debs / deb.name)
    index = subprocess.run(["dpkg-scanpackages", "--multiversion", "."], cwd=debs,
                           capture_output=True, check=True).stdout
    (debs / "Packages").write_bytes(index)
    (root / "etc/apt/sources.list").write_text(_HARNESS_FILES["etc/apt/sources.list"])
    remove_tree(root / "var/lib/apt/lists")
    (root / "var/lib/apt/lists/partial").mkdir(parents=True)
    (base / "packages.json").write_text(json.dumps(packages))
    kernel = max((root / "boot").glob("vmlinuz-*"))
    shutil.copy(kernel, base / "vmlinuz")
    shutil.copy(root / "boot" / kernel.name.replace("vmlinuz", "initrd.img"),
                base / "initrd.img")
    _mkfs(root, base / "root.img", label="kioskroot", spare_mb=3072)
    remove_tree(root)


def _qemu_user_static(base: Path, arch: str) -> None:
    """qemu-user-static, unpacked from its package next to the root, not installed: the
    package would register binfmt handlers on the host."""
    unpacked = base / "qemu-user-static"
    unpacked.mkdir()
    _run(["apt-get", "download", "-qq", "qemu-user-static"], "apt-get download", cwd=unpacked)
    deb = next(unpacked.glob("qemu-user-static_*.deb"))
    _run(["dpkg-deb", "-x", str(deb), str(unpacked)], "dpkg-deb -x")
    deb.unlink()
    conf = (unpacked / f"usr/lib/binfmt.d/qemu-{ARCHES[arch].qemu_user}.conf").read_text()
    # The interpreter by its path here, opened once at registration (F) so that it works
    # inside the chroot; P keeps argv[0], which this QEMU reads from the auxv.
    fields = conf.strip().split(":")  # :name:type:offset:magic:mask:interpreter:flags
    fields[6:8] = [str(unpacked / f"usr/bin/qemu-{ARCHES[arch].qemu_user}-static"), "PF"]
    (base / "binfmt").write_text(":".join(fields) + "\n")


# Under qemu-user every shell command of mkinitramfs is an emulated process: MODULES=most
# (a thousand modules, resolved one by one) took 7 minutes a run, and the kernel's
# installation runs it twice. The guest's initrd needs only what mounts its root.
_INITRAMFS_HOOK = """#!/bin/sh
case "$1" in prereqs) exit 0;; esac
. /usr/share/initramfs-tools/hook-functions
manual_add_modules virtio_pci virtio_blk ext4 crc32c_generic
"""


def _small_initramfs(root: Path) -> None:
    """An initrd with the modules this guest's root needs (virtio disk, ext4) only."""
    conf = root / "etc/initramfs-tools"
    (conf / "conf.d").mkdir(parents=True, exist_ok=True)
    (conf / "conf.d/kiosk-vm").write_text("MODULES=list\n")
    (conf / "hooks").mkdir(exist_ok=True)
    (conf / "hooks/kiosk-vm").write_text(_INITRAMFS_HOOK)
    (conf / "hooks/kiosk-vm").chmod(0o755)


def _second_stage(root: Path, arch: str) -> None:
    """debootstrap's second stage for a foreign root: its own binaries run through
    qemu-user (see _chroot)."""
    proc = root / "proc"
    if proc.is_symlink():  # debootstrap in a container links the host's /proc there
        proc.unlink()
        proc.mkdir()
    # In a user namespace nothing may mknod: as in an LXC container, debootstrap then
    # skips its device-node check and binds the nodes (/dev is the host's, bound in).
    _chroot(root, ["env", "DEBOOTSTRAP_DIR=/debootstrap", "container=lxc",
                   "/debootstrap/debootstrap", "--second-stage"], arch)


def _install_pi_packages(root: Path, checkout: Path, arch: str = ARCH) -> list[str]:
    """The Debian packages install-pi would install on this fresh root (its dry run)."""
    script = root / "tmp/install-pi-probe"
    _copy_checkout(checkout, script)
    try:
        out = _chroot(root, ["/tmp/install-pi-probe/scripts/install-pi", "--dry-run",
                             *INSTALL_PI_ARGS], arch).stdout
    finally:
        remove_tree(script)
    for line in out.splitlines():
        found = re.match(r"would run: env DEBIAN_FRONTEND=noninteractive apt-get install "
                         r"-y --no-install-recommends (.*)$", line)
        if found:
            return found.group(1).split()
    raise RuntimeError(f"install-pi's dry run names no packages to install:\n{out}")


# Every chroot runs in a mount namespace of its own, private: what is mounted for it
# (the machine's /proc, /sys and /dev, bound in) is never in the machine's mount table
# and goes with the command, so no delete of the root can ever reach the machine's /dev.
_PRIVATE_MOUNTS = ("unshare", "--mount", "--propagation", "private")
_CHROOT = """
for d in proc sys dev; do mount --bind "/$d" "$1/$d"; done
root=$1; shift
exec chroot "$root" "$@"
"""


def _chroot(root: Path, argv: list[str], arch: str = ARCH) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
           "DEBIAN_FRONTEND": "noninteractive"}
    if arch != ARCH:
        return _foreign_chroot(root, argv, env)
    return _run([*_PRIVATE_MOUNTS, "sh", "-ec", _CHROOT, "sh", str(root), *argv],
                " ".join(argv[:3]), env=env)


_IN_NAMESPACE = """
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
cat "$1/../binfmt" > /proc/sys/fs/binfmt_misc/register
for d in proc sys dev; do mount --rbind "/$d" "$1/$d"; done
root=$1; shift
exec chroot "$root" "$@"
"""


def _foreign_chroot(root: Path, argv: list[str], env: dict[str, str]
                    ) -> subprocess.CompletedProcess[str]:
    """chroot into a foreign root: its binaries run through qemu-user-static, registered
    as a binfmt handler in a user namespace of the command's own (Linux 6.7 and later), so
    the host's handlers and mounts stay as they were, and the namespace's go with it."""
    proc = subprocess.Popen(
        ["unshare", "--user", "--mount", "--propagation", "private", "sh", "-c",
         'read go && exec sh -c "$0" sh "$@" </dev/null', _IN_NAMESPACE, str(root), *argv],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    assert proc.stdin is not None
    ours = os.readlink("/proc/self/ns/user")
    deadline = time.monotonic() + 10
    while os.readlink(f"/proc/{proc.pid}/ns/user") == ours:  # until unshare has run
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("unshare --user did not make a user namespace")
        time.sleep(0.01)
    for name in ("uid_map", "gid_map"):  # root in there is root here, as are the others
        Path(f"/proc/{proc.pid}/{name}").write_text("0 0 65536\n")
    out, err = proc.communicate("go\n")
    what = " ".join(argv[:3])
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}):\n{out[-3000:]}\n{err[-3000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


# --- the data disk -------------------------------------------------------------------------


def _wheelhouse(checkout: Path, out: Path, arch: str = ARCH) -> None:
    """Every Python package install-pi needs, for `install-pi --wheels`: binary wheels
    where they exist, sources for evdev and systemd-python, which compile on the device
    as on a Pi, and the build tools their builds need offline."""
    out.mkdir()
    pip = [os.environ.get("PYTHON", "python3"), "-m", "pip", "download", "-q", "-d", str(out)]
    _run([*pip, "setuptools>=68", "wheel"], "pip download build tools")
    if arch != ARCH:
        _foreign_wheelhouse(checkout, pip, ARCHES[arch].wheel_platform)
        return
    _run([*pip, "--no-binary", "evdev,systemd-python", str(checkout)], "pip download")
    for leftover in out.glob("kiosk-*"):  # pip may save the checkout itself
        leftover.unlink()


def _foreign_wheelhouse(checkout: Path, pip: list[str], platform: str) -> None:
    """The same wheelhouse for another architecture: pip cannot resolve the checkout for
    a foreign platform, so its dependencies are read from pyproject.toml; the binary ones
    come as that platform's wheels, evdev and systemd-python as sources."""
    pyproject = tomllib.loads((checkout / "pyproject.toml").read_text())
    wanted = pyproject["project"]["dependencies"]
    built = [d for d in wanted if re.match(r"(evdev|systemd-python)\b", d)]
    assert len(built) == 2, wanted
    _run([*pip, "--no-deps", "--no-binary", ":all:", *built], "pip download sources")
    # pip matches --platform literally: every older manylinux tag the guest's glibc runs
    # is named too (pygame-ce's aarch64 wheel is manylinux2014 = manylinux_2_17).
    glibc, name = platform.removeprefix("manylinux_2_").split("_", 1)
    older = [f"manylinux_2_{minor}_{name}" for minor in range(int(glibc), 16, -1)]
    platforms = [arg for tag in (*older, f"manylinux2014_{name}") for arg in ("--platform", tag)]
    _run([*pip, "--only-binary", ":all:", *platforms, "--implementation", "cp",
          "--python-version", GUEST_PYTHON, "--abi", f"cp{GUEST_PYTHON.replace('.', '')}",
          *(d for d in wanted if d not in built)], f"pip download {platform} wheels")


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


def _run(argv: list[str], what: str, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False,
                          stdin=subprocess.DEVNULL, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}"
                           f"\n{proc.stderr[-3000:]}")
    return proc

