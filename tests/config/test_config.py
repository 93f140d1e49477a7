"""Configuration: the example is valid, every kind of bad file is refused with the key named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk import config
from kiosk.errors import ConfigError
from tests.helpers import EXAMPLE_CONFIG, write_config


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config.load(write_config(tmp_path, text))
    return info.value.problems


def test_example_is_valid_and_documents_every_key() -> None:
    cfg = config.load(EXAMPLE_CONFIG)
    assert cfg.display.size == [800, 480]
    assert cfg.scanner.kind == "hid"
    text = EXAMPLE_CONFIG.read_text()
    for section in ("api", "scanner", "display", "storage", "metrics"):
        for name in getattr(cfg, section).__dataclass_fields__:
            assert f"{name} =" in text, f"{section}.{name} is not documented in the example"


def test_defaults_when_file_is_empty(tmp_path: Path) -> None:
    cfg = config.load(write_config(tmp_path, ""))
    assert cfg.api.base_url.startswith("https://")
    assert cfg.storage.state_dir == Path("/var/lib/kiosk")
    assert cfg.scanner_devices == ["auto"]


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    cfg = config.load(write_config(tmp_path, '[storage]\nstate_dir = "state"\n'))
    assert cfg.storage.state_dir == tmp_path / "state"


def test_several_devices(tmp_path: Path) -> None:
    text = '[scanner]\ndevice = ["/dev/input/event3", "/dev/input/event4"]\n'
    cfg = config.load(write_config(tmp_path, text))
    assert cfg.scanner_devices == ["/dev/input/event3", "/dev/input/event4"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[api\nbase_url = 1", "malformed TOML"),
        ("[displya]\nmode = 'staff'\n", "displya: unknown key (did you mean 'display'?)"),
        ("[display]\nmdoe = 'staff'\n", "display.mdoe: unknown key (did you mean 'mode'?)"),
        ("[display]\nmode = 'kiosk'\n", "display.mode: 'kiosk' is not one of 'shopper', 'staff'"),
        ("[display]\nfullscreen = 'yes'\n", "display.fullscreen: expected true or false"),
        ("[display]\nsize = [800]\n", "display.size: expected [width, height]"),
        ("[display]\nsize = '800x480'\n", "display.size: expected a list"),
        ("[scanner]\nbaudrate = 'fast'\n", "scanner.baudrate: expected an integer"),
        ("[scanner]\nbaudrate = 12\n", "scanner.baudrate: 12 is below the minimum 1200"),
        ("[scanner]\nkind = 'bluetooth'\n",
         "scanner.kind: 'bluetooth' is not one of 'hid', 'serial'"),
        ("[scanner]\nkind = 'serial'\n", "scanner.device: a serial reader needs a port path"),
        ("[scanner]\nname_pattern = '(['\n", "scanner.name_pattern: invalid regular expression"),
        ("[api]\nbase_url = 'http://api.example.com/api/v1'\n",
         "api.base_url: plain http:// is allowed only for a loopback host"),
        ("[api]\nbase_url = 'ftp://x/'\n", "api.base_url: 'ftp://x/' is not an http(s) URL"),
        ("[api]\nbase_url = 'http://[::1/api'\n",
         "api.base_url: 'http://[::1/api' is not an http(s) URL"),
        ("[api]\nread_timeout_s = 0\n", "api.read_timeout_s: 0 is below the minimum 0.1"),
        ("[storage]\ncache_max_mb = true\n", "storage.cache_max_mb: expected a number"),
        ("api = 3\n", "[api] must be a table"),
        ("[metrics]\ntextfile = 'metrics.prom'\n",
         "metrics.textfile: 'metrics.prom' must be an absolute path"),
        ("[metrics]\ntextfile = '/run/kiosk/metrics.txt'\n",
         "metrics.textfile: '/run/kiosk/metrics.txt' must end in .prom"),
        ("[metrics]\ntextfile = '/run/kiosk/.prom'\n", "must end in .prom"),
        ("[metrics]\ntextfile = 3\n", "metrics.textfile: expected a string"),
        ("[metrics]\ninterval_s = 0.5\n", "metrics.interval_s: 0.5 is below the minimum 1"),
        ("[metrics]\ntextfil = ''\n", "metrics.textfil: unknown key (did you mean 'textfile'?)"),
        ("[fleet]\nstore = 'berlin/mitte'\n", "fleet.store: 'berlin/mitte': up to 64"),
        ("[fleet]\nlane = '-3'\n", "fleet.lane: '-3': up to 64 letters"),
        ("[fleet]\nlane = '" + "x" * 65 + "'\n", "fleet.lane: 'xxxx"),
        ("[fleet]\nstroe = 'a'\n", "fleet.stroe: unknown key (did you mean 'store'?)"),
    ],
)
def test_each_kind_of_bad_file(tmp_path: Path, text: str, expected: str) -> None:
    problems = problems_of(tmp_path, text)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "kiosk.toml")) for p in problems)


def test_every_problem_is_collected(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        "[display]\nmode = 'x'\nsize = 'big'\n[scanner]\nbaudrate = -1\n[storage]\nttl = 3\n",
    )
    assert len(problems) == 4, problems


def test_metrics_are_off_unless_a_textfile_is_named(tmp_path: Path) -> None:
    assert config.load(write_config(tmp_path, "")).metrics.path is None
    cfg = config.load(write_config(tmp_path, "[metrics]\ntextfile = '/run/kiosk/metrics.prom'\n"))
    assert cfg.metrics.path == Path("/run/kiosk/metrics.prom")
    assert cfg.metrics.interval_s == 5.0


def test_metrics_problems_are_reported_with_the_others(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path, "[metrics]\ntextfile = 'x.txt'\ninterval_s = 0\n[display]\nmode = 'x'\n")
    assert len(problems) == 3, problems


def reported(tmp_path: Path, text: str) -> list[str]:
    """The problems of a file, without the file name each starts with."""
    prefix = f"{tmp_path / 'kiosk.toml'}: "
    problems = problems_of(tmp_path, text)
    assert all(p.startswith(prefix) for p in problems), problems
    return [p.removeprefix(prefix) for p in problems]


def regex_error(pattern: str) -> str:
    """What `re` says about `pattern`, in this Python's words."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    raise AssertionError(f"{pattern!r} compiles")


