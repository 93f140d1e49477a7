"""scripts/lib/apt.sh: the "install what is missing" step that scripts/setup,
scripts/system-test and scripts/install-pi share, run by bash against a fake dpkg-query
and apt-get (first on PATH) that write down what they were asked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "scripts" / "lib" / "apt.sh"
# dpkg-query -W -f=${Status} PKG: only "present" is installed.
FAKE_DPKG_QUERY = """#!/bin/sh
[ "$3" = present ] && printf 'install ok installed'
"""
FAKE_APT_GET = """#!/bin/sh
echo "$*" >>"{log}"
echo "apt-get $1: its own output"
"""
FAKE_SUDO = """#!/bin/sh
echo "sudo $*" >>"{log}"
shift
exec "$@"
"""


def _source(tmp_path: Path, script: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run `script` in bash with the library sourced; its result and apt-get's calls."""
    fakes = tmp_path / "fakes"
    fakes.mkdir(exist_ok=True)
    log = tmp_path / "apt-get.log"
    log.write_text("")
    for name, body in (("dpkg-query", FAKE_DPKG_QUERY), ("apt-get", FAKE_APT_GET.format(log=log)),
                       ("sudo", FAKE_SUDO.format(log=log))):
        (fakes / name).write_text(body)
        (fakes / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{fakes}:{os.environ['PATH']}"}
    res = subprocess.run(["bash", "-c", f'set -euo pipefail; source "{LIB}"; {script}'],
                         env=env, capture_output=True, text=True, timeout=30, check=False)
    return res, log.read_text().splitlines()


def test_only_the_missing_packages_are_installed_quietly(tmp_path: Path) -> None:
    res, calls = _source(tmp_path, 'say() { echo "setup: $*"; }; '
                                   'apt_install_missing --quiet --say say present one two; '
                                   'echo "missing: ${apt_missing[*]}"')
    assert res.returncode == 0, res.stderr
    # install's output is dropped (apt-get -qq still lists what it unpacks), update's kept.
    assert res.stdout == ("setup: installing Debian packages: one two\n"
                          "apt-get update: its own output\nmissing: one two\n")
    apt = [c for c in calls if not c.startswith("sudo ")]
    assert apt == ["update -qq", "install -y -qq --no-install-recommends one two"]
    # Root runs apt-get itself; anyone else through sudo, never prompting.
    sudo = [c for c in calls if c.startswith("sudo ")]
    if os.geteuid() == 0:
        assert sudo == []
    else:
        assert sudo and all(c.startswith("sudo -n ") for c in sudo)


def test_nothing_runs_when_all_are_present(tmp_path: Path) -> None:
    res, calls = _source(tmp_path, 'apt_install_missing --say echo present; '
                                   'echo "missing: ${#apt_missing[@]}"')
    assert res.returncode == 0, res.stderr
    assert res.stdout == "missing: 0\n"
    assert calls == []


def test_a_runner_gets_every_command_that_changes_something(tmp_path: Path) -> None:
    """install-pi's run(): in a dry run it prints the commands and runs none."""
    res, calls = _source(tmp_path, 'run() { echo "would run: $*"; }; '
                                   'apt_install_missing --run-with run present one')
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "would run: apt-get update",
        "would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y "
        "--no-install-recommends one",
    ]
    assert calls == []


def test_a_failing_install_fails_the_caller(tmp_path: Path) -> None:
    res, _ = _source(tmp_path, 'fail() { [ "$1" != env ]; "$@"; }; '
                               'apt_install_missing --run-with fail one; echo "not reached"')
    assert res.returncode != 0
    assert "not reached" not in res.stdout


def test_an_unknown_option_is_refused(tmp_path: Path) -> None:
    res, calls = _source(tmp_path, "apt_install_missing --bogus one")
    assert res.returncode == 2
    assert "unknown option --bogus" in res.stderr
    assert calls == []
