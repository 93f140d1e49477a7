"""The kiosk on arm64, a Raspberry Pi's architecture, under emulation: the same guest recipe
for `qemu-system-aarch64 -M virt -cpu cortex-a72`, installed by install-pi from aarch64
wheels (pygame-ce's carries SDL's KMS/DRM driver) with evdev and systemd-python compiled
in the guest, as on a Pi.

`./scripts/system-test --arch arm64` runs these (conftest deselects them otherwise). The
x86 scenarios are run here unchanged, on this guest, but for the watchdog and the random
power cuts: the emulated aarch64 CPU is several times slower than the emulated x86 one, so
there is one power cut, with a handful of scans queued.
"""

from __future__ import annotations

import json
import shlex

import pytest

from kiosk.sandbox import Sandbox
from tests.system import test_system as x86
from tests.system.bench import Bench
from tests.system.test_system import (
    CEREAL,
    FISH,
    fresh_start,
    lookups_of,
    products,
    queue_offline,
    store_state,
)

pytestmark = [pytest.mark.system, pytest.mark.arch("arm64")]



# --- the x86 scenarios, run on this guest; `-m smoke` runs the first three (CI's arm64 run) --


@pytest.mark.smoke
def test_install_pi_on_a_fresh_machine(bench: Bench, sandbox: Sandbox) -> None:
    x86.test_install_pi_on_a_fresh_machine(bench, sandbox)


@pytest.mark.smoke
def test_boot_reaches_ready_and_systemd_knows_its_status(bench: Bench) -> None:
    x86.test_boot_reaches_ready_and_systemd_knows_its_status(bench)


@pytest.mark.smoke
def test_hid_scan_is_drawn_on_the_kms_screen_and_the_kiosk_holds_the_grab(bench: Bench) -> None:
    x86.test_hid_scan_is_drawn_on_the_kms_screen_and_the_kiosk_holds_the_grab(bench)


def test_reload_to_a_serial_scanner_then_scan(bench: Bench) -> None:
    x86.test_reload_to_a_serial_scanner_then_scan(bench)


# --- what only an arm64 guest shows ----------------------------------------------------------
QUEUED_BEFORE_CUT = 5
EM_AARCH64 = 183  # ELF e_machine of an arm64 binary
ELF_MACHINE = r"""
import glob, json, struct, sys
def machine(path):
    with open(path, 'rb') as f:
        head = f.read(20)
    return struct.unpack('<H', head[18:20])[0]
libs = {p: machine(p) for pattern in sys.argv[1:] for p in glob.glob(pattern, recursive=True)}
print(json.dumps(libs))
"""


def test_the_kiosk_runs_on_arm64_with_parts_built_or_fetched_for_it(bench: Bench) -> None:
    """What x86 cannot show: the guest is aarch64, evdev and systemd-python were compiled
    there by install-pi, and the running kiosk draws through the aarch64 wheel's SDL."""
    assert bench.sh("uname -m").strip() == "aarch64"
    site = "/opt/kiosk/venv/lib/python3*/site-packages"
    found = json.loads(bench.sh(
        f"python3 -c {shlex.quote(ELF_MACHINE)} '{site}/evdev/*.so' '{site}/systemd/*.so' "
        f"'{site}/pygame_ce.libs/libSDL2*'"))
    kinds = {name.split("/site-packages/")[1].split("/")[0]: m for name, m in found.items()}
    assert set(kinds) == {"evdev", "systemd", "pygame_ce.libs"}, found
    assert set(found.values()) == {EM_AARCH64}, found
    # Compiled here, not fetched: the wheelhouse holds their sources only.
    assert bench.sh("ls /mnt/kiosk/wheels/ | grep -E '^(evdev|systemd.python)-' | "
                    "grep -vc '\\.tar\\.gz$' || true").strip() == "0"
    pid = bench.unit("MainPID")["MainPID"]
    maps = bench.sh(f"grep -o '/[^ ]*pygame_ce.libs/libSDL2[^ ]*' /proc/{pid}/maps | sort -u")
    assert maps.strip(), "the kiosk has not loaded the wheel's SDL"
    bench.results.set(machine="aarch64", compiled_in_guest=["evdev", "systemd-python"],
                      aarch64_libraries_checked=sorted(kinds))


