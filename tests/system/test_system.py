"""The kiosk on a real operating system: a Debian 12 machine under QEMU with systemd as
PID 1, udev, a USB keyboard scanner, a USB serial scanner, a KMS screen and a power switch.

The scenarios run in order on one machine, each leaving it as the next expects; every
figure goes to system-test-results/amd64/summary.json as soon as it is known.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.sandbox import Sandbox
from kiosk.sandbox.faults import Fault
from tests.barcodes import CEREAL, FISH
from tests.system.bench import (
    API_BASE_URL,
    CONFIG,
    INSTALLED_CONFIG,
    KIOSK,
    LANE,
    STORE,
    Bench,
    inventory_vars,
    prepare_commands,
)
from tests.system.machine import KEYBOARD_ID, SERIAL_ID

pytestmark = pytest.mark.system


RNG = random.Random(20261201)
BENCH_PARTS = Path(__file__).resolve().parents[2] / "scripts" / "bench_parts"
# llvmpipe, the software renderer Mesa falls back to on QEMU's virtio-gpu, compiles code at
# run time, which the shipped unit's MemoryDenyWriteExecute=yes forbids; a Pi's V3D GPU
# needs no such thing. softpipe draws the same without a JIT. Only the VM gets this.
VM_ONLY_DROPIN = "[Service]\nEnvironment=GALLIUM_DRIVER=softpipe\n"
STORE_STATE = r"""
import json, sqlite3
def rows(path, sql):
    con = sqlite3.connect('file:' + path + '?mode=ro', uri=True)
    try:
        return con.execute('PRAGMA integrity_check').fetchone()[0], [r[0] for r in con.execute(sql)]
    finally:
        con.close()
q_ok, queued = rows('/var/lib/kiosk/kiosk.db', 'SELECT barcode FROM queue ORDER BY seq')
c_ok, cached = rows('/var/cache/kiosk/cache.db', 'SELECT barcode FROM products')
try:  # answers paid for and not yet in the cache (the table comes with the first one)
    _, paid = rows('/var/lib/kiosk/kiosk.db', 'SELECT barcode FROM paid WHERE cached_at IS NULL')
except sqlite3.OperationalError:
    paid = []
print(json.dumps({'queue_integrity': q_ok, 'cache_integrity': c_ok, 'queued': queued,
                  'cached': cached, 'paid': paid}))
"""


def products(sandbox: Sandbox, n: int, *, skip: tuple[str, ...] = (CEREAL, FISH)) -> list[str]:
    codes = [b for b, p in sorted(sandbox.catalog.items())
             if p["image_meta"].get("front") and b not in skip]
    assert len(codes) >= n
    return codes[:n]


def store_state(bench: Bench) -> dict[str, Any]:
    return dict(json.loads(bench.sh(f"python3 -c {shlex.quote(STORE_STATE)}")))


def lookups_of(sandbox: Sandbox, code: str) -> int:
    return sum(1 for e in sandbox.charges_for(code) if e.path.endswith(f"/products/{code}"))


def scan_hid(bench: Bench, code: str) -> None:
    bench.machine.type_keys(code + "\n")


def differing_pixels(a: Path, b: Path) -> float:
    import pygame

    one, two = pygame.image.load(str(a)), pygame.image.load(str(b))
    assert one.get_size() == two.get_size()
    w, h = one.get_size()
    step = 8
    samples = [(x, y) for x in range(0, w, step) for y in range(0, h, step)]
    changed = sum(1 for p in samples if one.get_at(p) != two.get_at(p))
    return changed / len(samples)


def colours(png: Path) -> int:
    import pygame

    image = pygame.image.load(str(png))
    w, h = image.get_size()
    return len({tuple(image.get_at((x, y))) for x in range(0, w, 16) for y in range(0, h, 16)})


# --- 0. install ----------------------------------------------------------------------------

# A desktop's display manager, as far as the kiosk is concerned: started by
# graphical.target, it opens the screen's DRM card and so holds DRM master, as a
# compositor does. (Root opening a card nobody holds becomes its master.)
STAND_IN_DESKTOP = """[Unit]
Description=Stand-in desktop: holds the screen as a compositor does
[Service]
ExecStart=/usr/bin/python3 /usr/local/bin/stand-in-desktop
[Install]
WantedBy=graphical.target
Alias=display-manager.service
"""
STAND_IN_COMPOSITOR = """import glob, os, time
while not glob.glob("/dev/dri/card*"):
    time.sleep(0.5)
