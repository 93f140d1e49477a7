"""`kiosk config set`: keys changed in place, everything else kept, nothing written unless
the whole file is valid."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from kiosk import config
from kiosk.cli import main
from tests.helpers import EXAMPLE_CONFIG


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_bytes(EXAMPLE_CONFIG.read_bytes())
    return path


def kiosk_set(path: Path, *pairs: str, stdout: bool = False) -> int:
    return main(["config", "set", "--config", str(path), *(["--stdout"] if stdout else []),
                 *pairs])


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_only_the_lines_of_the_keys_change(example: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    before = example.read_text()
    assert kiosk_set(example, "display.rotation", "90", "display.output", "HDMI-A-1",
                     "api.client_id", "rd_client_mine") == 0
    after = example.read_text()
    assert changed_lines(before, after) == [
        ('client_id = "rd_client_01h8y3g7z8mnpqrsw"            # example',
         'client_id = "rd_client_mine"'),  # the example's mark goes with the example value
        ('output = ""                      # e.g. "HDMI-A-1", "HDMI-A-2", "DSI-1"',
         'output = "HDMI-A-1"              # e.g. "HDMI-A-1", "HDMI-A-2", "DSI-1"'),
        ("rotation = 0", "rotation = 90"),
    ]
    cfg = config.load(example)
    assert (cfg.display.rotation, cfg.display.output) == (90, "HDMI-A-1")
    assert capsys.readouterr().out.splitlines() == [
        f"{example}: set display.rotation", f"{example}: set display.output",
        f"{example}: set api.client_id"]


@pytest.mark.parametrize(
    ("key", "arg", "expected"),
    [
        ("display.rotation", "270", 270),
        ("display.fullscreen", "false", False),
        ("display.card_seconds", "7.5", 7.5),
        ("display.size", "[1024, 600]", [1024, 600]),
        ("display.output", '"DSI-1"', "DSI-1"),  # a TOML string literal
        ("display.output", "DSI-1", "DSI-1"),  # a string key takes it as it is
        ("fleet.lane", "3", "3"),  # not the integer: the key takes a string
        ("display.store_name", 'Café "Zur Post" \\ #1', 'Café "Zur Post" \\ #1'),
        ("display.logo", "/etc/kiosk/logo.png", Path("/etc/kiosk/logo.png")),
        ("scanner.device", '["/dev/input/event3", "/dev/input/event4"]',
         ["/dev/input/event3", "/dev/input/event4"]),
        ("fleet.store", "", ""),
    ],
)
def test_each_kind_of_value(example: Path, key: str, arg: str, expected: Any) -> None:
    assert kiosk_set(example, key, arg) == 0
    section, _, name = key.partition(".")
    assert getattr(getattr(config.load(example), section), name) == expected


@pytest.mark.parametrize(
    ("pairs", "problem"),
    [
        (["display.rotaton", "90"], "display.rotaton: unknown key (did you mean 'rotation'?)"),
        (["dispaly.rotation", "90"], "dispaly: unknown key (did you mean 'display'?)"),
        (["rotation", "90"], "'rotation': name a key as section.key"),
        (["display.rotation", "45"], "display.rotation: 45 is not one of 0, 90, 180, 270"),
        (["display.rotation", "ninety"],
         "display.rotation: expected an integer, got a string 'ninety'"),
        (["display.fullscreen", "yes"], "display.fullscreen: expected true or false"),
        (["display.output", "/dev/dri/card1"], "display.output: '/dev/dri/card1' is not a "
                                               "connector name"),
        (["display.size", "800"], "display.size: expected a list, got an integer 800"),
        (["scanner.kind", "serial"], "scanner.device: a serial reader needs a port path"),
    ],
)
def test_a_bad_key_or_value_is_refused_in_one_line_and_nothing_is_written(
        example: Path, capsys: pytest.CaptureFixture[str], pairs: list[str],
        problem: str) -> None:
    before = example.stat()
    assert kiosk_set(example, *pairs) == 78
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {example}: ")
    assert problem in err[0]
    after = example.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert example.read_bytes() == EXAMPLE_CONFIG.read_bytes()


def test_every_unknown_key_is_named_at_once(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kiosk_set(example, "display.rotaton", "90", "fleet.stor", "x", "fleet.lane", "3") == 78
    err = capsys.readouterr().err
    assert "display.rotaton: unknown key" in err and "fleet.stor: unknown key" in err
    assert example.read_bytes() == EXAMPLE_CONFIG.read_bytes()


def test_fields_that_depend_on_each_other_are_set_together(example: Path) -> None:
    assert kiosk_set(example, "scanner.kind", "serial", "scanner.device",
                     "/dev/serial/by-id/usb-scanner") == 0
    cfg = config.load(example)
    assert (cfg.scanner.kind, cfg.scanner_devices) == ("serial", ["/dev/serial/by-id/usb-scanner"])


def test_a_key_the_file_lacks_joins_its_section_and_a_section_is_added(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('# mine\n[display]\nmode = "staff"   # for the staff room\n\n'
                    '# the API\n[api]\nclient_id = "rd_client_x"\n')
    assert kiosk_set(path, "display.rotation", "90", "fleet.store", "berlin-mitte") == 0
    assert path.read_text() == (
        '# mine\n[display]\nmode = "staff"   # for the staff room\nrotation = 90\n\n'
        '# the API\n[api]\nclient_id = "rd_client_x"\n\n[fleet]\nstore = "berlin-mitte"\n')


def test_a_value_over_several_lines_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[scanner]\ndevice = [\n  "/dev/input/event3",  # left\n'
                    '  "/dev/input/event4",\n]\nbaudrate = 9600\n')
    assert kiosk_set(path, "scanner.device", "auto") == 0
    assert path.read_text() == '[scanner]\ndevice = "auto"\nbaudrate = 9600\n'


def test_a_line_inside_a_value_is_not_taken_for_a_key(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[display]\nstore_name = """Welcome\nrotation = 5\n"""\n')
    assert kiosk_set(path, "display.rotation", "90") == 0
    assert path.read_text() == (
        '[display]\nstore_name = """Welcome\nrotation = 5\n"""\nrotation = 90\n')


def test_the_mode_stays_and_a_link_is_followed(tmp_path: Path, example: Path) -> None:
    example.chmod(0o640)
    link = tmp_path / "link.toml"
    link.symlink_to(example)
    assert kiosk_set(link, "display.mode", "staff") == 0
    assert link.is_symlink()
    assert config.load(example).display.mode == "staff"
    assert stat.S_IMODE(example.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kiosk.toml", "link.toml"]


def test_a_value_already_set_leaves_the_file_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[display]\nrotation=0\ncard_seconds = 20.00\n")
    before = path.stat()
    assert kiosk_set(path, "display.rotation", "0", "display.card_seconds", "20.0") == 0
    assert capsys.readouterr().out == f"{path}: up to date\n"
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert kiosk_set(path, "display.card_seconds", "20") == 0  # an integer now: rewritten
    assert path.read_text() == "[display]\nrotation=0\ncard_seconds = 20\n"


def test_stdout_prints_the_edited_file_and_writes_nothing(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kiosk_set(example, "metrics.textfile", "/run/kiosk/metrics.prom", stdout=True) == 0
    out = capsys.readouterr().out
    assert tomllib.loads(out)["metrics"]["textfile"] == "/run/kiosk/metrics.prom"
    assert example.read_bytes() == EXAMPLE_CONFIG.read_bytes()


def test_the_rest_of_the_file_must_be_valid_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[display]\nmode = 'kiosk'\n")
    assert kiosk_set(path, "display.rotation", "90") == 78
    assert "display.mode: 'kiosk' is not one of" in capsys.readouterr().err
    assert kiosk_set(path, "display.mode", "staff") == 0  # setting the bad key mends it
    assert path.read_text() == '[display]\nmode = "staff"\n'


@pytest.mark.parametrize("text", ['display = { mode = "staff" }\n',
                                  'display.mode = "staff"\n'])
def test_a_layout_it_cannot_edit_in_place_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    assert kiosk_set(path, "display.rotation", "90") == 78
    assert "cannot be set in place" in capsys.readouterr().err
    assert path.read_text() == text


def test_a_missing_file_and_odd_pairs_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kiosk_set(tmp_path / "absent.toml", "display.rotation", "90") == 78
    assert "no such file" in capsys.readouterr().err
    assert kiosk_set(tmp_path / "absent.toml", "display.rotation", "90", "display.mode") == 2
    assert not (tmp_path / "absent.toml").exists()


def test_only_a_regular_file_is_replaced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A link to a device or a pipe is refused before it is read (a pipe would block,
    and replacing /dev/null with a file would break the machine)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "kiosk.toml"
    link.symlink_to(fifo)
    assert kiosk_set(link, "display.rotation", "90") == 78
    assert f"{link}: not a regular file" in capsys.readouterr().err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
