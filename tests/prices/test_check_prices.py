"""`kiosk check-prices FILE`: the admin's check, what it prints, its exit status, and that
it loads neither httpx nor pygame."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import config
from kiosk.cli import main
from kiosk.errors import ConfigError
from kiosk.exitcodes import EX_CONFIG, EX_DATAERR, EX_FAILURE, EX_OK
from tests.cli.test_cli_imports import HEAVY, loaded_by
from tests.helpers import write_config
from tests.prices.price_files import GOOD, write


def test_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, GOOD)
    assert main(["check-prices", str(path)]) == EX_OK
    out, err = capsys.readouterr()
    assert out == f"{path}: OK: 3 entries, 1 promotions, 1 recalls, 1 age limits\n"
    assert err == ""


def test_a_bad_file_gets_every_problem_placed(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "barcode,price,age_limit\n012345678905,-1,\n012345678906,1,120\n")
    assert main(["check-prices", str(path)]) == EX_DATAERR
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}:2:2: price: -1 is negative",
        f"{path}:3:1: barcode: '012345678906': check digit should be 5, not 6",
        f"{path}:3:3: age_limit: '120' is not a whole number from 0 to 99",
        f"{path}: 3 problem(s); the kiosk would refuse it and keep its old prices",
    ]


def test_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-prices", str(tmp_path / "missing.csv")]) == EX_FAILURE
    assert capsys.readouterr().err == (
        f"{tmp_path / 'missing.csv'}: cannot be read: No such file or directory\n")


def test_the_bounds_come_from_the_configuration(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, GOOD)
    cfg = write_config(tmp_path, "[prices]\nmax_rows = 2\n")
    assert main(["check-prices", str(path), "--config", str(cfg)]) == EX_DATAERR
    assert ":4:1: more than 2 rows (prices.max_rows)" in capsys.readouterr().err
    bad = write_config(tmp_path, "[prices]\nmax_rows = 0\n")
    assert main(["check-prices", str(path), "--config", str(bad)]) == EX_CONFIG


def test_check_prices_loads_neither_httpx_nor_pygame(tmp_path: Path) -> None:
    """The GS1 rule is the scanner package's, whose import loads evdev's event types
    (no device is opened); nothing of the network or the screen."""
    heavy = tuple(h for h in HEAVY if h != "evdev")
    code, loaded = loaded_by(["check-prices", str(write(tmp_path, GOOD))], heavy)
    assert code == EX_OK
    assert loaded == []


def test_the_prices_section(tmp_path: Path) -> None:
    cfg = config.load(write_config(tmp_path, "[prices]\npath = 'prices.csv'\n"))
    assert cfg.prices.path == tmp_path / "prices.csv"
    assert (cfg.prices.url, cfg.prices.currency, cfg.prices.skip_api_for_unknown) == (
        "", "EUR", False)
    with pytest.raises(ConfigError) as err:
        config.load(write_config(tmp_path, "[prices]\nurl = 'http://prices.example/p.csv'\n"
                                           "currency = 'euro'\npoll_interval_s = 1\n"))
    problems = [p.split(": ", 1)[1] for p in err.value.problems]
    assert sorted(problems) == sorted([
        "prices.poll_interval_s: 1 is below the minimum 5",
        "prices.url: plain http:// is allowed only for a loopback host (got "
        "'prices.example'); use https://",
        "prices.currency: 'euro' is not an ISO 4217 code such as \"EUR\", \"USD\" or \"ILS\"",
    ])