PLAIN_HTTP = ("api.base_url: plain http:// is allowed only for a loopback host "
              "(got 'api.example.com'); use https://")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "[api]\nbase_url = 'http://api.example.com/v1'\nclient_id = 5\n",
            ["api.client_id: expected a string, got an integer 5", PLAIN_HTTP],
            id="type error beside a cross-field rule"),
        pytest.param(
            "[display]\nsize = [0, 480]\nmdoe = 'x'\n",
            ["display.mdoe: unknown key (did you mean 'mode'?)",
             "display.size: [0, 480] must be between 160 and 7680 pixels"],
            id="unknown key beside an impossible size"),
        pytest.param(
            "[display]\nsize = 'big'\nmdoe = 'x'\n",
            ["display.size: expected a list, got a string 'big'",
             "display.mdoe: unknown key (did you mean 'mode'?)"],
            id="a field that failed its type is not checked again"),
        pytest.param(
            "[display]\nsize = [800, 'x']\n",
            ["display.size[1]: expected an integer, got a string 'x'"],
            id="an item that failed its type is not checked again"),
        pytest.param(
            "[scanner]\nkind = 'bluetooth'\ndevice = 'auto'\nbaudrate = 'fast'\n",
            ["scanner.kind: 'bluetooth' is not one of 'hid', 'serial'",
             "scanner.baudrate: expected an integer, got a string 'fast'"],
            id="a rule between fields is skipped when one of them is invalid"),
        pytest.param(
            "[scanner]\nkind = 'serial'\ndevice = 5\n",
            ["scanner.device: expected a string or a list, got an integer 5"],
            id="an invalid field's default does not stand in for it in a rule"),
        pytest.param(
            "[scanner]\nkind = 'bluetooth'\ndevice = ''\n",
            ["scanner.kind: 'bluetooth' is not one of 'hid', 'serial'",
             'scanner.device: must name a device or be "auto"'],
            id="a rule on a valid field still runs beside an invalid one"),
        pytest.param(
            "[scanner]\nkind = 'serial'\nbaudrate = 12\nnmae_pattern = 'x'\n"
            "name_pattern = '(['\n",
            ["scanner.baudrate: 12 is below the minimum 1200",
             "scanner.nmae_pattern: unknown key (did you mean 'name_pattern'?)",
             'scanner.device: a serial reader needs a port path such as /dev/serial/by-id/…, '
             'not "auto"',
             f"scanner.name_pattern: invalid regular expression: {regex_error('([')}"],
            id="bounds, unknown key and two rules in one section"),
        pytest.param(
            "api = 3\n[display]\nsize = [800]\n[storage]\ncahce_dir = '/tmp'\n",
            ["[api] must be a table, not an integer",
             "storage.cahce_dir: unknown key (did you mean 'cache_dir'?)",
             "display.size: expected [width, height], got [800]"],
            id="a section that is not a table beside rules elsewhere"),
    ],
)
def test_problems_that_meet_in_one_section_are_all_reported(
        tmp_path: Path, text: str, expected: list[str]) -> None:
    assert reported(tmp_path, text) == expected