def test_the_kiosks_journal_inside_the_guest(bench: Bench) -> None:
    """`journalctl -u kiosk` as an admin reads it on the device: both scans, with fields."""
    text = bench.sh("journalctl -u kiosk --no-pager")
    assert "kiosk ready" in text
    for code, source in ((CEREAL, "/dev/input/by-id/"), (FISH, "serial:")):
        entries = bench.journal("KIOSK_EVENT=scan", f"BARCODE={code}", since_cursor=False)
        assert len(entries) == 1, entries
        assert entries[0]["OUTCOME"] == "shown" and entries[0]["SOURCE"].startswith(source)
        assert code in text
    bench.results.set(journal_queries_ok=1)


# --- the x86 scenarios of an admin's day and of a fleet, on this guest ------------------------
# (After the journal check above, which counts the first two scans.) Only the watchdog and
# the random power cuts are left to x86: each costs a reboot or more, minutes here.


def test_a_bad_reload_is_refused_and_the_kiosk_keeps_running(bench: Bench) -> None:
    x86.test_a_bad_reload_is_refused_and_the_kiosk_keeps_running(bench)


def test_serial_scanner_unplugged_and_replugged(bench: Bench) -> None:
    x86.test_serial_scanner_unplugged_and_replugged(bench)


def test_hid_scanner_unplugged_and_replugged(bench: Bench) -> None:
    x86.test_hid_scanner_unplugged_and_replugged(bench)


def test_the_readmes_journal_queries_work_as_written(bench: Bench) -> None:
    x86.test_the_readmes_journal_queries_work_as_written(bench)


def test_the_journal_reaches_the_central_log_server_also_after_it_was_down(
        bench: Bench) -> None:
    x86.test_the_journal_reaches_the_central_log_server_also_after_it_was_down(bench)


def test_node_exporter_serves_the_kiosks_metrics_to_the_host(bench: Bench) -> None:
    x86.test_node_exporter_serves_the_kiosks_metrics_to_the_host(bench)


def test_the_kiosks_memory_stays_flat_on_the_kms_screen(bench: Bench) -> None:
    x86.test_the_kiosks_memory_stays_flat_on_the_kms_screen(bench)


# --- a power cut --------------------------------------------------------------------------


def test_a_power_cut_keeps_every_queued_scan(bench: Bench, sandbox: Sandbox) -> None:
    codes = products(sandbox, QUEUED_BEFORE_CUT)
    # These scans are typed: the kiosk reads the keyboard, whichever scanner it read before.
    keyboard = bench.sh("ls /dev/input/by-id/ | grep -m1 'QEMU.*Keyboard.*-event-kbd'").strip()
    bench.configure(scanner={"kind": "hid", "device": f"/dev/input/by-id/{keyboard}"})
    fresh_start(bench)

    def reading_the_keyboard() -> bool:
        scanners = bench.status()["scanner"]  # {source: "connected"}, or "none"
        return isinstance(scanners, dict) and any(
            source.startswith("/dev/input/by-id/") and state == "connected"
            for source, state in scanners.items())

    bench.wait(reading_the_keyboard, 60, "the kiosk to read the keyboard scanner")
    queue_offline(bench, codes)
    bench.machine.power_cut()
    bench.boot()
    bench.wait_ready()
    state = store_state(bench)
    assert state["queued"] == codes and state["queue_integrity"] == "ok"  # all, in order
    after_cut = len(state["queued"])
    sandbox.set_online(True)
    bench.wait(lambda: not store_state(bench)["queued"], 600, "the queue to drain")
    state = store_state(bench)
    assert set(codes) <= set(state["cached"])
    assert state["queue_integrity"] == state["cache_integrity"] == "ok"
    counts = {c: lookups_of(sandbox, c) for c in codes}
    assert all(n == 1 for n in counts.values()), counts  # each resolved exactly once
    bench.results.set(queued_before_cut=len(codes), queued_after_cut=after_cut,
                      first_cut_double_charges=0, power_cuts=1,
                      queued_lost=len(set(codes) - set(state["cached"])), double_charges=0,
                      lookups_per_code=counts)
