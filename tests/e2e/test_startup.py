"""`kiosk run` that cannot start, typed in a terminal: the reason is shown there, once.

Under systemd the journal line is what an admin reads, and it stays; started by hand,
the same reason must also reach the terminal, or the admin sees only an exit status.
Each process here gets a real pty as its stderr, read from the master side.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk.display.kms import Output, choose_output
from tests.support import journald
from tests.support.harness import ROOT, NotifySocket

GOOD = """
[api]
base_url = "http://127.0.0.1:9/api/v1"
client_id = "rd_client_test"
[storage]
state_dir = "{tmp}/state"
cache_dir = "{tmp}/cache"
"""


@dataclass(frozen=True)
class Fatal:
    """A configuration (None: no file) and environment the daemon cannot start with, and
    the start of each message it must give, in order ({tmp}: the test's directory,
    {config}: the configuration file)."""

    config: str | None
    status: int
    messages: list[str]
    env: dict[str, str] = field(default_factory=dict)


BAD_CONFIG = Fatal(
    "[api]\nbase_url = 'http://api.example.com/v1'\nclient_id = 5\n"
    "[display]\nsize = [0, 480]\nmdoe = 'x'\n",
    78,
    ["configuration: {config}: api.client_id: expected a string, got an integer 5",
     "configuration: {config}: display.mdoe: unknown key (did you mean 'mode'?)",
     "configuration: {config}: api.base_url: plain http:// is allowed only for a loopback "
     "host (got 'api.example.com'); use https://",
     "configuration: {config}: display.size: [0, 480] must be between 160 and 7680 pixels"],
)

FATAL = {
    "bad configuration": BAD_CONFIG,
    "unreadable configuration": Fatal(
        None, 78, ["configuration: {config}: no such file (pass --config PATH)"]),
    "no client id": Fatal(
        GOOD.replace('client_id = "rd_client_test"\n', ""), 78,
        ["configuration: api.client_id: not set (nor RD_CLIENT_ID in the environment)"]),
    "no window": Fatal(
        GOOD.replace("[storage]", "[display]\nfullscreen = false\n[storage]"), 1,
        ["kiosk cannot run: no display: SDL cannot start its video ("],
        env={"SDL_VIDEODRIVER": "no-such-video-driver", "DISPLAY": ":99"}),
    "unusable state directory": Fatal(
        GOOD.replace("{tmp}/state", "{tmp}/a-file/state"), 1,
        ["kiosk cannot run: storage.state_dir: {tmp}/a-file/state cannot be used: "
         "Not a directory"]),
}


@pytest.fixture
def journal_running() -> None:
    reason = journald.ensure_journald()
    if reason:
        pytest.skip(f"needs a journald that answers: {reason}")


def prepare(tmp_path: Path, case: Fatal) -> tuple[Path, list[str], dict[str, str]]:
    """The configuration file, the expected message starts and the environment."""
    config = tmp_path / "kiosk.toml"
    (tmp_path / "a-file").write_text("in the way of a state directory\n")
    if case.config is not None:
        config.write_text(case.config.replace("{tmp}", str(tmp_path)))
    messages = [m.replace("{tmp}", str(tmp_path)).replace("{config}", str(config))
                for m in case.messages]
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
           "PYTHONPATH": str(ROOT)}
    for name in ("RD_CLIENT_ID", "RD_API_KEY", "NOTIFY_SOCKET", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    return config, messages, {**env, **case.env}


def on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, int, list[str]]:
    """Run `argv` with stderr on a new pty: its pid, exit status and the lines shown."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=slave, env=env, cwd=ROOT)
    finally:
        os.close(slave)  # the child holds the only one left: EIO once it has exited
    shown = bytearray()
    try:
        while select.select([master], [], [], 60)[0]:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last holder of the terminal is gone
                break
            if not data:
                break
            shown += data
        return proc.pid, proc.wait(timeout=60), shown.decode(errors="replace").splitlines()
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def assert_shown_once(lines: list[str], messages: list[str]) -> None:
    """The terminal showed exactly the expected errors, each once, in order."""
    assert len(lines) == len(messages), lines
    for line, message in zip(lines, messages, strict=True):
        assert line.startswith(f"error: {message}"), (line, message)
    assert not any("Traceback" in line for line in lines)


