"""The backlight, on a sysfs-shaped directory of real files: dimmed and switched off with
the idle screen, lit again by a scan, and a backlight the kiosk may not write changes
nothing but a line in the journal."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.config import DisplayConfig
from kiosk.display import Card, Display, Idle
from kiosk.display.backlight import Backlight
from kiosk.display.theme import PALETTE
from kiosk.product import Product
from tests.display.checks import pixel
from tests.display.samples import CEREAL


def panel(root: Path, name: str = "10-0045", *, max_brightness: int = 255,
          brightness: int = 0, bl_power: int | None = 4) -> Path:
    """A backlight directory as the kernel shows it (values as text, newline-ended);
    by default one a killed kiosk left dark."""
    path = root / name
    path.mkdir(parents=True)
    (path / "max_brightness").write_text(f"{max_brightness}\n")
    (path / "brightness").write_text(f"{brightness}\n")
    if bl_power is not None:
        (path / "bl_power").write_text(f"{bl_power}\n")
    return path


def read(path: Path) -> tuple[str, str | None]:
    power = path / "bl_power"
    return ((path / "brightness").read_text().strip(),
            power.read_text().strip() if power.exists() else None)


def test_on_dim_blank_and_on_again(tmp_path: Path) -> None:
    light = Backlight(panel(tmp_path))
    assert light.set("on") and read(light.path) == ("255", "0")
    assert light.set("dim") and read(light.path) == ("76", "0")  # 30 % of on
    assert light.set("blank") and read(light.path) == ("76", "4")  # powered down
    assert light.set("on") and read(light.path) == ("255", "0")


def test_brightness_is_a_share_of_the_panels_maximum(tmp_path: Path) -> None:
    light = Backlight(panel(tmp_path, max_brightness=31), brightness_percent=50)
    assert (light.on_level, light.dim_level) == (16, 5)


def test_a_panel_without_bl_power_is_blanked_by_brightness_0(tmp_path: Path) -> None:
    light = Backlight(panel(tmp_path, bl_power=None, brightness=100))
    assert light.set("blank") and read(light.path) == ("0", None)
    assert light.set("on") and read(light.path) == ("255", None)


def test_find(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    root = tmp_path / "class"
    assert Backlight.find("", root=root) is None
    assert Backlight.find("auto", root=root) is None
    assert "no backlight under" in caplog.text

    second = panel(root, "rpi_backlight")
    first = panel(root, "10-0045")
    auto = Backlight.find("auto", root=root)
    assert auto is not None and auto.path == first
    named = Backlight.find(str(second), root=root)
    assert named is not None and named.path == second

    caplog.clear()
    assert Backlight.find(str(root / "gone")) is None
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "painting only" in caplog.text


def test_a_backlight_it_may_not_write_is_reported_once_then_left_alone(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = panel(tmp_path, bl_power=None)
    (path / "brightness").unlink()
    (path / "brightness").mkdir()  # every write fails, even as root (EISDIR)
    light = Backlight(path)
    assert not light.set("dim")
    assert not light.set("on")
    assert not light.set("blank")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "painting only" in warnings[0].getMessage()


def _display(backlight: str) -> Display:
    return Display(DisplayConfig(fullscreen=False, size=[800, 480], dim_after_s=60,
                                 blank_after_s=120, backlight=backlight), now=1000.0)


def test_the_display_drives_the_backlight_with_the_idle_screen(tmp_path: Path) -> None:
    path = panel(tmp_path)
    display = _display(str(path))
    try:
        assert read(path) == ("255", "0")  # lit at start, though left dark before
        display.show(Idle("Shop"), now=3000.0)
        lit = pixel(5, 5)
        display.tick(3061.0)
        assert read(path) == ("76", "0")
        assert pixel(5, 5) == lit  # the backlight dims; the picture is not darkened too
        display.tick(3121.0)
        assert read(path) == ("76", "4")
        assert pixel(5, 5) == (0, 0, 0)
        display.show(Card(Product.from_api(CEREAL)), now=3122.0)  # a scan wakes it at once
        assert read(path) == ("255", "0")
        assert pixel(5, 5) == PALETTE.bg
        display.show(Idle("Shop"), now=4000.0)
        display.tick(4121.0)
        assert read(path)[1] == "4"
    finally:
        display.close()
    assert read(path) == ("255", "0")  # a stopped kiosk leaves the panel lit


def test_without_a_writable_backlight_the_display_dims_by_painting(tmp_path: Path) -> None:
    path = panel(tmp_path, bl_power=None)
    (path / "brightness").unlink()
    (path / "brightness").mkdir()
    display = _display(str(path))
    try:
        display.show(Idle("Shop"), now=3000.0)
        lit = pixel(5, 5)
        display.tick(3061.0)
        assert sum(pixel(5, 5)) < sum(lit)
    finally:
        display.close()