# One bad line each, on different keys: a file with all of them must report exactly what
# each reports alone, whatever kind of check finds it.
FRAGMENTS = [
    ("api", "client_id = 5"),
    ("api", "base_url = 'http://api.example.com/v1'"),
    ("api", "read_timeout_s = 0"),
    ("api", "timeout = 3"),
    ("scanner", "kind = 'serial'"),
    ("scanner", "baudrate = 'fast'"),
    ("scanner", "name_pattern = '(['"),
    ("scanner", "layout = 'dvorak'"),
    ("display", "size = [0, 480]"),
    ("display", "mdoe = 'x'"),
    ("display", "fullscreen = 'yes'"),
    ("display", "brightness_percent = 101"),
    ("storage", "cache_max_mb = 0"),
    ("storage", "state_dir = 3"),
    ("storage", "ttl = 3"),
]


def toml_of(fragments: list[tuple[str, str]]) -> str:
    sections: dict[str, list[str]] = {}
    for section, line in fragments:
        sections.setdefault(section, []).append(line)
    return "".join(f"[{name}]\n" + "".join(f"{line}\n" for line in lines)
                   for name, lines in sections.items())


def test_a_file_reports_what_each_of_its_bad_lines_reports_alone(tmp_path: Path) -> None:
    alone = [reported(tmp_path, toml_of([fragment])) for fragment in FRAGMENTS]
    assert all(len(problems) == 1 for problems in alone), alone
    together = reported(tmp_path, toml_of(FRAGMENTS))
    assert sorted(together) == sorted(p for problems in alone for p in problems)


def test_loopback_http_is_allowed(tmp_path: Path) -> None:
    for host in ("127.0.0.1", "localhost", "[::1]", "127.0.0.2"):
        cfg = config.load(write_config(tmp_path, f"[api]\nbase_url = 'http://{host}:8700/api/v1'\n"))
        assert cfg.api.base_url.startswith("http://")


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        config.load(tmp_path / "absent.toml")
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe[api]")
    with pytest.raises(ConfigError, match="not UTF-8"):
        config.load(bad)


def test_client_id_from_environment(tmp_path: Path) -> None:
    cfg = config.load(write_config(tmp_path, ""))
    assert config.resolve_client_id(cfg, {"RD_CLIENT_ID": "rd_client_x"}) == "rd_client_x"
    with pytest.raises(ConfigError, match=r"api\.client_id"):
        config.resolve_client_id(cfg, {})


def test_a_good_proxy_with_credentials_passes(tmp_path: Path) -> None:
    cfg = config.load(write_config(tmp_path, '[api]\nproxy = "http://kiosk:pw@proxy.lan:3128"\n'))
    assert cfg.api.proxy == "http://kiosk:pw@proxy.lan:3128"
    assert config.mask_url(cfg.api.proxy) == "http://kiosk:****@proxy.lan:3128"


def test_fleet_labels_become_journal_fields_when_set(tmp_path: Path) -> None:
    cfg = config.load(write_config(tmp_path, "[fleet]\nstore = 'Berlin Mitte'\nlane = ''\n"))
    assert cfg.fleet.journal_fields() == {"KIOSK_STORE": "Berlin Mitte"}
    assert config.Config().fleet.journal_fields() == {}