@pytest.mark.parametrize("case", FATAL.values(), ids=FATAL.keys())
def test_why_kiosk_run_stops_is_shown_on_the_terminal_and_kept_in_the_journal(
        tmp_path: Path, case: Fatal, journal_running: None) -> None:
    config, messages, env = prepare(tmp_path, case)
    started_us = int(time.time() * 1_000_000)  # only this run's entries, not the journal's past
    pid, status, lines = on_a_terminal(
        [sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)], env)
    assert status == case.status
    assert_shown_once(lines, messages)
    errors = journald.read({"_PID": str(pid), "PRIORITY": "3"}, expect=len(messages),
                           since_us=started_us)
    logged = [e["MESSAGE"] for e in errors if any(e["MESSAGE"].startswith(m) for m in messages)]
    assert len(logged) == len(messages), [e["MESSAGE"] for e in errors]


def test_no_screen_is_no_reason_to_stop(tmp_path: Path) -> None:
    """Full screen without a desktop and with no connector: READY, and STATUS= says why
    nothing is shown (issue 25: it used to exit, and systemd gave up after ten tries)."""
    if isinstance(choose_output(), Output):
        pytest.skip("this machine has a connected screen: the case is played on a fake sysfs")
    config, _, env = prepare(tmp_path, FATAL["no client id"])
    config.write_text(GOOD.replace("{tmp}", str(tmp_path)))
    env.pop("SDL_VIDEODRIVER")
    notify = NotifySocket(tmp_path / "notify.sock")
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            env={**env, "NOTIFY_SOCKET": str(notify.path)}, cwd=ROOT)
    try:
        notify.wait_for("READY=1", 60)
        status = notify.wait_for("STATUS=")
        assert "no display: no display card" in status, status
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        notify.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in stderr.read_text(errors="replace")


# The same start-up through the two other ways a log record reaches stderr: the stderr
# handler used when journald does not answer, and the journal handler's fallback when
# journald stops answering after start-up. Either already writes to the terminal.
SCRIPT = """
import logging, sys
from pathlib import Path
from kiosk.daemon import run
from kiosk.daemon.systemd import setup_logging

setup_logging(journal={journal})
if {refused}:
    def refused(*args, **fields):
        raise ConnectionRefusedError(111, "Connection refused")
    logging.getLogger().handlers[0].send = refused
sys.exit(run(Path(sys.argv[1])))
"""


@pytest.mark.parametrize(
    ("journal", "refused"), [(False, False), (True, True)],
    ids=["stderr handler", "journald refusing"])
def test_not_shown_twice_when_the_log_already_goes_to_the_terminal(
        tmp_path: Path, journal: bool, refused: bool) -> None:
    config, messages, env = prepare(tmp_path, BAD_CONFIG)
    script = SCRIPT.format(journal=journal, refused=refused)
    _, status, lines = on_a_terminal([sys.executable, "-c", script, str(config)], env)
    assert status == 78
    assert_shown_once(lines, messages)


def test_not_on_a_terminal_the_journal_alone_has_it(
        tmp_path: Path, journal_running: None) -> None:
    """Under systemd stderr is a pipe into the journal: writing there would log twice."""
    config, messages, env = prepare(tmp_path, BAD_CONFIG)
    started_us = int(time.time() * 1_000_000)
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
                          check=False)
    assert proc.returncode == 78
    errors = journald.read({"SYSLOG_IDENTIFIER": "kiosk", "PRIORITY": "3"},
                           expect=len(messages), since_us=started_us)
    assert sum(e["MESSAGE"].startswith(messages[0]) for e in errors) == 1
    assert str(config) not in proc.stderr
