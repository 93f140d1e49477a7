"""The firmware's power report: parser, a fake sysfs tree, and the watcher's journal."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.daemon.power import PowerWatch, find_sources, parse_throttled, read_power

THROTTLED = "devices/platform/soc/soc:firmware/get_throttled"


def _tree(root: Path, throttled: str | None = None, alarm: str | None = None,
          soc: str = "soc") -> Path:
    """A sysfs as the Pi's kernel lays it out, with only the files asked for."""
    (root / "class/hwmon/hwmon0").mkdir(parents=True)
    (root / "class/hwmon/hwmon0/name").write_text("cpu_thermal\n")
    if throttled is not None:
        path = root / THROTTLED.replace("soc/soc:", f"{soc}/{soc}:")
        path.parent.mkdir(parents=True)
        path.write_text(throttled + "\n")
    if alarm is not None:
        (root / "class/hwmon/hwmon1").mkdir(parents=True)
        (root / "class/hwmon/hwmon1/name").write_text("rpi_volt\n")
        (root / "class/hwmon/hwmon1/in0_lcrit_alarm").write_text(alarm + "\n")
    return root


def _set(root: Path, throttled: str) -> None:
    (root / THROTTLED).write_text(throttled + "\n")


@pytest.mark.parametrize(("text", "now", "capped", "ever_low", "ever_capped"), [
    ("0x0", False, False, False, False),
    ("0x50005", True, True, True, True),      # under-voltage and throttled, now and before
    ("0x50000", False, False, True, True),    # only in the past
    ("0x1", True, False, False, False),
    ("0x2", False, True, False, False),       # frequency capped
    ("0x8", False, True, False, False),       # soft temperature limit
    ("0x80000", False, False, False, True),   # soft temperature limit has occurred
    ("20002", False, True, False, True),      # bare hex
])
def test_parse_throttled_bits(text: str, now: bool, capped: bool, ever_low: bool,
                              ever_capped: bool) -> None:
    word = parse_throttled(text)
    assert word is not None
    assert (word.under_voltage, word.throttled) == (now, capped)
    assert (word.under_voltage_occurred, word.throttled_occurred) == (ever_low, ever_capped)


@pytest.mark.parametrize("text", ["", "  ", "throttled", "0xZZ"])
def test_parse_throttled_refuses_what_is_not_hex(text: str) -> None:
    assert parse_throttled(text) is None


def test_no_files_no_reading_no_polling(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert read_power(find_sources(root)) is None
    watch = PowerWatch(root)
    assert watch.due is None and not watch.poll_if_due(100.0) and watch.reading is None


def test_the_volt_alarm_alone_is_enough(tmp_path: Path) -> None:
    reading = read_power(find_sources(_tree(tmp_path, alarm="1")))
    assert reading is not None
    assert reading.under_voltage and reading.throttled is None
    assert reading.detail == "rpi_volt in0_lcrit_alarm=1"


def test_a_pi5_firmware_node_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, throttled="0x1", soc="soc@107c000000")
    reading = read_power(find_sources(root))
    assert reading is not None and reading.under_voltage


def test_the_watcher_logs_each_start_and_stop_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _tree(tmp_path, throttled="0x0")
    watch = PowerWatch(root, every_s=5.0)
    caplog.set_level(logging.INFO, logger="kiosk.daemon.power")
    assert watch.poll_if_due(0.0)  # the first reading is news
    assert watch.reading is not None and not watch.reading.under_voltage
    assert watch.hint is None
    _set(root, "0x50005")
    assert not watch.poll_if_due(4.9)  # not due yet: nothing read
    assert watch.poll_if_due(5.0)
    assert watch.hint == "under-voltage: power supply too weak"
    for t in (10.0, 15.0, 20.0):  # it lasts: no more lines
        assert not watch.poll_if_due(t)
    _set(root, "0x50000")
    assert watch.poll_if_due(25.0)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 4, messages
    assert messages[0].startswith("under-voltage: the power supply is too weak "
                                  "(get_throttled=0x50005)")
    assert messages[1].startswith("the CPU is throttled")
    assert messages[2] == "under-voltage over (get_throttled=0x50000)"
    assert messages[3] == "CPU throttling over (get_throttled=0x50000)"
    assert watch.hint is None


def test_a_dip_before_the_kiosk_started_is_said_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    watch = PowerWatch(_tree(tmp_path, throttled="0x10000"))
    caplog.set_level(logging.INFO, logger="kiosk.daemon.power")
    watch.poll()
    watch.poll()
    assert [r.getMessage() for r in caplog.records] == [
        "under-voltage has occurred since boot (get_throttled=0x10000): the power supply "
        "is marginal"]


def test_a_file_that_vanishes_ends_the_reading_without_an_error(tmp_path: Path) -> None:
    root = _tree(tmp_path, throttled="0x1")
    watch = PowerWatch(root)
    watch.poll()
    (root / THROTTLED).unlink()
    assert watch.poll() and watch.reading is None
