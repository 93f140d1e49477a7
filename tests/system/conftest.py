"""Fixtures for the system test: one guest machine and one API sandbox for the session.

The scenarios run in file order against the same machine, as an admin's day would: install,
boot, scan, unplug, reload, freeze, cut the power. They need root (debootstrap, chroot,
mounts), QEMU, debootstrap, socat, dpkg-dev and ansible-core, which `./scripts/system-test`
installs.

KIOSK_SYSTEM_ARCH=arm64 (`./scripts/system-test --arch arm64`) builds and boots an arm64
guest instead and runs the scenarios marked `arch("arm64")` (test_arm64.py); each
architecture has its own work and results directories, so both can run at once.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.sandbox import Sandbox
from tests.support.chroot import remove_tree
from tests.system.bench import Bench, Results
from tests.system.image import API_HOST, ARCH, ARCHES, build_guest
from tests.system.logserver import LogServer

ROOT = Path(__file__).resolve().parents[2]
GUEST_ARCH = os.environ.get("KIOSK_SYSTEM_ARCH", ARCH)
NEEDS = ("qemu-system-x86_64", "qemu-img", "debootstrap", "socat", "dpkg-scanpackages",
         "mkfs.ext4", "/lib/systemd/systemd-journal-remote", "ansible-playbook",
         "ssh-keygen")
# A foreign guest's root is built with qemu-user-static in a user namespace (image.py).
NEEDS_FOREIGN = ("unshare", "dpkg-deb")


def _results_dir() -> Path:
    """system-test-results/ARCH: one per architecture, so that two runs side by side
    (`./scripts/system-test --arch all`) never clear each other's."""
    return Path(os.environ.get("KIOSK_SYSTEM_RESULTS", ROOT / "system-test-results" / GUEST_ARCH))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "arch(name): the guest architecture a scenario runs on "
                                       "(default amd64; KIOSK_SYSTEM_ARCH picks one)")
    config.addinivalue_line("markers", "smoke: the few scenarios of a quick run (-m smoke)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Only the scenarios of this run's guest architecture."""
    def arch(item: pytest.Item) -> str:
        mark = item.get_closest_marker("arch")
        return str(mark.args[0]) if mark else ARCH

    other = [item for item in items if arch(item) != GUEST_ARCH]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if arch(item) == GUEST_ARCH]


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture(autouse=True)
def evidence_on_failure(request: pytest.FixtureRequest, results: Results) -> Iterator[None]:
    """A failed scenario leaves what an admin would look at first: the kiosk's journal of
    this boot and the previous one, `systemctl status`, and the screen (in CI nothing
    else survives the run)."""
    yield
    if not request.node.stash.get(_FAILED, False) or "bench" not in request.fixturenames:
        return
    bench: Bench = request.getfixturevalue("bench")
    if bench.machine.agent is None:
        return
    out = results.path.parent / f"failed-{request.node.name}"
    out.mkdir(exist_ok=True)
    for name, script in (
        ("journal.txt", "journalctl -u kiosk -b -o short-monotonic --no-pager | tail -300"),
        ("journal-previous-boot.txt", "journalctl -u kiosk -b -1 -o short-monotonic "
                                      "--no-pager 2>&1 | tail -300"),
        ("status.txt", "systemctl status kiosk --no-pager 2>&1"),
    ):
        try:
            (out / name).write_text(bench.sh(script, timeout=60, check=False))
        except Exception as exc:  # the guest may be what failed; keep what can be kept
            (out / name).write_text(f"could not read: {exc}\n")
    try:
        bench.machine.screendump(out / "screen.png")
    except Exception as exc:
        (out / "screen.txt").write_text(f"no screendump: {exc}\n")


@pytest.fixture(scope="session")
def results() -> Results:
    out = _results_dir()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    results = Results(out / "summary.json")
    results.set(arch=GUEST_ARCH)  # first, so that even a run that fails early says which
    return results


@pytest.fixture(scope="session")
def sandbox(results: Results) -> Iterator[Sandbox]:
    # Reached from the guest as https://10.0.2.100/ (QEMU forwards it here); its CA goes
    # into the guest's trust store, as a store's own CA would.
    tls = results.path.parent / "sandbox-tls"
    with Sandbox(host="127.0.0.1", port=0, names=[API_HOST], tls_dir=tls, rpm=600,
                 balance=5000.0) as sb:
        yield sb


@pytest.fixture(scope="session")
def logs(results: Results) -> Iterator[LogServer]:
    server = LogServer(results.path.parent / "log-server")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def bench(sandbox: Sandbox, logs: LogServer, results: Results) -> Iterator[Bench]:
    spec = ARCHES[GUEST_ARCH]
    needs = (spec.qemu, *NEEDS[1:], *(NEEDS_FOREIGN if spec.qemu_user else ()))
    missing = [tool for tool in needs if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing:
        pytest.skip(f"the system test needs root and {', '.join(missing) or 'its tools'} "
                    "(./scripts/system-test installs them)")
    work = Path(os.environ.get("KIOSK_SYSTEM_WORK", ROOT / ".system-test"))
    if GUEST_ARCH != ARCH:
        work = work / GUEST_ARCH
    cache = None if os.environ.get("CI") == "true" else work / "cache"
    run = work / "run"
    # KIOSK_SYSTEM_KEEP=1 (developers only, never CI): boot the machine the last run left,
    # kiosk installed, and skip the install, to iterate on later scenarios in minutes.
    keep = os.environ.get("KIOSK_SYSTEM_KEEP") == "1" and os.environ.get("CI") != "true"
    if not keep:
        remove_tree(run)  # without a cache it held the guest's root: never cross a mount
    assert sandbox.ca_file is not None
    started, wall = time.monotonic(), time.time()
    guest = build_guest(run, ROOT, sandbox.ca_file, sandbox.api_key, cache=cache,
                        keep_data=keep, arch=GUEST_ARCH)
    # The image's seconds: building it from scratch, or taking it from the cache.
    built = guest.root_image.with_name("done").stat().st_mtime >= wall
    results.set(guest_image_s=round(time.monotonic() - started, 1), guest_image_built=built)
    bench = Bench(guest, sandbox, logs, run, results, kept=keep)
    try:
        yield bench
    finally:
        bench.machine.shutdown(timeout=60)