held = [os.open(card, os.O_RDWR) for card in glob.glob("/dev/dri/card*")]
time.sleep(10**9)
"""
# raspi-config's "Console Autologin" (B2), which many kiosk images are made with.
CONSOLE_AUTOLOGIN = ("[Service]\nExecStart=\n"
                     "ExecStart=-/sbin/agetty --autologin root --noclear %I $TERM\n")


def make_it_a_desktop_with_console_autologin(bench: Bench) -> None:
    """The image a store flashed: Raspberry Pi OS with Desktop (graphical.target, a
    display manager holding the screen) and a root shell logged in on tty1. Proved: a
    command typed on the keyboard, as a 2D code could carry it, runs there."""
    agent = bench.machine.agent
    assert agent is not None
    agent.write_file("/usr/local/bin/stand-in-desktop", STAND_IN_COMPOSITOR.encode())
    agent.write_file("/etc/systemd/system/stand-in-desktop.service", STAND_IN_DESKTOP.encode())
    bench.sh("mkdir -p /etc/systemd/system/getty@tty1.service.d")
    agent.write_file("/etc/systemd/system/getty@tty1.service.d/autologin.conf",
                     CONSOLE_AUTOLOGIN.encode())
    bench.sh("systemctl daemon-reload && systemctl enable --now stand-in-desktop && "
             "systemctl set-default graphical.target && systemctl restart getty@tty1 && "
             "rm -f /tmp/pwned")
    bench.wait(lambda: "bash" in bench.sh("ps -t tty1 -o comm= || true"), 120,
               "the autologin shell on tty1")
    bench.machine.type_keys("touch /tmp/pwned\n")
    bench.wait(lambda: bench.sh("test -e /tmp/pwned && echo yes || echo no").strip() == "yes",
               60, "the typed command to run in the autologin shell")
    bench.sh("rm /tmp/pwned")


def test_install_pi_on_a_fresh_machine(bench: Bench, sandbox: Sandbox) -> None:
    """The roll-out as a chain runs it: deploy/ansible/kiosk.yml from the host over SSH,
    the key from an Ansible Vault, install-pi doing the steps on the guest; run again, it
    changes nothing."""
    if bench.kept:
        pytest.skip("KIOSK_SYSTEM_KEEP=1: the kept machine has the kiosk installed")
    agent_s = bench.boot()
    assert bench.machine.agent is not None
    bench.sh(prepare_commands())
    # The admin's key in root's authorized_keys, as Raspberry Pi Imager puts it on the card.
    bench.machine.agent.write_file("/root/.ssh/authorized_keys", bench.playbook.public_key)
    bench.sh("chmod 700 /root/.ssh && chmod 600 /root/.ssh/authorized_keys")
    bench.wait(bench.ssh_answers, 120, "the guest's sshd")
    make_it_a_desktop_with_console_autologin(bench)
    host_vars = inventory_vars(sandbox.client_id, bench.logs.tls.ca_cert)
    first = bench.playbook.run(host_vars)
    out = first.output
    assert first.recap["failed"] == 0 and first.recap["changed"] >= 1, first.recap
    assert "install-pi: done, " in out and "nothing to change" not in out
    assert sandbox.api_key not in out  # the vault's key is never logged
    key_file = bench.sh("stat -c '%a %U' /etc/kiosk/api_key").split()
    assert key_file == ["600", "kiosk"]
    assert bench.sh("cat /etc/kiosk/api_key").strip() == sandbox.api_key
    # Nothing the kiosk needs came with the image: it is all install-pi's doing.
    listed = bench.sh("dpkg-query -W -f='${Package}\\n'").split()
    assert "libgl1-mesa-dri" in listed and "python3" in listed
    bench.sh("mkdir -p /etc/systemd/system/kiosk.service.d && "
             f"printf {shlex.quote(VM_ONLY_DROPIN)} > "
             "/etc/systemd/system/kiosk.service.d/vm-gpu.conf")
    keyboard = bench.sh("ls /dev/input/by-id/ | grep -m1 'QEMU.*Keyboard.*-event-kbd'").strip()
    # The emulated CPU is 20-30 times slower than a Pi: its USB polling can leave more than
    # the default 50 ms between two keys of one scan, so allow more silence inside a scan.
    bench.configure(api={"base_url": API_BASE_URL},
                    scanner={"kind": "hid", "device": f"/dev/input/by-id/{keyboard}",
                             "inter_key_timeout_ms": 300},
                    display={"mode": "shopper", "store_name": "System test store"})
    bench.sh(f"{KIOSK} check-config --key --config {CONFIG} && cp {CONFIG} {INSTALLED_CONFIG}")
    assert f'store = "{STORE}"' in bench.sh(f"cat {CONFIG}")
    # The same playbook again, over the harness's edits: install-pi finds its steps done
    # and keeps the edited configuration; Ansible reports no change.
    second = bench.playbook.run(host_vars)
    assert "install-pi: done, nothing to change" in second.output, second.output[-3000:]
    assert bench.sh(f"cat {CONFIG}") == bench.sh(f"cat {INSTALLED_CONFIG}")
    # The store's image came as a Desktop; install-pi made it a kiosk (the next scenario
    # boots it, and the card on its screen says the desktop no longer holds it).
    assert bench.sh("systemctl get-default").strip() == "multi-user.target"
    assert bench.sh("systemctl is-enabled stand-in-desktop || true").strip() == "disabled"
    bench.results.set(first_boot_agent_s=round(agent_s, 1), install_s=round(first.seconds, 1),
                      ansible_second_run_s=round(second.seconds, 1),
                      ansible_second_run_changed=second.recap["changed"],
                      packages_installed_by_install_pi=len(bench.machine.guest.packages))
    assert second.recap["changed"] == 0, second.recap


# --- 1. boot to READY ------------------------------------------------------------------------


def test_boot_reaches_ready_and_systemd_knows_its_status(bench: Bench) -> None:
    bench.machine.shutdown()
    bench.boot()
    unit = bench.wait_ready()
    boot_to_ready = int(unit["ActiveEnterTimestampMonotonic"]) / 1e6  # since the kernel began
    # READY comes first; the status turns "online" once the API has answered.
    online = bench.wait(lambda: "online" in (text := bench.unit("StatusText")["StatusText"])
                        and text, 120, "online")
    status = bench.sh("systemctl status kiosk --no-pager --lines=0", check=False)
    assert re.search(r"Status: \"online · queue \d+ · [0-9.]+ credits", status), status
    exposure_out = bench.sh("systemd-analyze security kiosk.service --no-pager", check=False)
    found = re.search(r"Overall exposure level for kiosk\.service: ([0-9.]+)", exposure_out)
    assert found, exposure_out[-500:]
    exposure = float(found.group(1))
    assert exposure <= 1.5
    bench.wait_message("kiosk ready", timeout=60)
    bench.results.set(boot_to_ready_s=round(boot_to_ready, 1), exposure=exposure,
                      status_line=online)


# --- 2, 3. the HID scanner on the KMS screen ----------------------------------------------


def test_hid_scan_is_drawn_on_the_kms_screen_and_the_kiosk_holds_the_grab(
        bench: Bench) -> None:
    drm = bench.sh("ls /dev/dri/")
    assert "card0" in drm
    idle = bench.machine.screendump(bench.screens / "idle.png")
    assert colours(idle) > 3  # the attract screen, not a black or blank buffer
    bench.mark_journal()
    scan_hid(bench, CEREAL)
    entry = bench.wait_scan(CEREAL, "shown", "cached")  # cached on a kept machine
    assert entry["SOURCE"].startswith("/dev/input/by-id/")  # the HID reader, by its link
    # One entry: SDL, which reads the keyboards itself on KMS/DRM, did not make a second.
    assert len(bench.journal("KIOSK_EVENT=scan", f"BARCODE={CEREAL}")) == 1
    # The card is drawn once the entry is written (the entry follows the paint).
    card = bench.machine.screendump(bench.screens / "card-hid.png")
    changed = differing_pixels(idle, card)
    assert changed > 0.2, f"only {changed:.0%} of the screen changed"
    console = bench.sh("cat /dev/vcs1")
    assert CEREAL not in console  # grabbed: the digits never reached the getty
    info = bench.sh("cat /sys/class/drm/card0-*/modes | head -1").strip()
    # The image was a Desktop: its display manager, which would hold the screen, is off.
    assert bench.sh("systemctl is-active stand-in-desktop || true").strip() == "inactive"
    bench.results.set(desktop_handled=True)
    bench.results.set(hid_scans_shown=1, scan_to_card_ms_hid=float(entry["LATENCY_MS"]),
                      screen_mode=info, screen_changed_fraction=round(changed, 2),
                      screens=[str(p) for p in sorted(bench.screens.glob("*.png"))])


# --- 4, 5. the serial scanner, reload, hotplug ------------------------------------------


def test_reload_to_a_serial_scanner_then_scan(bench: Bench) -> None:
    port = bench.sh("ls /dev/serial/by-id/ | grep -m1 -i 'usb_serial.*port0'").strip()
    before = bench.unit("MainPID")["MainPID"]
    bench.mark_journal()
    bench.configure(scanner={"kind": "serial", "device": f"/dev/serial/by-id/{port}",
                             "baudrate": 9600})
    bench.sh("systemctl reload kiosk")
    bench.wait_message("configuration reloaded")
    assert bench.unit("MainPID")["MainPID"] == before  # reloaded, not restarted
    bench.wait_message(" connected: ")
    bench.machine.serial_write(FISH.encode() + b"\r\n")
    entry = bench.wait_scan(FISH, "shown", "cached")
    assert entry["SOURCE"].startswith("serial:")
    bench.machine.screendump(bench.screens / "card-serial.png")
    bench.results.set(serial_scans_shown=1, reload_good=True,
                      scan_to_card_ms_serial=float(entry["LATENCY_MS"]))


def test_a_bad_reload_is_refused_and_the_kiosk_keeps_running(bench: Bench) -> None:
    before = bench.unit("MainPID")["MainPID"]
    bench.sh(f"cp {CONFIG} /root/kiosk.toml.good && "
             f"printf '\\n[display]\\nmdoe = \"x\"\\n' >> {CONFIG}")
    bench.mark_journal()
    bench.sh("systemctl reload kiosk")
    bench.wait_message("reload refused")
    unit = bench.unit("MainPID", "ActiveState")
    assert unit == {"MainPID": before, "ActiveState": "active"}
    bench.sh(f"cp /root/kiosk.toml.good {CONFIG} && systemctl reload kiosk")
    bench.wait_message("configuration reloaded")
    bench.results.set(reload_ok=True)


def test_serial_scanner_unplugged_and_replugged(bench: Bench) -> None:
    bench.mark_journal()
    bench.machine.unplug(SERIAL_ID)
    bench.wait_message("not available")
    bench.machine.plug(SERIAL_ID)
    bench.wait_message(" connected: ")
    code = products(bench.sandbox, 1)[0]
    bench.machine.serial_write(code.encode() + b"\r\n")
    bench.wait_scan(code, "shown", "cached")
    bench.results.set(serial_hotplug_ok=True, serial_scans_shown=2)


def test_hid_scanner_unplugged_and_replugged(bench: Bench) -> None:
    keyboard = bench.sh("ls /dev/input/by-id/ | grep -m1 'QEMU.*Keyboard.*-event-kbd'").strip()
    bench.configure(scanner={"kind": "hid", "device": f"/dev/input/by-id/{keyboard}"})
    bench.mark_journal()
    bench.sh("systemctl reload kiosk")
    bench.wait_message("configuration reloaded")
    bench.wait_message(" connected: ")
    bench.mark_journal()
    bench.machine.unplug(KEYBOARD_ID)
    bench.wait_message("not available")
    bench.machine.plug(KEYBOARD_ID)
    bench.wait_message(" connected: ")
    code = products(bench.sandbox, 2)[1]
    scan_hid(bench, code)
    bench.wait_scan(code, "shown", "cached")
    bench.results.set(hotplug_ok=True, hid_scans_shown=2)


# --- 6. the admin's journal queries ---------------------------------------------------------


def test_the_readmes_journal_queries_work_as_written(bench: Bench) -> None:
    scans = bench.journal("KIOSK_EVENT=scan", since_cursor=False)
    assert len(scans) >= 4
    for entry in scans:
        for field in ("BARCODE", "OUTCOME", "SOURCE", "CREDITS"):
            assert field in entry, entry
    root = Path(__file__).resolve().parents[2]
    docs = "\n".join((root / name).read_text() for name in ("README.md", "docs/operations.md"))
    queries = list(dict.fromkeys(  # each once: the README repeats some of docs/operations.md's
        re.findall(r"^(journalctl -u kiosk [^\n#|]*?)\s*(?:#.*)?$", docs, re.M)))
    assert len(queries) >= 6
    for query in queries:
        if " -f" in query:
            continue  # follows forever
        assert bench.machine.agent is not None
        ran = bench.machine.agent.sh(f"{query} --no-pager")
        assert (ran.status, ran.stderr) == (0, ""), (query, ran)  # no refused match or option
    one = bench.sh(f"journalctl -u kiosk KIOSK_EVENT=scan BARCODE={CEREAL} -o json --no-pager")
    assert json.loads(one.splitlines()[0])["OUTCOME"] == "shown"
    bench.results.set(journal_queries_ok=len(queries))


def test_the_journal_reaches_the_central_log_server_also_after_it_was_down(
        bench: Bench) -> None:
    """install-pi --log-server: the scans reach the chain's systemd-journal-remote with
    their fields; while it is down the journal keeps them, and they follow once it is back."""
    bench.ensure_running()

    def central(code: str) -> list[dict[str, Any]]:
        return bench.logs.entries("KIOSK_EVENT=scan", f"BARCODE={code}", "_HOSTNAME=kiosk-vm")

    scanned = central(CEREAL) or bench.wait(lambda: central(CEREAL), 300, "scans at the center")
    assert {"OUTCOME", "SOURCE", "CREDITS", "_SYSTEMD_UNIT"} <= set(scanned[0])
    assert scanned[0]["_SYSTEMD_UNIT"] == "kiosk.service"

    def restarts() -> int:
        return int(bench.sh("systemctl show -p NRestarts --value systemd-journal-upload"))

    bench.logs.stop()
    before = restarts()
    code = products(bench.sandbox, 3)[2]
    bench.mark_journal()
    scan_hid(bench, code)
    bench.wait_scan(code)
    # The uploader has met the closed port and is retrying (it exits and systemd restarts
    # it, for as long as it takes: install-pi's drop-in).
    bench.wait(lambda: restarts() > before, 300, "the uploader to retry")
    state = bench.sh("systemctl show -p ActiveState --value systemd-journal-upload").strip()
    assert state != "failed"  # Debian's unit alone gives up after 5 quick failures
    assert central(code) == []
    bench.logs.start()
    bench.wait(lambda: central(code), 300, "the scan made while the server was down")
    bench.results.set(journal_upload_ok=True)


def test_node_exporter_serves_the_kiosks_metrics_to_the_host(bench: Bench) -> None:
    """install-pi --metrics, as the playbook ran it: the chain's Prometheus scrapes the
    guest's node_exporter from outside and finds the kiosk's own series, a scan counted;
    the scan's journal entry carries the inventory's store and lane, at the central log
    server too."""
    bench.ensure_running()
    bench.mark_journal()
    scan_hid(bench, CEREAL)
    entry = bench.wait_scan(CEREAL, "cached", "shown")
    assert (entry.get("KIOSK_STORE"), entry.get("KIOSK_LANE")) == (STORE, LANE), entry
    counted = re.compile(r'^kiosk_scans_total\{outcome="(?:cached|shown)"\} ([0-9.e+]+)$', re.M)

    last = [""]

    def scraped() -> str | None:
        last[0] = text = bench.scrape()
        found = counted.search(text)
        return text if found and float(found.group(1)) >= 1 else None

    try:
        text = bench.wait(scraped, 120, "kiosk_scans_total in node_exporter's answer")
    except TimeoutError:
        (bench.results.path.parent / "last-scrape.txt").write_text(last[0])
        shown = [line for line in last[0].splitlines()
                 if line.startswith(("kiosk_", "node_textfile"))]
        raise AssertionError(f"no counted scan in node_exporter's answer: {shown}") from None
    assert re.search(r'^kiosk_build_info\{version="[^"]+"\} 1$', text, re.M), text[-2000:]
    assert re.search(r"^node_textfile_scrape_error 0$", text, re.M)
    kiosk_series = sorted({line.split("{")[0].split(" ")[0] for line in text.splitlines()
                           if line.startswith("kiosk_")})
    bench.wait(lambda: bench.logs.entries("KIOSK_EVENT=scan", f"KIOSK_STORE={STORE}",
                                          f"KIOSK_LANE={LANE}"), 300,
               "a labelled scan at the central log server")
    bench.results.set(metrics_scraped_ok=True, metrics_kiosk_series=len(kiosk_series),
                      journal_store_label_ok=True)


# --- 6b. memory on the KMS screen -------------------------------------------------------------

THP = "/sys/kernel/mm/transparent_hugepage"
KHUGEPAGED_FAST = {"scan_sleep_millisecs": "100", "alloc_sleep_millisecs": "100",
                   "pages_to_scan": "65536"}
MEMORY = r"""
import json, sys
pid = sys.argv[1]
cg = '/sys/fs/cgroup/system.slice/kiosk.service/'
stat = dict(line.split() for line in open(cg + 'memory.stat'))
status = dict(line.split(':', 1) for line in open(f'/proc/{pid}/status'))
rollup = [line.split() for line in open(f'/proc/{pid}/smaps_rollup')]
print(json.dumps({'anon': int(stat['anon']), 'peak': int(open(cg + 'memory.peak').read()),
                  'thp_enabled': status.get('THP_enabled', '').strip(),
                  'huge_kb': sum(int(r[1]) for r in rollup if r[0] == 'AnonHugePages:')}))
