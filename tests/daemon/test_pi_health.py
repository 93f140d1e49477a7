"""The daemon's view of the Pi: state in RAM and a weak supply reach Health, the staff bar,
STATUS= and the metrics, each with one journal line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.config import StorageConfig
from kiosk.daemon._pi import STATE_NOTICE, PiHealth
from kiosk.daemon.health import Health, status_line
from kiosk.daemon.power import PowerWatch
from kiosk.metrics import Gauges, Metrics
from kiosk.sandbox import Sandbox

THROTTLED = "devices/platform/soc/soc:firmware/get_throttled"


def _mountinfo(tmp_path: Path, state_fs: str) -> Path:
    info = tmp_path / "mountinfo"
    info.write_text(
        "23 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"
        f"60 23 0:70 / /var/lib/kiosk rw,relatime shared:9 - {state_fs} {state_fs} rw\n")
    return info


def _sysfs(tmp_path: Path, word: str) -> Path:
    path = tmp_path / "sys" / THROTTLED
    path.parent.mkdir(parents=True)
    path.write_text(word + "\n")
    return tmp_path / "sys"


STORAGE = StorageConfig(state_dir=Path("/var/lib/kiosk"), cache_dir=Path("/var/cache/kiosk"))


def test_state_in_ram_is_said_once_and_shown(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    health = Health()
    pi = PiHealth(health, PowerWatch(tmp_path / "nosys"), _mountinfo(tmp_path, "tmpfs"))
    caplog.set_level(logging.WARNING)
    pi.check_state(STORAGE)
    assert health.state_durable is False
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert warnings[0].startswith("queued scans are kept in RAM: a power cut loses them "
                                  "(/var/lib/kiosk: /var/lib/kiosk (tmpfs) is in RAM)")
    assert "install-pi --state-dir" in warnings[0]
    assert health.status_info().last_error == STATE_NOTICE
    assert status_line(health).endswith(STATE_NOTICE)
    assert pi.due is None  # no firmware files: never polled


def test_state_on_disk_says_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    health = Health()
    pi = PiHealth(health, PowerWatch(tmp_path / "nosys"), _mountinfo(tmp_path, "ext4"))
    caplog.set_level(logging.WARNING)
    pi.check_state(STORAGE)
    assert health.state_durable is True and not caplog.records and not health.notices


def test_an_error_the_api_reported_goes_before_the_hint(tmp_path: Path) -> None:
    health = Health(last_error="API key refused: replace the key file")
    PiHealth(health, PowerWatch(tmp_path / "nosys"),
             _mountinfo(tmp_path, "tmpfs")).check_state(STORAGE)
    assert health.status_info().last_error == "API key refused: replace the key file"


def test_power_reaches_health_and_the_metrics(tmp_path: Path) -> None:
    sysfs = _sysfs(tmp_path, "0x50005")
    health = Health()
    pi = PiHealth(health, PowerWatch(sysfs), _mountinfo(tmp_path, "ext4"))
    assert pi.due == 0.0
    assert pi.poll_if_due(1.0)
    assert health.power is not None and health.power.under_voltage
    assert health.notices["power"] == "under-voltage: power supply too weak"
    assert not pi.poll_if_due(2.0)  # polled every 5 s
    metrics = Metrics(started_at=0.0)
    metrics.update(Gauges(state_durable=True, undervoltage=health.power.under_voltage,
                          throttled=health.power.throttled))
    text = metrics.render()
    assert "kiosk_undervoltage 1\n" in text and "kiosk_throttled 1\n" in text
    assert "kiosk_state_durable 1\n" in text
    (sysfs / THROTTLED).write_text("0x50000\n")
    assert pi.poll_if_due(6.0)
    assert "power" not in health.notices


def test_off_a_pi_the_power_metrics_are_absent() -> None:
    text = Metrics(started_at=0.0).render()
    for name in ("kiosk_undervoltage", "kiosk_throttled", "kiosk_state_durable"):
        assert f"# TYPE {name} gauge\n" in text
        assert f"\n{name} " not in text


def test_the_daemon_says_it_at_start_and_in_its_metrics(
        ram_dir: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole daemon with its state in RAM and a Pi whose supply sags."""
    from tests.daemon.inprocess import InProcess, messages, metrics_written
    from tests.helpers import wait_for
    from tests.test_metrics import parse, value

    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC"):
        monkeypatch.delenv(name, raising=False)
    prom = ram_dir / "metrics.prom"
    kiosk = InProcess(ram_dir, sandbox, metrics_file=prom)
    sysfs = _sysfs(ram_dir, "0x50005")
    kiosk.daemon.pi = PiHealth(kiosk.daemon.health, PowerWatch(sysfs))
    caplog.set_level(logging.INFO)
    seen: list[str] = []

    def scenario(k: InProcess) -> None:
        wait_for(lambda: ("kiosk_undervoltage", frozenset()) in metrics_written(prom))
        seen.append(prom.read_text())
        seen.append(status_line(k.daemon.health))

    kiosk.run(scenario)
    samples = parse(seen[0])[1]
    assert value(samples, "kiosk_state_durable") == 0
    assert value(samples, "kiosk_undervoltage") == 1
    assert value(samples, "kiosk_throttled") == 1
    assert len(messages(caplog, "queued scans are kept in RAM")) == 1
    assert len(messages(caplog, "under-voltage: the power supply is too weak")) == 1
    assert STATE_NOTICE in seen[1] and "under-voltage" in seen[1]
