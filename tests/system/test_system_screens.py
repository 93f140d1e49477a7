"""The store's screen and console, on the same machine after the admin's day of
test_system.py: a console a scanner could type into, the hardware watchdog, an HDMI
cable pulled and the whole GPU gone, a portrait panel, a start that fails again and
again, and a boot with no screen at all.

Each scenario leaves the machine as the next expects: the kiosk running, landscape, the
screen connected. The last one reboots with the display driver held back.
"""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.sandbox import Sandbox
from tests.system.bench import Bench
from tests.system.test_system import (
    CEREAL,
    FISH,
    colours,
    differing_pixels,
    products,
    scan_hid,
)

pytestmark = pytest.mark.system

DRM = "/sys/class/drm"
# The kiosk's lines about its screen: "no display: Virtual-1 disconnected; …" when it
# goes, "display Virtual-1 connected: 1280x800 via KMSDRM, rotation 0" when it is opened.
GONE = re.compile(r"^no display: ")
OPENED = re.compile(r"^display \S+ connected: ")
# Reads the USB keyboard's events beside whoever else reads them (no grab) and says when
# Enter went down: from then on every key typed before it has reached the kernel, and
# with it any terminal that reads that keyboard.
KEY_WATCH = r"""
import glob, os, select, struct, sys, time
dev = sorted(glob.glob('/dev/input/by-id/*QEMU*Keyboard*-event-kbd'))[0]
fd = os.open(dev, os.O_RDONLY)
print('open', flush=True)
size = struct.calcsize('llHHi')
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    if not select.select([fd], [], [], 1)[0]:
        continue
    data = os.read(fd, size * 64)
    for off in range(0, len(data) - size + 1, size):
        _, _, kind, code, value = struct.unpack_from('llHHi', data, off)
        if (kind, code, value) == (1, 28, 1):
            print('enter', flush=True)
            sys.exit(0)
sys.exit(1)
"""
PWNED = "/tmp/pwned"


def type_command_at_console(bench: Bench, command: str) -> None:
    """Type `command` and Enter on the USB keyboard, as a 2D code could carry it, and
    return once the kernel has every key of it."""
    out = "/run/key-watch.out"
    bench.sh(f"rm -f {out}; setsid python3 -c {shlex.quote(KEY_WATCH)} >{out} 2>&1 "
             "</dev/null &")
    bench.wait(lambda: "open" in bench.sh(f"cat {out}", check=False), 60, "the key watch")
    bench.machine.type_keys(command + "\n")
    bench.wait(lambda: "enter" in bench.sh(f"cat {out}", check=False), 120,
               "the typed Enter to reach the kernel")


def shell_on_tty1(bench: Bench) -> str:
    """The processes that have tty1 as their terminal (a getty, a login shell)."""
    return bench.sh("ps -t tty1 -o pid=,comm= || true").strip()


def connector(bench: Bench) -> str:
    """The virtio-gpu's connector directory, whatever card number it has now."""
    found = bench.sh(f"ls -d {DRM}/card*-Virtual-* 2>/dev/null || true").split()
    assert found, bench.sh(f"ls {DRM}", check=False)
    return found[0]


def restarts(bench: Bench) -> int:
    return int(bench.unit("NRestarts")["NRestarts"])


def display_lines(bench: Bench, kind: re.Pattern[str]) -> list[dict[str, Any]]:
    """The kiosk's journal lines (after the mark) of one kind about its display."""
    return [e for e in bench.journal() if kind.search(str(e.get("MESSAGE", "")))]


def screen_shows(bench: Bench, name: str, unlike: Path | None = None) -> Path | None:
    """A screendump once it shows a drawn screen (not a blank or black buffer; unlike
    `unlike` by a fifth of the screen when given), else None."""
    png = bench.machine.screendump(bench.screens / name)
    if colours(png) <= 3:
        return None
    if unlike is not None and differing_pixels(unlike, png) < 0.2:
        return None
    return png


# --- the console -------------------------------------------------------------------------


def test_a_scanner_typing_while_the_kiosk_is_stopped_reaches_no_shell(bench: Bench) -> None:
    """The image had raspi-config's Console Autologin on tty1 (test_system's install
    scenario proved that a typed `touch` ran there); install-pi took the console.
    With the kiosk stopped, a code carrying a command and Enter is typed: nothing runs,
    and nothing on tty1 could have run it."""
    bench.ensure_running()
    assert bench.sh("systemctl is-enabled getty@tty1 || true").strip() == "masked"
    bench.sh(f"systemctl stop kiosk && rm -f {PWNED}")
    try:
        type_command_at_console(bench, f"touch {PWNED}")
        ttys = shell_on_tty1(bench)
        assert ttys == "", f"something reads tty1: {ttys}"
        assert bench.sh(f"test -e {PWNED} && echo yes || echo no").strip() == "no"
    finally:
        bench.sh("systemctl start kiosk")
    bench.wait_ready()
    bench.results.set(console_injection_blocked=True)


