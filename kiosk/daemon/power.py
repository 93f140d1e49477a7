"""Under-voltage and throttling, as the Raspberry Pi's firmware reports them.

An under-powered Pi drops USB devices (the scanner first) and may corrupt its card; the
firmware knows, and says so in two places under /sys:

- ``devices/platform/soc/soc:firmware/get_throttled`` (the raspberrypi firmware driver;
  on a Pi 5 the ``soc`` node carries its address, so the path is looked for), a hex
  word: bit 0 under-voltage now, 1 ARM frequency capped, 2 throttled, 3 soft temperature
  limit; bits 16-19 the same "has occurred since boot";
- the ``rpi_volt`` hwmon device's ``in0_lcrit_alarm``: 1 while the supply is too low.

`parse_throttled` is pure; `read_power` takes the sysfs root as a parameter (tests build
a fake tree in tmp_path). A file that is not there (not a Pi, a container) means no
reading, no metric and no error. `PowerWatch` is polled by the daemon's main loop every
`POLL_S` (two small sysfs reads): it logs a line when a condition starts and when it
stops, never on every poll.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

__all__ = ["POLL_S", "PowerReading", "PowerWatch", "Throttled", "find_sources",
           "parse_throttled", "read_power"]

logger = logging.getLogger(__name__)

POLL_S = 5.0
SYSFS = Path("/sys")
_THROTTLED_GLOBS = ("devices/platform/soc/soc:firmware/get_throttled",
                    "devices/platform/soc*/soc*:firmware/get_throttled")


@dataclass(frozen=True)
class Throttled:
    """The firmware's get_throttled word, bit by bit."""

    raw: int

    def bit(self, n: int) -> bool:
        return bool(self.raw >> n & 1)

    @property
    def under_voltage(self) -> bool:
        return self.bit(0)

    @property
    def throttled(self) -> bool:
        """Capped, throttled or at the soft temperature limit now (bits 1-3)."""
        return any(self.bit(n) for n in (1, 2, 3))

    @property
    def under_voltage_occurred(self) -> bool:
        return self.bit(16)

    @property
    def throttled_occurred(self) -> bool:
        return any(self.bit(n) for n in (17, 18, 19))


def parse_throttled(text: str) -> Throttled | None:
    """``0x50005`` (the driver's format) or bare hex; None for anything else."""
    value = text.strip().lower().removeprefix("0x")
    try:
        return Throttled(int(value, 16)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class PowerReading:
    """What one poll found; a None field: that source is absent."""

    under_voltage: bool
    throttled: bool | None  # only get_throttled tells
    detail: str  # the raw values, for the journal
    under_voltage_occurred: bool = False  # since boot (get_throttled bit 16)


@dataclass(frozen=True)
class Sources:
    throttled: Path | None
    volt_alarm: Path | None


def find_sources(sysfs: Path = SYSFS) -> Sources:
    """The firmware files on this machine (looked for once: they do not come later)."""
    throttled = next((p for g in _THROTTLED_GLOBS for p in sorted(sysfs.glob(g))), None)
    alarm = None
    for hwmon in sorted(sysfs.glob("class/hwmon/hwmon*")):
        try:
            if (hwmon / "name").read_text(encoding="ascii").strip() == "rpi_volt":
                alarm = hwmon / "in0_lcrit_alarm"
                break
        except OSError:
            continue
    return Sources(throttled, alarm if alarm is not None and alarm.exists() else None)


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        logger.debug("cannot read %s: %s", path, exc)
        return None


def read_power(sources: Sources) -> PowerReading | None:
    """One reading from whichever sources exist; None when none answered."""
    word = _read(sources.throttled)
    alarm_text = _read(sources.volt_alarm)
    throttled = parse_throttled(word) if word is not None else None
    alarm = alarm_text.strip() == "1" if alarm_text is not None else None
    if throttled is None and alarm is None:
        return None
    details = []
    if throttled is not None:
        details.append(f"get_throttled=0x{throttled.raw:x}")
    if alarm is not None:
        details.append(f"rpi_volt in0_lcrit_alarm={int(alarm)}")
    return PowerReading(
        under_voltage=bool(alarm) or (throttled is not None and throttled.under_voltage),
        throttled=None if throttled is None else throttled.throttled,
        detail=", ".join(details),
        under_voltage_occurred=throttled is not None and throttled.under_voltage_occurred,
    )


class PowerWatch:
    """Polls the firmware every `every_s` (monotonic `due`), logs each change once and
    keeps the newest reading for the metrics and the staff bar."""

    def __init__(self, sysfs: Path = SYSFS, every_s: float = POLL_S) -> None:
        self._sources = find_sources(sysfs)
        self._every_s = every_s
        self.reading: PowerReading | None = None
        self.due: float | None = (
            0.0 if self._sources.throttled or self._sources.volt_alarm else None)

    @property
    def hint(self) -> str | None:
        """A short line for the staff bar while the supply is too weak."""
        if self.reading is not None and self.reading.under_voltage:
            return "under-voltage: power supply too weak"
        return None

    def poll_if_due(self, now: float) -> bool:
        """Read now if due; True when something changed (the caller republishes)."""
        if self.due is None or now < self.due:
            return False
        self.due = now + self._every_s
        return self.poll()

    def poll(self) -> bool:
        before, self.reading = self.reading, read_power(self._sources)
        new = self.reading
        if new is None:
            return before is not None
        was_low = before is not None and before.under_voltage
        was_throttled = before is not None and bool(before.throttled)
        if new.under_voltage and not was_low:
            logger.warning("under-voltage: the power supply is too weak (%s); USB devices "
                           "such as the scanner may drop out and the SD card may corrupt. "
                           "Use the Pi's official power supply and a short cable", new.detail)
        elif was_low and not new.under_voltage:
            logger.warning("under-voltage over (%s)", new.detail)
        if new.throttled and not was_throttled:
            logger.warning("the CPU is throttled or capped by the firmware (power or heat: "
                           "%s)", new.detail)
        elif was_throttled and not new.throttled:
            logger.info("CPU throttling over (%s)", new.detail)
        if before is None and new.under_voltage_occurred and not new.under_voltage:
            logger.warning("under-voltage has occurred since boot (%s): the power supply "
                           "is marginal", new.detail)
        return before is None or (new.under_voltage, new.throttled) != (
            before.under_voltage, before.throttled)
