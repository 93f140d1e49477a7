"""Print the system test's figures as a table: `python -m tests.system.report summary.json`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

# (key, what it is, what it must be) in the order an admin reads them.
ROWS = (
    ("arch", "guest architecture", ""),
    ("guest_image_s", "guest image (built, or from the cache) + data disk, s", ""),
    ("install_s", "Ansible install on a fresh machine, s", ""),
    ("ansible_second_run_changed", "Ansible second run: tasks changed", "0"),
    ("ansible_second_run_s", "Ansible second run, s", ""),
    ("boot_to_ready_s", "kernel start to READY=1, s", ""),
    ("exposure", "systemd-analyze security exposure", "<= 1.5"),
    ("hid_scans_shown", "USB HID scans shown", ">= 2"),
    ("scan_to_card_ms_hid", "HID scan to card, ms (emulated CPU)", ""),
    ("serial_scans_shown", "USB serial scans shown", ">= 2"),
    ("scan_to_card_ms_serial", "serial scan to card, ms (emulated CPU)", ""),
    ("reload_ok", "reload good and bad config", "true"),
    ("hotplug_ok", "HID unplug and replug, no restart", "true"),
    ("serial_hotplug_ok", "serial unplug and replug, no restart", "true"),
    ("journal_upload_ok", "journal at the log server, also after an outage", "true"),
    ("metrics_scraped_ok", "kiosk_* scraped from node_exporter by the host", "true"),
    ("cpu_factor", "emulation factor S: a card made in the guest / on the host", ""),
    ("kiosk_start_s", "kiosk.service exec to READY=1, s (emulated CPU)", ""),
    ("first_paint_ms_uncached", "scan to first paint, uncached, ms (emulated CPU)", ""),
    ("card_ms_uncached", "scan to the complete card, uncached, ms (emulated CPU)", ""),
    ("first_paint_ms_cached", "scan to the card, cached, ms (emulated CPU)", ""),
    ("memory_growth_mb", "kiosk memory growth, idle on the KMS screen, MB", "< 8"),
    ("memory_peak_mb", "kiosk memory peak (MemoryMax=256M), MB", ""),
    ("anon_huge_pages_kb", "huge pages in the kiosk before / after, kB", "no more"),
    ("desktop_handled", "Desktop image: display manager off, card on screen", "true"),
    ("console_injection_blocked", "typed command with the kiosk stopped: no shell", "true"),
    ("hw_watchdog_armed", "hardware watchdog held by systemd (15 s)", "true"),
    ("display_unplug_restarts", "HDMI unplugged and back: restarts", "0"),
    ("display_removed_restarts", "GPU removed and rescanned: restarts", "0"),
    ("rotation_ok", "display.rotation = 90 matches the host's turned screen", "true"),
    ("start_limit_recovered", "start failing > 10 times, cause removed: scanning", "true"),
    ("display_absent_ready", "READY with no display driver at boot", "true"),
    ("display_hotadd_card_s", "display driver loaded to card on screen, s", ""),
    ("watchdog_restart_ok", "frozen main loop restarted by the watchdog", "true"),
    ("watchdog_recovery_s", "freeze to a working kiosk again, s", ""),
    ("power_cuts", "power cuts (QEMU SIGKILLed)", ">= 11"),
    ("journal_previous_boot_scans", "queued scans in the journal of the boot before a cut",
     ">= 1"),
    ("queued_lost", "queued scans lost", "0"),
    ("double_charges", "lookups bought twice (random cuts)", "<= 1"),
    ("ledger_mismatch_credits", "credits the kiosk counts and the API did not (max per boot)",
     "<= 0.01"),
    ("ledger_recovered_credits", "credits charged the kiosk learnt from /account (max)", ""),
    ("photo_redirects", "photo redirects bought after cuts in downloads", ""),
    ("cut_moments", "where the cuts landed", ""),
    ("window_guest_p50_ms", "API debit to fsync of the paid answer, guest, p50 ms", ""),
    ("window_guest_p95_ms", "API debit to fsync of the paid answer, guest, p95 ms", ""),
    ("screens", "KMS screendumps", ""),
    ("machine", "uname -m in the guest", ""),
    ("compiled_in_guest", "compiled in the guest by install-pi", ""),
)
# The arm64 run (test_arm64.py) asks less, as its emulated CPU is several times slower:
# one power cut, and no watchdog scenario.
ARM64_MUST = {"power_cuts": ">= 1", "machine": "aarch64"}
ARM64_LEAVES_OUT = {"watchdog_restart_ok", "watchdog_recovery_s", "console_injection_blocked",
                    "hw_watchdog_armed", "display_unplug_restarts", "display_removed_restarts",
                    "rotation_ok", "start_limit_recovered", "display_absent_ready",
                    "display_hotadd_card_s", "ledger_mismatch_credits",
                    "ledger_recovered_credits", "photo_redirects", "cut_moments",
                    "window_guest_p50_ms", "window_guest_p95_ms", "cpu_factor",
                    "kiosk_start_s", "journal_previous_boot_scans", "first_paint_ms_uncached",
                    "card_ms_uncached", "first_paint_ms_cached"}
ARM64_ONLY = {"machine", "compiled_in_guest"}


def table(figures: dict[str, object]) -> str:
    arm64 = figures.get("arch") == "arm64"
    rows = []
    for key, label, must in ROWS:
        if arm64:
            if key in ARM64_LEAVES_OUT:
                continue
            must = ARM64_MUST.get(key, must)
        elif key in ARM64_ONLY:
            continue
        value = figures.get(key, "—")
        if key == "screens" and isinstance(value, list):
            value = f"{len(value)} PNGs"
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        rows.append((label, str(value), must))
    wide = max(len(label) for label, _, _ in rows)
    lines = [f"{'figure':<{wide}} {'value':>14}  must be", "-" * (wide + 25)]
    lines += [f"{label:<{wide}} {value:>14}  {must}" for label, value, must in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "system-test-results/amd64/summary.json")
    print(table(json.loads(path.read_text())) if path.exists() else f"{path}: no figures")