def test_systemd_holds_the_hardware_watchdog(bench: Bench) -> None:
    """install-pi's RuntimeWatchdogSec=: PID 1 keeps the board's watchdog (here QEMU's
    i6300esb) armed, so a hung kernel or systemd reboots the kiosk without a person."""
    configured = bench.sh("systemctl show -p RuntimeWatchdogUSec --value").strip()
    state = bench.sh("cat /sys/class/watchdog/watchdog0/state").strip()
    timeout = int(bench.sh("cat /sys/class/watchdog/watchdog0/timeout"))
    assert (configured, state, timeout) == ("15s", "active", 15)
    assert bench.machine.qmp is not None
    fired = [e for e in bench.machine.qmp.events if e.get("event") == "WATCHDOG"]
    bench.results.set(hw_watchdog_armed=True, hw_watchdog_fired=len(fired))


# --- the screen goes away and comes back -----------------------------------------------------


def test_the_screen_unplugged_and_back_without_a_restart(bench: Bench) -> None:
    """A cleaner pulls the HDMI cable (the connector forced off, as an unplug leaves it):
    the kiosk says so once, keeps scanning, and shows the current screen when the cable
    is back; the same process throughout."""
    bench.ensure_running()
    pid, before = bench.unit("MainPID")["MainPID"], restarts(bench)
    idle = bench.machine.screendump(bench.screens / "idle-before-unplug.png")
    status = f"{connector(bench)}/status"
    bench.mark_journal()
    bench.sh(f"echo off > {status}")
    bench.wait(lambda: display_lines(bench, GONE), 120, "the kiosk to see it gone")
    bench.wait(lambda: "no display" in bench.unit("StatusText")["StatusText"], 60,
               "STATUS= to say so")
    code = products(bench.sandbox, 4)[3]
    scan_hid(bench, code)
    bench.wait_scan(code, "shown", "cached")
    bench.sh(f"echo detect > {status}")
    bench.wait(lambda: screen_shows(bench, "card-after-replug.png", unlike=idle), 180,
               "the scanned card on the screen again")
    assert len(display_lines(bench, GONE)) == 1  # said once, not per poll
    assert bench.unit("MainPID")["MainPID"] == pid
    bench.results.set(display_unplug_restarts=restarts(bench) - before)
    assert restarts(bench) == before


def test_the_whole_gpu_removed_and_back(bench: Bench) -> None:
    """Harsher: the GPU's PCI device removed, then found again by a rescan (a new card
    number, maybe). The kiosk goes on without it and opens the new one."""
    bench.ensure_running()
    before = restarts(bench)
    device = bench.sh(f"readlink -f {connector(bench)}/../device").strip()
    pci = device if Path(device).name.startswith("0000:") else str(Path(device).parent)
    assert Path(pci).name.startswith("0000:"), device
    bench.mark_journal()
    bench.sh(f"echo 1 > {pci}/remove")
    bench.wait(lambda: not bench.sh(f"ls -d {DRM}/card*-* 2>/dev/null || true").strip(), 120,
               "the GPU to be gone")
    bench.wait(lambda: display_lines(bench, GONE), 120, "the kiosk to see it gone")
    bench.sh("echo 1 > /sys/bus/pci/rescan")
    bench.wait(lambda: display_lines(bench, OPENED), 180, "the kiosk to open the screen")
    code = products(bench.sandbox, 5)[4]
    scan_hid(bench, code)
    bench.wait_scan(code, "shown", "cached")
    bench.wait(lambda: screen_shows(bench, "card-after-gpu-rescan.png"), 120, "a card on screen")
    removed_restarts = restarts(bench) - before
    bench.results.set(display_removed_restarts=removed_restarts)
    assert removed_restarts == 0


# --- a portrait panel ---------------------------------------------------------------------------


