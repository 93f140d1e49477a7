"""One QEMU machine: boot it, type on its USB keyboard, feed its USB serial adapter,
unplug and replug them, capture its screen, and cut its power.

Software emulation only (`-accel tcg`): this host's /dev/kvm does not run guests. The
machine has what a kiosk Pi has, as QEMU models it:

- a virtio-gpu display with a KMS driver (/dev/dri/card0): pygame-ce's SDL opens it
  with its KMSDRM driver; QMP `screendump` reads back what was last presented;
- a USB keyboard on an xHCI controller (a HID barcode reader types like one) and a USB
  serial adapter (QEMU's usb-serial is an FTDI chip: /dev/ttyUSB0) whose other end is a
  unix socket here;
- one network, QEMU's user network with `restrict=on`: the guest reaches nothing but
  10.0.2.100:443, which `socat` connects to the API sandbox on the host; the host reaches
  the guest's ports named in `host_forwards` (SSH for Ansible, node_exporter) on loopback;
- the root disk as a qcow2 overlay over the cached image, so a power cut (SIGKILL of
  QEMU: the guest's page cache is lost, what it flushed is on the host's disk) hits a
  disk that persists from boot to boot.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.system.image import ARCHES, Guest
from tests.system.protocol import AgentError, GuestAgent, Qmp

__all__ = ["Machine"]

KEYBOARD_ID = "scanner-kbd"
SERIAL_ID = "scanner-serial"
# Between two key events: QEMU's USB keyboard queues 16 events, and a guest starved by a
# loaded host (two machines on two cores) can poll it late; 0.02 s lost keys mid-code.
KEY_PACE_S = 0.05
# The two scanners, as -device / device_add take them. A fixed USB serial number, as a
# real reader has, so its /dev/…/by-id link is the same after a replug (QEMU's default
# serial number names the port, and a replugged device gets the next port).
_USB = {
    KEYBOARD_ID: f"usb-kbd,id={KEYBOARD_ID},bus=xhci.0,serial=HIDSCANNER01",
    SERIAL_ID: f"usb-serial,id={SERIAL_ID},chardev=usbserial,bus=xhci.0,serial=SERSCANNER01",
}
# QMP qcodes for what a barcode reader types: digits and Enter, and the lower-case
# letters, space and the few signs of a shell command a 2D code could carry.
_QCODES = {**{str(d): str(d) for d in range(10)}, **{c: c for c in "abcdefghijklmnopqrstuvwxyz"},
           "\n": "ret", " ": "spc", "/": "slash", ".": "dot", "-": "minus"}


class Machine:
    def __init__(self, guest: Guest, run_dir: Path, forwards: dict[str, int], *,
                 host_forwards: dict[int, int] | None = None,
                 memory_mb: int = 1024, cpus: int = 2) -> None:
        """`forwards`: the guest's only network, "address:port" it connects to -> the
        host's loopback port that answers (the API sandbox, the log server).
        `host_forwards`: the other way, a host loopback port -> the guest's port."""
        self.guest = guest
        self.dir = run_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.forwards = forwards
        self.host_forwards = host_forwards or {}
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.slowness = ARCHES[guest.arch].slowness  # every timeout here is scaled by it
        self.disk = self.dir / "root.qcow2"
        self.qmp_path = self.dir / "qmp.sock"
        self.agent_path = self.dir / "agent.sock"
        self.serial_path = self.dir / "usb-serial.sock"
        self.console_log = self.dir / "console.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.qmp: Qmp | None = None
        self.agent: GuestAgent | None = None
        self._serial: socket.socket | None = None
        self.started_at = 0.0
        self.boots = 0
        # Added to the kernel command line at the next power-on (e.g. a driver held back).
        self.kernel_args: list[str] = []
        if not self.disk.exists():
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                            str(guest.root_image), str(self.disk)], check=True)

    # --- power ---------------------------------------------------------------------------

    def power_on(self) -> None:
        for path in (self.qmp_path, self.agent_path, self.serial_path):
            path.unlink(missing_ok=True)
        relay = shutil.which("socat")
        if relay is None:
            raise FileNotFoundError("socat is not installed (scripts/system-test installs it)")
        forward = ",".join(f"guestfwd=tcp:{guest_end}-cmd:{relay} - TCP:127.0.0.1:{port}"
                           for guest_end, port in self.forwards.items())
        # restrict=on keeps the guest from going out; hostfwd lets the host come in.
        forward += "".join(f",hostfwd=tcp:127.0.0.1:{host}-:{guest}"
                           for host, guest in self.host_forwards.items())
        arch = ARCHES[self.guest.arch]
        argv = [
            arch.qemu, "-machine", arch.machine, "-accel", "tcg,thread=multi",
            "-cpu", arch.cpu, "-smp", str(self.cpus), "-m", str(self.memory_mb),
            "-nodefaults", "-no-user-config", "-no-reboot",
            "-kernel", str(self.guest.kernel), "-initrd", str(self.guest.initrd),
            "-append", " ".join([f"root=/dev/vda rw console={arch.console} quiet",
                                 *self.kernel_args]),
            "-drive", f"file={self.disk},if=virtio,format=qcow2,cache=writeback",
            "-drive", f"file={self.guest.data_image},if=virtio,format=raw,readonly=on",
            "-netdev", f"user,id=net0,restrict=on,{forward}",
            "-device", "virtio-net-pci,netdev=net0",
            "-device", "virtio-serial",
            "-chardev", f"socket,id=agent,path={self.agent_path},server=on,wait=off",
            "-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-serial", f"file:{self.console_log}",
            "-device", "virtio-gpu-pci", "-vga", "none", "-display", "none",
            "-device", "qemu-xhci,id=xhci",
            "-device", _USB[KEYBOARD_ID],
            "-chardev", f"socket,id=usbserial,path={self.serial_path},server=on,wait=off",
            "-device", _USB[SERIAL_ID],
            *arch.devices,
        ]
        with open(self.dir / "qemu.log", "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()
        self.boots += 1
        self.qmp = _wait(lambda: Qmp(self.qmp_path), 30, "QMP", self.proc)
        self._connect_serial()

    def _connect_serial(self) -> None:
        # QEMU attaches its usb-serial device to the bus only while something holds the
        # other end of its chardev: the host's end is the adapter's cable.
        assert self.proc is not None
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            _wait(lambda: conn.connect(str(self.serial_path)) or True, 30, "the USB serial end",
                  self.proc)
        except BaseException:
            conn.close()
            raise
        self._serial = conn

    def wait_agent(self, timeout: float = 300) -> float:
        """Seconds from power-on until the guest agent answers (the OS is up)."""
        assert self.proc is not None

        def connect() -> GuestAgent:
            agent = GuestAgent(self.agent_path, timeout=10)
            try:
                agent.sync(timeout=3)
            except (OSError, TimeoutError, EOFError):
                agent.close()
                raise
            return agent

        self.agent = _wait(connect, timeout * self.slowness, "the guest agent", self.proc)
        return time.monotonic() - self.started_at

    def power_cut(self) -> None:
        """Pull the plug: SIGKILL QEMU. Nothing in the guest gets to flush anything."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._forget()

    def shutdown(self, timeout: float = 120) -> None:
        """An orderly poweroff (systemd stops the kiosk first), else the plug."""
        if self.proc is None or self.proc.poll() is not None:
            self._forget()
            return
        with contextlib.suppress(AgentError, OSError, EOFError, TimeoutError):
            assert self.agent is not None
            # Not the agent's guest-shutdown: it runs `shutdown +0`, which systemd hands to
            # logind, and a minimal Debian has no dbus, so no logind: nothing happened.
            self.agent.command("guest-exec", path="/bin/systemctl",
                               arg=["poweroff", "--no-block"], timeout=5)
        try:
            self.proc.wait(timeout=timeout * self.slowness)
        except subprocess.TimeoutExpired:
            self.power_cut()
        self._forget()

    def _forget(self) -> None:
        for conn in (self.qmp, self.agent, self._serial):
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
        self.qmp = self.agent = None
        self._serial = None

    # --- inside the guest ------------------------------------------------------------------

    def sh(self, script: str, *, timeout: float = 300, check: bool = True) -> str:
        assert self.agent is not None, "the guest agent is not connected"
        result = self.agent.sh(script, timeout=timeout * self.slowness)
        if check:
            result.check(script[:200])
        return result.stdout

    # --- the scanners ----------------------------------------------------------------------

    def type_keys(self, text: str) -> None:
        """Type `text` on the USB keyboard as a barcode reader does (digits, Enter)."""
        assert self.qmp is not None
        events: list[dict[str, Any]] = []
        for char in text:
            key = {"type": "qcode", "data": _QCODES[char]}
            events.append({"type": "key", "data": {"down": True, "key": key}})
            events.append({"type": "key", "data": {"down": False, "key": key}})
        # No `device`: QMP routes to the machine's keyboard, and this machine has one only
        # (naming it needs a display console bound to it, which a headless machine lacks).
        # One key at a time, paced like a reader: QEMU's USB keyboard queues 16 events and
        # the guest polls it every 8 ms, so a burst would overflow it and lose keys.
        for start in range(0, len(events), 2):
            self.qmp.command("input-send-event", events=events[start:start + 2])
            time.sleep(KEY_PACE_S)

    def serial_write(self, data: bytes) -> None:
        """Write into the host end of the USB serial adapter."""
        assert self._serial is not None, "the USB serial adapter is unplugged"
        self._serial.sendall(data)

    def unplug(self, device_id: str) -> None:
        assert self.qmp is not None
        self.qmp.command("device_del", id=device_id)
        deadline = time.monotonic() + 60
        while not any(e.get("event") == "DEVICE_DELETED"
                      and e.get("data", {}).get("device") == device_id for e in self.qmp.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{device_id} was not unplugged")
            self.qmp.command("query-status")  # collects events that arrived meanwhile
            time.sleep(0.2)
        self.qmp.events.clear()

    def plug(self, device_id: str) -> None:
        assert self.qmp is not None
        driver, *props = _USB[device_id].split(",")
        self.qmp.command("device_add", driver=driver,
                         **dict(prop.split("=", 1) for prop in props))

    # --- the screen ------------------------------------------------------------------------

    def screendump(self, png: Path) -> Path:
        """What the display scans out now, as a PNG."""
        assert self.qmp is not None
        ppm = png.with_suffix(".ppm")
        self.qmp.command("screendump", filename=str(ppm))
        _ppm_to_png(ppm, png)
        ppm.unlink()
        return png


def _ppm_to_png(ppm: Path, png: Path) -> None:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame  # the host's pygame-ce reads PPM and writes PNG

    pygame.image.save(pygame.image.load(str(ppm)), str(png))


def _wait(make: Any, timeout: float, what: str, proc: subprocess.Popen[bytes]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return make()
        except (OSError, TimeoutError, EOFError, ValueError):
            if proc.poll() is not None:
                raise RuntimeError(f"QEMU exited ({proc.returncode}) before {what} answered"
                                   ) from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not answer within {timeout:.0f} s") from None
            time.sleep(0.5)