"""


def test_the_kiosks_memory_stays_flat_on_the_kms_screen(bench: Bench) -> None:
    """The kiosk idling on the KMS screen (its arrow pulsing) while the kernel's
    khugepaged passes over every process twice, sped up from its 10 s naps to 0.1 s so
    that this takes seconds: no new huge page in the kiosk, no growth. Before the kiosk
    opted out of transparent huge pages, khugepaged filled in the GL stack's sparse
    regions at about 1 MB a second, 110 MB to MemoryMax=256M and an OOM kill."""
    bench.ensure_running()
    assert "[always]" in bench.sh(f"cat {THP}/enabled")  # as on Debian's kernels
    pid = bench.unit("MainPID")["MainPID"]

    def memory() -> dict[str, Any]:
        return dict(json.loads(bench.sh(f"python3 -c {shlex.quote(MEMORY)} {pid}")))

    def full_scans() -> int:
        return int(bench.sh(f"cat {THP}/khugepaged/full_scans"))

    saved = {k: bench.sh(f"cat {THP}/khugepaged/{k}").strip() for k in KHUGEPAGED_FAST}
    before = memory()
    assert before["thp_enabled"] == "0"  # the kernel's word that the kiosk opted out
    try:
        for key, value in KHUGEPAGED_FAST.items():
            bench.sh(f"echo {value} > {THP}/khugepaged/{key}")
        start = full_scans()
        bench.wait(lambda: full_scans() >= start + 2, 300, "two full khugepaged passes")
    finally:
        for key, value in saved.items():
            bench.sh(f"echo {value} > {THP}/khugepaged/{key}")
    after = memory()
    assert bench.unit("MainPID")["MainPID"] == pid  # the same process throughout
    growth_mb = (after["anon"] - before["anon"]) / 2**20
    # Huge pages the kernel gave at a page fault before the opt-out (Python's start-up,
    # the imports; 6 MB seen on arm64) stay, and are bounded; none may come after it.
    assert after["huge_kb"] <= before["huge_kb"], (before, after)
    assert growth_mb < 8, (before, after)
    bench.results.set(memory_anon_mb=round(after["anon"] / 2**20, 1),
                      memory_growth_mb=round(growth_mb, 1),
                      memory_peak_mb=round(after["peak"] / 2**20, 1),
                      anon_huge_pages_kb=[before["huge_kb"], after["huge_kb"]])


# --- 6c. the emulated CPU against the host's ---------------------------------------------------
DOUBLE_READ_S = 1.6  # past config/kiosk.toml's scanner.duplicate_window_s (1.5 s)
CALIBRATE = ("import calibrate, json; "
             "print(json.dumps(calibrate.percentiles(calibrate.card_rounds())))")


def test_the_emulated_cpu_is_weighed_against_the_hosts(bench: Bench, tmp_path: Path) -> None:
    """The emulation factor S: the same card made from scratch (scripts/bench calibrate)
    in the guest with the kiosk's Python and on this host, so a figure of the guest reads
    as "S times the host's" or as something else. With it, for the same reading of the
    start: the kiosk's own part (exec to READY=1), systemd's critical chain to the kiosk
    and the slowest units of this boot; then a shopper's waits on this CPU, uncached and
    cached, from the scan's journal entry."""
    bench.ensure_running()
    # Type=notify: the unit is active from READY=1 on; ExecMainStart is the exec.
    unit = bench.unit("ExecMainStartTimestampMonotonic", "ActiveEnterTimestampMonotonic")
    start_s = (int(unit["ActiveEnterTimestampMonotonic"])
               - int(unit["ExecMainStartTimestampMonotonic"])) / 1e6
    assert start_s > 0, unit
    host = subprocess.run([sys.executable, str(BENCH_PARTS / "calibrate.py"), "--json",
                           str(tmp_path / "host.json")], capture_output=True, text=True,
                          timeout=600, check=True, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    host_ms = json.loads((tmp_path / "host.json").read_text())["card_ms"]
    guest_ms = bench_in_the_guest(bench, ("calibrate.py",), CALIBRATE)
    assert guest_ms["n"] == host_ms["n"] > 0, (host.stdout, guest_ms)
    factor = guest_ms["p50"] / host_ms["p50"]
    assert factor > 1, (guest_ms, host_ms)  # software emulation is never faster than the host
    results_dir = bench.results.path.parent
    for name, command in (("critical-chain", "systemd-analyze critical-chain kiosk.service"),
                          ("blame", "systemd-analyze blame --no-pager | head -n 25")):
        (results_dir / f"systemd-analyze-{name}.txt").write_text(bench.sh(command))
    bench.results.set(cpu_factor=round(factor, 1), calibrate_host_ms=round(host_ms["p50"], 2),
                      calibrate_guest_ms=round(guest_ms["p50"], 1),
                      kiosk_start_s=round(start_s, 1))
    # A shopper's waits in the same guest: a product scanned for the first time (the API
    # on the host, through the guest's relay), then again, from the cache.
    bench.sandbox.set_online(True)
    state = store_state(bench)
    known = set(state["cached"]) | set(state["queued"]) | set(state["paid"])
    code = next(b for b, p in sorted(bench.sandbox.catalog.items())
                if p["image_meta"].get("front") and b not in known)
    bench.mark_journal()
    typed = time.monotonic()
    scan_hid(bench, code)
    first = bench.wait_scan(code, "shown")
    # The reader's double-read window is a time: the second scan must come after it.
    time.sleep(max(0.0, DOUBLE_READ_S - (time.monotonic() - typed)))
    bench.mark_journal()
    scan_hid(bench, code)
    again = bench.wait_scan(code, "cached")
    assert float(first["FIRST_PAINT_MS"]) <= float(first["LATENCY_MS"]), first
    bench.results.set(first_paint_ms_uncached=float(first["FIRST_PAINT_MS"]),
                      card_ms_uncached=float(first["LATENCY_MS"]),
                      first_paint_ms_cached=float(again["FIRST_PAINT_MS"]))


# --- 7. restart and the watchdog ------------------------------------------------------------


def test_restart_then_a_frozen_main_loop_is_restarted_by_the_watchdog(bench: Bench) -> None:
    first = bench.unit("MainPID")["MainPID"]
    bench.sh("systemctl restart kiosk")
    second = bench.wait_ready()["MainPID"]
    assert second != first
    restarts = int(bench.unit("NRestarts")["NRestarts"])
    bench.mark_journal()
    bench.sh(f"kill -STOP {second}")
    frozen_at = time.monotonic()

    def revived() -> dict[str, str] | None:
        unit = bench.unit("MainPID", "ActiveState", "NRestarts")
        return unit if (unit["ActiveState"] == "active" and unit["MainPID"] not in ("0", second)
                        and int(unit["NRestarts"]) > restarts) else None

    bench.wait(revived, 240, "the watchdog to restart the kiosk")
    recovered_s = time.monotonic() - frozen_at
    watchdog = bench.sh("journalctl -u kiosk --no-pager | grep -c 'Watchdog timeout'",
                        check=False)
    assert int(watchdog.strip() or 0) >= 1
    code = products(bench.sandbox, 3)[2]
    scan_hid(bench, code)
    bench.wait_scan(code, "shown", "cached")
    bench.results.set(watchdog_restart_ok=True, restart_ok=True,
                      watchdog_recovery_s=round(recovered_s, 1))


# --- 8. power cuts -----------------------------------------------------------------------------


def queue_offline(bench: Bench, codes: list[str]) -> None:
    """Scan `codes` with the API unreachable, one after the other as a person scans items:
    each once the previous one's "saved" screen is up. (The emulated CPU paints a screen
    in seconds; a burst of 20 scans would outrun the kernel's evdev buffer there, which
    a Pi, 20-30 times faster, does not.)"""
    bench.sandbox.set_online(False)
    bench.mark_journal()
    for code in codes:
        scan_hid(bench, code)
        bench.wait_scan(code, "queued", timeout=180)


def fresh_start(bench: Bench) -> None:
    """An empty queue, cache and ledger on both sides, so the same products are bought
    again and the kiosk's books can be held against the sandbox's (scans an earlier
    scenario left queued are drained first, with the API up)."""
    bench.ensure_running()
    bench.sandbox.set_online(True)
    bench.wait(lambda: not store_state(bench)["queued"], 600, "earlier queued scans to drain")
    bench.sh("systemctl stop kiosk && rm -rf /var/cache/kiosk/* /var/lib/kiosk/kiosk.db* "
             "&& systemctl start kiosk")
    bench.wait_ready()
    bench.sandbox.clear_ledger()


POWER_CUTS_IN_DRAIN = 10
QUEUED_FOR_CUTS = 42
PHOTO_HOLD_S = 6.0  # each photo download held this long: a drain slow enough for the cuts
# Each lookup held this long before the API answers (and debits): without it a guest on a
# lightly loaded host drained the 42 scans before the tenth cut. Below the kiosk's read
# timeout (5 s), so no lookup fails for it.
LOOKUP_HOLD_S = 2.5


def product_gets(sandbox: Sandbox) -> int:
    return sum(1 for e in sandbox.ledger if e.credits and e.path.endswith(f"/products/{e.barcode}"))


def cut_moment(bench: Bench, kind: str, photos: Fault) -> None:
    """Wait for one kind of moment in the drain, then a random instant inside it.

    "answer": just after the API's debit (its answer on the wire, in the kiosk's parse,
    or in the commit of the paid answer); "photo": while a photo download is held;
    "drain": anywhere in the next 3 s (paced waits, lookups, photos, cache writes)."""
    sandbox = bench.sandbox
    if kind == "photo":
        taken = photos.count
        bench.wait(lambda: photos.count < taken, 300, "a photo download to start")
        time.sleep(RNG.uniform(0.2, PHOTO_HOLD_S - 0.5))
        return
    bought = product_gets(sandbox)
    bench.wait(lambda: product_gets(sandbox) > bought, 300, "the drain to buy a lookup")
    time.sleep(RNG.uniform(0.0, 0.3) if kind == "answer" else RNG.uniform(0.0, 3.0))


def books_after_boot(bench: Bench) -> float:
    """The kiosk's count of today's credits minus the API's, as the kiosk's check at
    start found them (`/account`, before the drainer buys anything): positive, the kiosk
    counts credits the API never charged; negative, the API charged what the power cut
    kept the kiosk from writing down (the kiosk then goes by the API's count)."""
    def checked() -> bool:
        return bench.status().get("spend_mismatch") is not None

    bench.wait(checked, 180, "the kiosk's check of today's spending with /account")
    return -float(bench.status()["spend_mismatch"])


def window_in_the_guest(bench: Bench, lookups: int = 20) -> dict[str, Any]:
    """`scripts/bench`'s credits window (the API's debit to the kiosk's fsync of the
    paid answer) measured on the guest's CPU and disk: a sandbox inside the guest over
    loopback (plain HTTP: the kiosk's Python has no `cryptography`)."""
    script = ("import credits, json, pathlib, tempfile; print(json.dumps(credits.measure_window("
              f"pathlib.Path(tempfile.mkdtemp(dir='/var/tmp')), {lookups}, tls=False)))")
    return bench_in_the_guest(bench, ("credits.py", "_scan_trace.py"), script)


def bench_in_the_guest(bench: Bench, parts: tuple[str, ...], script: str) -> dict[str, Any]:
    """Run `script` (it prints one JSON object last) with the kiosk's own Python in the
    guest, beside a copy of these bench parts and their shared helpers."""
    bench.sh("mkdir -p /var/tmp/bench_parts")
    for name in ("_common.py", *parts):
        assert bench.machine.agent is not None
        bench.machine.agent.write_file(f"/var/tmp/bench_parts/{name}",
                                       (BENCH_PARTS / name).read_bytes())
    out = bench.sh(f"cd /var/tmp/bench_parts && /opt/kiosk/venv/bin/python -c "
                   f"{shlex.quote(script)}", timeout=600)
    return dict(json.loads(out.strip().splitlines()[-1]))


def test_power_cuts_keep_every_queued_scan_and_every_credit(bench: Bench) -> None:
    """One cut with the queue full, then cuts at random moments of its drain: during
    lookups, just after the API's debit, during photo downloads. After every boot the
    kiosk's books agree with the API's; at the end nothing is lost and no lookup was
    bought twice but for the window no client can close (debit to fsync)."""
    codes = products(bench.sandbox, QUEUED_FOR_CUTS)
    fresh_start(bench)
    queue_offline(bench, codes)
    bench.machine.power_cut()
    bench.boot()
    bench.wait_ready()
    state = store_state(bench)
    assert state["queued"] == codes and state["queue_integrity"] == "ok"  # all, in order
    # The journal on the card (install-pi --journal persistent): what the kernel had
    # written back before the cut is in the previous boot's journal.
    journalled = {e["BARCODE"] for e in bench.journal(
        "KIOSK_EVENT=scan", "OUTCOME=queued", since_cursor=False, boot=-1)} & set(codes)
    assert journalled, "no scan of the boot before the cut in its journal"
    bench.results.set(queued_before_cut=len(codes), queued_after_cut=len(state["queued"]),
                      journal_previous_boot_scans=len(journalled))
    photos = bench.sandbox.faults.add("latency", seconds=PHOTO_HOLD_S, count=1_000_000,
                                      path="/image/")
    bench.sandbox.faults.add("latency", seconds=LOOKUP_HOLD_S, count=1_000_000,
                             path="/products/")
    bench.sandbox.set_online(True)
    first = books_after_boot(bench)
    over, under, moments = [max(0.0, first)], [max(0.0, -first)], []
    for cut in range(POWER_CUTS_IN_DRAIN):
        kind = ("drain", "answer", "photo")[cut % 3]
        assert store_state(bench)["queued"], f"the queue drained before cut {cut + 1}"
        cut_moment(bench, kind, photos)
        bench.machine.power_cut()
        moments.append(kind)
        bench.boot()
        bench.wait_ready()
        state = store_state(bench)
        assert state["queue_integrity"] == state["cache_integrity"] == "ok"
        kept = set(state["queued"]) | set(state["cached"]) | set(state["paid"])
        assert set(codes) <= kept, f"lost at the {kind} cut {cut + 1}: {set(codes) - kept}"
        difference = books_after_boot(bench)
        over.append(max(0.0, difference))
        under.append(max(0.0, -difference))
        bench.results.set(power_cuts=cut + 2, ledger_mismatch_credits=round(max(over), 2),
                          ledger_recovered_credits=round(max(under), 2))
    bench.sandbox.faults.clear()
    bench.wait(lambda: not store_state(bench)["queued"], 900, "the queue to drain")
    state = store_state(bench)
    lost = sorted(set(codes) - set(state["cached"]))
    counts = {c: lookups_of(bench.sandbox, c) for c in codes}
    doubles = sum(max(0, n - 1) for n in counts.values())
    redirects = sum(1 for e in bench.sandbox.ledger if e.credits and e.path.endswith("/image"))
    bench.results.set(power_cuts=POWER_CUTS_IN_DRAIN + 1, queued_lost=len(lost),
                      double_charges=doubles, ledger_mismatch_credits=round(max(over), 2),
                      ledger_recovered_credits=round(max(under), 2),
                      photo_redirects=redirects,
                      cut_moments={k: moments.count(k) for k in set(moments)},
                      lookups_per_code=counts)
    window = window_in_the_guest(bench)
    bench.results.set(window_guest_p50_ms=window.get("p50_ms"),
                      window_guest_p95_ms=window.get("p95_ms"))
    assert lost == []
    assert max(over) <= 0.01  # no credit counted that the API did not charge
    assert doubles <= 1
    assert window["lookups"] == 20