def test_a_portrait_panel_shows_the_layout_turned(bench: Bench) -> None:
    """display.rotation = 90: the idle screen laid out for the panel standing up, the
    frame turned before it is shown. Compared with the same screen drawn on the host at
    the portrait size and turned the same way."""
    import pygame
    import pygame.image

    from kiosk.display import Idle
    from kiosk.display.text import FontMeasure
    from kiosk.sandbox.gallery import render_png

    bench.ensure_running()
    try:
        bench.configure(display={"rotation": 90})
        bench.sh("systemctl restart kiosk")
        bench.wait_ready()
        shown = bench.wait(lambda: screen_shows(bench, "idle-rotated-90.png"), 120,
                           "the turned idle screen")
    finally:
        bench.configure(display={"rotation": 0})
        bench.sh("systemctl restart kiosk")
    bench.wait_ready()
    physical = pygame.image.load(str(shown)).get_size()
    portrait = (physical[1], physical[0])
    drawn = bench.screens / "idle-portrait-host.png"
    render_png(Idle("System test store", None, "below"), portrait, "shopper", drawn,
               measure=FontMeasure(None))
    turned = {}
    # rotation = 90: the panel is turned clockwise, so the picture is turned back,
    # counter-clockwise (pygame's positive angle); and, to compare, the wrong way.
    for angle in (90, -90):
        path = bench.screens / f"idle-portrait-host-turned{angle:+d}.png"
        pygame.image.save(pygame.transform.rotate(pygame.image.load(str(drawn)), angle),
                          str(path))
        turned[angle] = differing_pixels(path, shown)
    bench.results.set(rotation_differs=round(turned[90], 3),
                      rotation_wrong_way_differs=round(turned[-90], 3))
    assert turned[90] < 0.05 and turned[90] < turned[-90] / 2, turned
    bench.results.set(rotation_ok=True)


# --- a start that fails again and again ------------------------------------------------------


def test_a_start_failing_many_times_recovers_once_its_cause_is_gone(bench: Bench) -> None:
    """The API key file goes missing (a botched roll-out): every start fails, more often
    than the old start limit allowed (10 in 300 s, then `failed` until a person came).
    The file restored, the kiosk is scanning again by itself."""
    bench.ensure_running()
    before = restarts(bench)
    bench.mark_journal()
    bench.sh("mv /etc/kiosk/api_key /root/api_key.away && "
             "systemctl restart --no-block kiosk")
    try:
        bench.wait(lambda: restarts(bench) >= before + 11, 600,
                   "eleven failed starts in a row")
        state = bench.unit("ActiveState", "Result")
        assert state["ActiveState"] != "failed", state
        limited = bench.sh("journalctl -u kiosk -b --no-pager | "
                           "grep -c 'Start request repeated too quickly' || true")
        assert int(limited.strip() or 0) == 0
    finally:
        bench.sh("mv /root/api_key.away /etc/kiosk/api_key")
    bench.wait_ready(timeout=600)
    scan_hid(bench, FISH)
    bench.wait_scan(FISH, "shown", "cached")
    bench.results.set(start_limit_recovered=True,
                      start_limit_failed_starts=restarts(bench) - before)


# --- no screen at boot -------------------------------------------------------------------------


def test_no_screen_at_boot_then_one(bench: Bench, sandbox: Sandbox) -> None:
    """The TV is switched on after the Pi: the display driver held back at boot
    (modprobe.blacklist=virtio_gpu), the kiosk reaches READY, looks up and journals a
    scan; the driver loaded, the next scan's card is on the screen."""
    bench.mark_journal()  # the cursor holds across the reboot: the journal is persistent
    bench.machine.shutdown()
    bench.machine.kernel_args = ["modprobe.blacklist=virtio_gpu"]
    try:
        bench.boot()
    finally:
        bench.machine.kernel_args = []
    unit = bench.wait_ready()
    assert bench.sh(f"ls {DRM} | grep -c '^card' || true").strip() == "0"
    assert "no display" in unit["StatusText"], unit
    code = products(sandbox, 6)[5]
    scan_hid(bench, code)
    bench.wait_scan(code, "shown", "cached")
    loaded = time.monotonic()
    bench.sh("modprobe virtio_gpu")
    bench.wait(lambda: display_lines(bench, OPENED), 180, "the kiosk to open the screen")
    idle = bench.wait(lambda: screen_shows(bench, "idle-after-hotadd.png"), 120,
                      "the screen drawn")
    scan_hid(bench, CEREAL)
    bench.wait_scan(CEREAL, "shown", "cached")
    bench.wait(lambda: screen_shows(bench, "card-after-hotadd.png", unlike=idle), 120,
               "the card on the screen")
    card_s = time.monotonic() - loaded
    said = [e for e in display_lines(bench, GONE) if e.get("_PID") == unit["MainPID"]]
    assert len(said) == 1, said  # said once by this kiosk, not per poll
    assert restarts(bench) == 0
    bench.results.set(display_absent_ready=True, display_hotadd_card_s=round(card_s, 1))
