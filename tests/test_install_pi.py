"""scripts/install-pi and the udev rule it installs.

The dry run is the installer's whole sequence with every change printed instead of made,
so it is run for real on this machine, which must be left exactly as it was. A real
install goes into a temporary ``--prefix`` (slow: it builds a venv). The udev rule is
checked by a small grammar here, and by udev's own parser where udevadm is installed.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.chroot import mounts_under

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install-pi"
RULES = ROOT / "systemd" / "99-barcode-scanner.rules"
BACKLIGHT_RULES = ROOT / "systemd" / "99-kiosk-backlight.rules"
UNIT = ROOT / "systemd" / "kiosk.service"
EXAMPLE_CONFIG = ROOT / "config" / "kiosk.toml"
# The README and docs/ (install.md, screens.md, operations.md) show install-pi commands.
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# What a real install on this machine would create or change.
WATCHED = [
    Path("/opt/kiosk"),
    Path("/etc/kiosk"),
    Path("/etc/systemd/system/kiosk.service"),
    Path("/etc/udev/rules.d/99-barcode-scanner.rules"),
    Path("/etc/udev/rules.d/99-kiosk-backlight.rules"),
    Path("/etc/systemd/system/kiosk.service.d"),
    Path("/var/lib/prometheus/node-exporter/kiosk.prom"),
    Path("/etc/systemd/system/getty@tty1.service"),
    Path("/etc/systemd/system/getty@tty1.service.d"),
    Path("/etc/systemd/logind.conf.d"),
    Path("/etc/systemd/system.conf.d"),
    Path("/etc/systemd/system/default.target"),
    Path("/boot/firmware/cmdline.txt"),
    Path("/boot/cmdline.txt"),
]
SECRET = "sk_live_DO_NOT_PRINT_7f3a9c"


def _snapshot() -> dict[str, object]:
    """The state a dry run must not touch: the watched paths and the kiosk user/groups."""
    state: dict[str, object] = {}
    for path in WATCHED:
        try:
            st = path.lstat()
        except FileNotFoundError:
            state[str(path)] = None
        else:
            state[str(path)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    try:
        state["user"] = pwd.getpwnam("kiosk")
    except KeyError:
        state["user"] = None
    state["groups"] = Path("/etc/group").read_text()
    return state


def _install(
    *args: str | Path, stdin: str | None = None, user: int | None = None,
    backlights: Path | None = None, script: Path = SCRIPT, fakes: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run install-pi; `backlights` stands in for /sys/class/backlight, and the commands
    in `fakes` for the machine's own (first on PATH)."""
    cmd = [str(script), *map(str, args)]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    env = dict(os.environ)
    if backlights is not None:
        env["KIOSK_BACKLIGHT_CLASS"] = str(backlights)
    if fakes is not None:
        env["PATH"] = f"{fakes}:{env['PATH']}"
    return subprocess.run(
        cmd,
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _actions(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("would run: ", "would write: "))]


def _index(actions: list[str], needle: str) -> int:
    hits = [i for i, line in enumerate(actions) if needle in line]
    assert hits, f"no action contains {needle!r}:\n" + "\n".join(actions)
    return hits[0]


# --- the script as a whole -------------------------------------------------------------


def test_script_is_executable_and_parses() -> None:
    assert os.access(SCRIPT, os.X_OK)
    res = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


def test_help_lists_every_option() -> None:
    res = _install("--help")
    assert res.returncode == 0
    for option in (
        "--api-key-file",
        "--api-key-stdin",
        "--client-id",
        "--no-start",
        "--dry-run",
        "--prefix",
        "--wheels",
        "--metrics",
        "--log-server",
        "--log-server-ca",
        "--ntp-server",
        "--store",
        "--lane",
        "--keep-desktop",
        "--no-console-changes",
        "--undo-console",
        "--no-hw-watchdog",
        "--journal",
    ):
        assert option in res.stdout


def test_docs_mention_only_real_options() -> None:
    help_text = _install("--help").stdout
    used = {line for doc in DOCS for line in re.findall(r"install-pi[^\n`]*", doc.read_text())}
    options = {opt for line in used for opt in re.findall(r"--[a-z][a-z-]+", line)}
    assert options, "the doc shows no install-pi command"
    assert {opt for opt in options if opt not in help_text} == set()


# --- dry runs on this machine ----------------------------------------------------------


def test_state_dir_moves_state_and_cache_to_a_disk_of_their_own() -> None:
    before = _snapshot()
    res = _install("--dry-run", "--state-dir", "/srv/kiosk/")
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)
    if not Path("/etc/kiosk/kiosk.toml").exists():
        write = _index(actions, "would write: /etc/kiosk/kiosk.toml (mode 0640")
        assert ('storage.state_dir = "/srv/kiosk/state", storage.cache_dir = '
                '"/srv/kiosk/cache"') in actions[write]
    for sub in ("state", "cache"):
        _index(actions, f"would run: install -d -m 0700 -o kiosk -g kiosk /srv/kiosk/{sub}")
    dropin = _index(actions, "would write: /etc/systemd/system/kiosk.service.d/state-dir.conf")
    assert dropin < _index(actions, "kiosk check-config --config /etc/kiosk/kiosk.toml")


@pytest.mark.parametrize("bad", ["srv/kiosk", "/", "/srv/my kiosk"])
def test_state_dir_must_be_an_absolute_path_a_unit_can_name(bad: str) -> None:
    res = _install("--dry-run", "--state-dir", bad)
    assert res.returncode == 2 and "--state-dir" in res.stderr


def test_dry_run_prints_the_whole_install_and_changes_nothing() -> None:
    before = _snapshot()
    res = _install("--dry-run")
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)

    unit = _index(actions, f"install -D -m 0644 {UNIT} /etc/systemd/system/kiosk.service")
    _index(actions, f"{RULES.name} /etc/udev/rules.d/99-barcode-scanner.rules")
    if not Path("/opt/kiosk/venv/bin/python").exists():
        _index(actions, "would run: python3 -m venv /opt/kiosk/venv")
    pip = _index(actions, "/opt/kiosk/venv/bin/python -m pip install")
    assert actions[pip].endswith(" /opt/kiosk/src")
    assert "-e" not in actions[pip].split(), "the install must not be editable"
    copy = _index(actions, "cp -R")
    assert f"{ROOT}/kiosk" in actions[copy]
    assert "/.git" not in actions[copy] and "/.venv" not in actions[copy]

    if Path("/etc/kiosk/kiosk.toml").exists():
        assert "keeping the existing /etc/kiosk/kiosk.toml" in res.stdout
        assert not any("would write: /etc/kiosk/kiosk.toml" in a for a in actions)
    else:
        write = _index(actions, "would write: /etc/kiosk/kiosk.toml (mode 0640")
        assert "absent" in actions[write]
    check = _index(actions, "kiosk check-config --config /etc/kiosk/kiosk.toml")

    reload = _index(actions, "would run: systemctl daemon-reload")
    enable = _index(actions, "would run: systemctl enable --now kiosk")
    assert pip < check < enable
    assert unit < reload < enable
    assert re.search(r"dry run done: \d+ changes to make; nothing was changed$", res.stdout)
    if not Path("/etc/kiosk/api_key").exists():
        assert 'will show "no API key"' in res.stderr


def test_dry_run_never_shows_the_key_from_a_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text(SECRET + "\n")
    before = _snapshot()
    res = _install("--dry-run", "--api-key-file", key)
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    assert SECRET not in res.stdout + res.stderr
    write = _index(_actions(res.stdout), "would write: /etc/kiosk/api_key (mode 0600")
    assert str(key) in _actions(res.stdout)[write]
    assert key.read_text() == SECRET + "\n"


def test_dry_run_does_not_read_the_key_from_stdin() -> None:
    before = _snapshot()
    res = _install("--dry-run", "--api-key-stdin", "--no-start", stdin=SECRET + "\n")
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    assert SECRET not in res.stdout + res.stderr
    actions = _actions(res.stdout)
    _index(actions, "would write: /etc/kiosk/api_key (mode 0600")
    _index(actions, "would run: systemctl enable kiosk")
    # Nothing (re)starts the kiosk; the getty on tty1 is stopped all the same.
    assert not any("--now kiosk" in a or "restart kiosk" in a for a in actions)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to drop to an unprivileged user",
)
def test_dry_run_needs_no_root() -> None:
    # The checkout may sit where nobody else may look (/root): the script and the files
    # it checks for are copied somewhere every user can read, as an admin's clone would be.
    with tempfile.TemporaryDirectory(prefix="kiosk-install-pi-") as tmp:
        copy = Path(tmp)
        copy.chmod(0o755)
        for part in ("scripts/install-pi", "scripts/install-pi-boot", "scripts/lib",
                     "pyproject.toml", "config", "systemd"):
            source, target = ROOT / part, copy / part
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
        before = _snapshot()
        res = _install("--dry-run", user=65534, script=copy / "scripts/install-pi")
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    assert "sudo" not in res.stdout
    _index(_actions(res.stdout), "would run: systemctl enable --now kiosk")


def _installed(package: str) -> bool:
    res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                         text=True, check=False)
    return "install ok installed" in res.stdout


def test_dry_run_with_metrics_links_node_exporter_to_the_kiosks_file() -> None:
    before = _snapshot()
    res = _install("--dry-run", "--metrics", "--client-id", "rd_client_mine")
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)
    if not _installed("prometheus-node-exporter"):
        apt = _index(actions, "apt-get install")
        assert "prometheus-node-exporter" in actions[apt].split()
    link = _index(actions, "would run: ln -sfn /run/kiosk/metrics.prom "
                           "/var/lib/prometheus/node-exporter/kiosk.prom")
    if Path("/etc/kiosk/kiosk.toml").exists():
        assert "metrics.textfile" in res.stdout + res.stderr
    else:
        write = _index(actions, "would write: /etc/kiosk/kiosk.toml")
        assert 'metrics.textfile = "/run/kiosk/metrics.prom"' in actions[write]
        assert 'api.client_id = "rd_client_mine"' in actions[write]
    check = _index(actions, "kiosk check-config")
    kiosk = _index(actions, "would run: systemctl enable --now kiosk")
    exporter = _index(actions, "would run: systemctl enable --now prometheus-node-exporter")
    assert link < check < kiosk < exporter

    plain = _actions(_install("--dry-run").stdout)
    assert not any("prometheus" in a or "metrics" in a for a in plain)


def test_dry_run_with_a_log_server_sets_up_journal_upload(tmp_path: Path) -> None:
    ca = tmp_path / "log-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    before = _snapshot()
    res = _install("--dry-run", "--log-server", "https://logs.example.com:19532",
                   "--log-server-ca", ca)
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)
    if not _installed("systemd-journal-remote"):
        assert "systemd-journal-remote" in actions[_index(actions, "apt-get install")].split()
    ca_copy = _index(actions, "would write: /etc/kiosk/log-server-ca.pem (mode 0644")
    conf = _index(actions, "would write: /etc/systemd/journal-upload.conf.d/kiosk.conf")
    assert "upload to https://logs.example.com:19532" in actions[conf]
    retry = _index(actions, "would write: /etc/systemd/system/systemd-journal-upload.service.d/")
    reload = _index(actions, "would run: systemctl daemon-reload")
    enable = _index(actions, "would run: systemctl enable systemd-journal-upload")
    restart = _index(actions, "would run: systemctl restart systemd-journal-upload")
    assert ca_copy < conf < retry < reload < enable < restart
    assert "plain HTTP" not in res.stderr

    clear = _install("--dry-run", "--log-server", "http://10.1.2.3:19532")
    assert clear.returncode == 0, clear.stderr
    assert "plain HTTP: the journal crosses the network unencrypted" in clear.stderr
    plain = _actions(_install("--dry-run").stdout)
    assert not any("journal-upload" in a or "journal-remote" in a for a in plain)


def test_dry_run_with_an_ntp_server_writes_the_timesyncd_drop_in() -> None:
    before = _snapshot()
    res = _install("--dry-run", "--ntp-server", "ntp.store.lan 10.0.0.1")
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)
    conf = _index(actions, "would write: /etc/systemd/timesyncd.conf.d/kiosk.conf (mode 0644")
    assert "NTP=ntp.store.lan 10.0.0.1" in actions[conf]
    ntp_on = _index(actions, "would run: timedatectl set-ntp true")
    restart = _index(actions, "would run: systemctl restart systemd-timesyncd")
    assert conf < ntp_on < restart
    plain = _actions(_install("--dry-run").stdout)
    assert not any("timesync" in a or "set-ntp" in a for a in plain)


@pytest.mark.parametrize(
    ("args", "directory", "message"),
    [
        ('"--collector.textfile.directory=/srv/textfiles --web.listen-address=:9100"',
         "srv/textfiles", "node_exporter reads textfiles from /srv/textfiles"),
        ("'--web.listen-address=:9100 --collector.textfile.directory /srv/t'", "srv/t",
         "reads textfiles from /srv/t"),
        ('""', "var/lib/prometheus/node-exporter", None),
        ('"--no-collector.textfile"', "var/lib/prometheus/node-exporter",
         "switches the textfile collector off"),
    ],
)
def test_metrics_link_goes_where_node_exporter_reads(
        tmp_path: Path, args: str, directory: str, message: str | None) -> None:
    defaults = tmp_path / "etc/default/prometheus-node-exporter"
    defaults.parent.mkdir(parents=True)
    defaults.write_text(f"# Set the command-line arguments\nARGS={args}\n")
    res = _install("--dry-run", "--prefix", tmp_path, "--metrics")
    assert res.returncode == 0, res.stderr
    _index(_actions(res.stdout),
           f"would run: ln -sfn /run/kiosk/metrics.prom {tmp_path}/{directory}/kiosk.prom")
    if message is not None:
        assert message in res.stdout + res.stderr


def test_dry_run_keeps_an_existing_config(tmp_path: Path) -> None:
    config = tmp_path / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[display]\nmode = "staff"\n')
    res = _install("--dry-run", "--prefix", tmp_path, "--client-id", "rd_client_mine")
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)
    assert not any(str(config) in a for a in actions if a.startswith("would write: "))
    assert f"keeping the existing {config}" in res.stdout
    assert "--client-id not applied" in res.stderr
    _index(actions, f"check-config --config {config}")
    # A prefix is a staging root: nothing outside it, and no host-wide steps (systemctl
    # only on the root's unit files).
    joined = " ".join(a.replace(f"systemctl --root={tmp_path} ", "") for a in actions)
    assert not any(word in joined for word in ("systemctl", "useradd", "apt-get", "udevadm"))
    assert all(str(tmp_path) in a for a in actions if a.startswith("would write: "))
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "etc",
        "etc/kiosk",
        "etc/kiosk/kiosk.toml",
    ]
    assert config.read_text() == '[display]\nmode = "staff"\n'


def test_keys_are_not_set_in_a_config_that_would_be_invalid(tmp_path: Path) -> None:
    """--store goes through `kiosk config set`, which validates the whole file: a bad
    line elsewhere stops the install before the file is touched, with the line named."""
    config = tmp_path / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    text = '[display]\nmode = "kiosk"\n\n[fleet]\nstore = ""\n'
    config.write_text(text)
    res = _install("--dry-run", "--prefix", tmp_path, "--store", "berlin-mitte")
    assert res.returncode == 78
    assert f"error: {config}: display.mode: 'kiosk' is not one of" in res.stderr
    assert f"{config}: not changed: it would not be valid" in res.stderr
    assert config.read_text() == text


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--bogus"], 2, "unknown argument: --bogus"),
        (["--api-key-file", "KEY", "--api-key-stdin"], 2, "exclude each other"),
        (["--client-id", 'x" evil = "1'], 2, "--client-id"),
        (["--client-id"], 2, "needs an ID"),
        (["--api-key-file", "MISSING"], 1, "cannot read"),
        (["--api-key-file", "EMPTY"], 1, "is empty"),
        (["--log-server", "https://logs.example.com;reboot"], 2, "give a URL like"),
        (["--log-server", "logs.example.com"], 2, "give a URL like"),
        (["--log-server-ca", "KEY"], 2, "needs --log-server"),
        (["--log-server", "http://logs:19532", "--log-server-ca", "KEY"], 2, "not https://"),
        (["--log-server", "https://logs:19532", "--log-server-ca", "KEY"], 1,
         "not a PEM certificate"),
        (["--store", 'x" evil = "1'], 2, "--store: up to 64 letters"),
        (["--lane", "-lane"], 2, "--lane: up to 64 letters"),
        (["--store"], 2, "needs a NAME"),
        (["--ntp-server"], 2, "needs a HOST"),
        (["--ntp-server", "ntp.lan\nFallbackNTP=evil"], 2, "--ntp-server: give a host name"),
        (["--ntp-server", "ntp.lan;reboot"], 2, "--ntp-server: give a host name"),
    ],
)
def test_bad_usage_is_refused(tmp_path: Path, args: list[str], status: int, message: str) -> None:
    (tmp_path / "KEY").write_text(SECRET)
    (tmp_path / "EMPTY").write_text(" \n")
    args = [str(tmp_path / a) if a in ("KEY", "MISSING", "EMPTY") else a for a in args]
    res = _install("--dry-run", *args)
    assert res.returncode == status
    assert message in res.stderr
    assert "would run:" not in res.stdout


# --- the screen and the console ----------------------------------------------------------

BOOT = ROOT / "scripts" / "install-pi-boot"
# Raspberry Pi OS Bookworm Desktop's /boot/firmware/cmdline.txt, and what install-pi makes
# of it: the console off tty1 (the kiosk's VT), only the missing tokens added.
PI_OS_CMDLINE = ("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
                 "fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles "
                 "cfg80211.ieee80211_regdom=DE\n")
KIOSK_CMDLINE = ("console=serial0,115200 console=tty3 root=PARTUUID=4e639091-02 rootfstype=ext4 "
                 "fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles "
                 "cfg80211.ieee80211_regdom=DE loglevel=3 vt.global_cursor_default=0 logo.nologo\n")
# raspi-config's "Console Autologin".
AUTOLOGIN = "[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin pi --noclear %I $TERM\n"
# systemctl as the dry runs below meet it: a graphical default target, the kiosk not yet
# enabled; every call is written down.
FAKE_SYSTEMCTL = """echo "$*" >>"{log}"
case $1 in get-default) echo graphical.target ;; is-enabled|is-active) exit 1 ;; esac
"""
needs_systemctl = pytest.mark.skipif(shutil.which("systemctl") is None,
                                     reason="needs systemctl (systemctl --root on a staging root)")


def _fake(tmp_path: Path, name: str, body: str) -> Path:
    """A command `name` in tmp_path/fakes running the shell `body`; the directory."""
    fakes = tmp_path / "fakes"
    fakes.mkdir(exist_ok=True)
    (fakes / name).write_text("#!/bin/sh\n" + body)
    (fakes / name).chmod(0o755)
    return fakes


def _systemctl(root: Path, *args: str) -> None:
    subprocess.run(["systemctl", f"--root={root}", *args], check=True, capture_output=True)


def _pi_os_root(root: Path, *, desktop: bool) -> Path:
    """A staging root laid out as Raspberry Pi OS Bookworm is, console autologin on; with
    `desktop`, lightdm enabled and graphical.target the default. Its cmdline.txt."""
    cmdline = root / "boot/firmware/cmdline.txt"
    cmdline.parent.mkdir(parents=True)
    cmdline.write_text(PI_OS_CMDLINE)
    autologin = root / "etc/systemd/system/getty@tty1.service.d/autologin.conf"
    autologin.parent.mkdir(parents=True)
    autologin.write_text(AUTOLOGIN)
    units = root / "usr/lib/systemd/system"
    units.mkdir(parents=True)
    for target in ("multi-user", "graphical"):
        (units / f"{target}.target").write_text(f"[Unit]\nDescription={target}\n")
    if desktop:
        (units / "lightdm.service").write_text(
            "[Service]\nExecStart=/usr/sbin/lightdm\n[Install]\nAlias=display-manager.service\n")
        _systemctl(root, "enable", "lightdm.service")
    _systemctl(root, "set-default", "graphical.target" if desktop else "multi-user.target")
    return cmdline


def _files(root: Path) -> dict[str, bytes | str]:
    return {str(p): os.readlink(p) if p.is_symlink() else p.read_bytes()
            for p in root.rglob("*") if p.is_symlink() or p.is_file()}


@pytest.mark.parametrize(
    ("dpkg", "uname"),
    [("echo armhf", "echo aarch64"),  # 32-bit Pi OS on the Pi's 64-bit kernel
     ("exit 127", "echo armv7l")],   # no dpkg: the kernel's word
)
def test_a_32_bit_system_is_refused_before_anything(tmp_path: Path, dpkg: str, uname: str) -> None:
    _fake(tmp_path, "dpkg", dpkg + "\n")
    fakes = _fake(tmp_path, "uname", uname + "\n")
    root = tmp_path / "root"
    root.mkdir()
    for args in (["--dry-run"], ["--prefix", root]):
        res = _install(*args, fakes=fakes)
        assert res.returncode == 1
        assert 'Flash "Raspberry Pi OS Lite (64-bit)", Bookworm' in res.stderr
        assert "Nothing was changed" in res.stderr
        assert res.stdout == ""
    assert list(root.iterdir()) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (PI_OS_CMDLINE, KIOSK_CMDLINE),
        ("console=tty0 root=/dev/sda1", "console=tty3 root=/dev/sda1 loglevel=3 quiet "
                                        "vt.global_cursor_default=0 logo.nologo"),
        # No console named: the kernel would use the VT on screen.
        ("root=/dev/mmcblk0p2  rootwait", "root=/dev/mmcblk0p2 rootwait console=tty3 loglevel=3 "
                                          "quiet vt.global_cursor_default=0 logo.nologo"),
        # A serial console only: the admin's choice, no VT console added.
        ("console=serial0,115200 root=/dev/vda", "console=serial0,115200 root=/dev/vda "
                                                 "loglevel=3 quiet vt.global_cursor_default=0 "
                                                 "logo.nologo"),
        # The admin's own values stay; nothing is doubled.
        ("console=tty1 console=tty3 loglevel=7 quiet root=/dev/vda logo.nologo",
         "console=tty3 loglevel=7 quiet root=/dev/vda logo.nologo vt.global_cursor_default=0"),
    ],
)
def test_the_kernel_command_line_leaves_the_kiosks_vt(line: str, expected: str) -> None:
    def edit(text: str) -> str:
        res = subprocess.run(["bash", "-c", 'prefix=/nonexistent; source "$1"; kiosk_cmdline "$2"',
                              "bash", str(BOOT), text], capture_output=True, text=True, check=True)
        return res.stdout

    once = edit(line)
    assert once == expected.rstrip("\n") + "\n"
    assert edit(once) == once  # a second run changes nothing


def test_dry_run_takes_over_the_screen_and_the_console(tmp_path: Path) -> None:
    log = tmp_path / "systemctl.log"
    _fake(tmp_path, "loginctl", """case $1 in
list-sessions) printf '      3 1000 pi seat0 tty1\\n      7 1000 pi       pts/0\\n' ;;
show-session) if [ "$2" = 3 ]; then echo tty1; else echo pts/0; fi ;;
*) exit 1 ;;
esac
""")
    fakes = _fake(tmp_path, "systemctl", FAKE_SYSTEMCTL.format(log=log))
    before = _snapshot()
    res = _install("--dry-run", fakes=fakes)
    assert _snapshot() == before
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)
    now = " --now" if Path("/run/systemd/system").is_dir() else ""  # no manager: no stop
    order = [_index(actions, needle) for needle in (
        "kiosk check-config",
        "would run: systemctl set-default multi-user.target",
        f"would run: systemctl mask{now} getty@tty1.service",
        "would run: loginctl terminate-session 3",
        "would write: /etc/systemd/logind.conf.d/kiosk.conf (mode 0644",
        "would write: /etc/systemd/system.conf.d/kiosk-watchdog.conf (mode 0644",
        "would run: systemctl daemon-reload",
        "would run: systemctl daemon-reexec",
        "would run: systemctl enable --now kiosk",
    )]
    assert order == sorted(order)
    for said in ("desktop: booting to the console from the next boot (multi-user.target",
                 "tty1: masking getty@tty1: what a scanner types while the kiosk is stopped "
                 "reaches no shell"):
        assert f"install-pi: {said}" in res.stdout
    if not any(Path(p).exists() for p in ("/boot/firmware/cmdline.txt", "/boot/cmdline.txt")):
        assert "boot: no cmdline.txt in /boot/firmware or /boot" in res.stdout
    if not Path("/dev/watchdog0").exists():
        assert "no /dev/watchdog0 here: systemd ignores RuntimeWatchdogSec=" in res.stderr
    assert not any("terminate-session 7" in a for a in actions)  # an SSH session stays
    # The dry run only asked.
    asked = {line.split()[0] for line in log.read_text().splitlines()}
    assert asked <= {"get-default", "is-enabled", "is-active"}


def test_the_flags_leave_the_screen_and_the_console_alone(tmp_path: Path) -> None:
    fakes = _fake(tmp_path, "systemctl", FAKE_SYSTEMCTL.format(log=tmp_path / "log"))
    res = _install("--dry-run", "--keep-desktop", "--no-console-changes", "--no-hw-watchdog",
                   fakes=fakes)
    assert res.returncode == 0, res.stderr
    actions = "\n".join(_actions(res.stdout))
    for word in ("set-default", "getty", "logind", "cmdline", "system.conf.d", "daemon-reexec"):
        assert word not in actions
    _index(_actions(res.stdout), "would run: systemctl enable --now kiosk")
    for said in ("desktop: none enabled; the default target graphical.target is left as it is "
                 "(--keep-desktop)",
                 "console: left as it is (--no-console-changes)",
                 "hardware watchdog: not armed (--no-hw-watchdog)"):
        assert f"install-pi: {said}" in res.stdout
    both = _install("--dry-run", "--undo-console", "--no-console-changes")
    assert both.returncode == 2 and "exclude each other" in both.stderr


def test_the_journal_is_kept_in_ram_only_when_asked_and_the_admin_is_warned(
        tmp_path: Path) -> None:
    """--journal volatile writes the RAM policy and restarts journald onto it; without a
    log server the admin is told that every reboot loses the journal. A bad value is a
    usage error before anything is done."""
    fakes = _fake(tmp_path, "systemctl", FAKE_SYSTEMCTL.format(log=tmp_path / "log"))
    res = _install("--dry-run", "--journal", "volatile", fakes=fakes)
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)
    wrote = _index(actions, "would write: /etc/systemd/journald.conf.d/kiosk.conf")
    assert "journal: in RAM (--journal volatile)" in actions[wrote]
    assert _index(actions, "would run: systemctl restart systemd-journald") > wrote
    assert not any("journalctl --flush" in a for a in actions)  # nothing to move to disk
    assert "--journal volatile without --log-server" in res.stderr
    central = _install("--dry-run", "--journal=volatile", "--log-server",
                       "https://logs.example.com:19532", fakes=fakes)
    assert central.returncode == 0 and "without --log-server" not in central.stderr
    bad = _install("--dry-run", "--journal", "ram")
    assert bad.returncode == 2 and "--journal must be persistent or volatile" in bad.stderr


@needs_systemctl
def test_a_desktop_image_is_switched_to_the_console_or_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    cmdline = _pi_os_root(root, desktop=True)
    res = _install("--dry-run", "--prefix", root)
    assert res.returncode == 0, res.stderr
    actions = _actions(res.stdout)
    units = f"would run: systemctl --root={root}"
    autologin = root / "etc/systemd/system/getty@tty1.service.d/autologin.conf"
    order = [_index(actions, needle) for needle in (
        "kiosk check-config",
        f"{units} disable lightdm.service",
        f"{units} set-default multi-user.target",
        f"{units} mask getty@tty1.service",
        f"would run: mv -f -- {autologin} {autologin}.kiosk-disabled",
        f"would run: cp -- {cmdline} {cmdline}.kiosk-backup",
        f"would write: {cmdline} (mode 644",
    )]
    assert order == sorted(order)
    assert ("desktop: lightdm.service holds the screen (DRM master) that the kiosk needs: "
            "disabling it; the desktop runs until the next boot") in res.stdout
    assert f"tty1: console autologin {autologin} moved aside" in res.stdout
    assert "boot: " + str(cmdline) + ": kernel messages to tty3" in res.stdout

    before = _files(root)
    refused = _install("--prefix", root, "--keep-desktop")  # a real run
    assert refused.returncode == 1
    assert "a desktop runs here (lightdm.service, the display manager)" in refused.stderr
    assert "--keep-desktop: nothing was installed or changed" in refused.stderr
    assert not _actions(refused.stdout) and "\n+ " not in refused.stdout
    assert _files(root) == before


@needs_systemctl
def test_undo_console_puts_back_what_was_there(tmp_path: Path) -> None:
    """The state an install leaves, undone: the original cmdline.txt to the byte."""
    root = tmp_path / "root"
    cmdline = _pi_os_root(root, desktop=False)
    original = b"console=serial0,115200  console=tty1 root=/dev/mmcblk0p2 rootwait"  # no \n
    (cmdline.parent / "cmdline.txt.kiosk-backup").write_bytes(original)
    cmdline.write_text(KIOSK_CMDLINE)
    autologin = root / "etc/systemd/system/getty@tty1.service.d/autologin.conf"
    autologin.rename(f"{autologin}.kiosk-disabled")
    _systemctl(root, "mask", "getty@tty1.service")
    logind = root / "etc/systemd/logind.conf.d/kiosk.conf"
    logind.parent.mkdir(parents=True)
    logind.write_text("[Login]\nNAutoVTs=0\nReserveVT=0\n")

    dry = _install("--dry-run", "--undo-console", "--prefix", root)
    assert dry.returncode == 0, dry.stderr
    assert "dry run done: 5 changes to make" in dry.stdout
    res = _install("--undo-console", "--prefix", root)
    assert res.returncode == 0, res.stderr
    assert cmdline.read_bytes() == original
    assert not (cmdline.parent / "cmdline.txt.kiosk-backup").exists()
    assert autologin.read_text() == AUTOLOGIN
    assert not (root / "etc/systemd/system/getty@tty1.service").is_symlink()
    assert not logind.exists()
    assert "install-pi: tty1: unmasking getty@tty1" in res.stdout
    assert res.stdout.rstrip().endswith(f"done, 5 changes: installed under {root}")
    assert not (root / "opt").exists()  # the undo installs nothing
    again = _install("--undo-console", "--prefix", root)
    assert again.stdout.rstrip().endswith("done, nothing to change: installed under " + str(root))


# --- in a chroot: a Pi OS Desktop root, the real systemctl ----------------------------
# The steps run as on a machine, without --prefix: chrooted into a root in tmp_path laid
# out as Raspberry Pi OS Bookworm Desktop ships it, with this machine's /usr (read-only)
# and its real systemctl, which finds no service manager there and changes unit files
# only. Everything runs in a private mount namespace whose mounts vanish with it: the
# root is bound over /sys/fs/cgroup, made private before anything is mounted under it
# (as for udevadm below: "/" need not be a mount point); /dev holds only /dev/null.

# Bookworm's cmdline.txt as the image is flashed (firstboot still to run).
FIRSTBOOT_CMDLINE = ("console=serial0,115200 console=tty1 root=PARTUUID=e8af6eb2-02 "
                     "rootfstype=ext4 fsck.repair=yes rootwait quiet "
                     "init=/usr/lib/raspberrypi-sys-mods/firstboot\n")
# Debian's lightdm.service has no [Install] section: the package's postinst links
# display-manager.service to it, so `systemctl disable` must find the alias by its target.
LIGHTDM = """[Unit]
Description=Light Display Manager
Documentation=man:lightdm(1)
After=systemd-user-sessions.service

[Service]
ExecStart=/usr/sbin/lightdm
Restart=always
BusName=org.freedesktop.DisplayManager
"""
_CHROOT = r"""
set -eu
staged=$1 units=$2 checkout=$3
shift 3
mount --make-rprivate /sys
root=/sys/fs/cgroup
mount --bind "$staged" "$root"
mount --make-private "$root"
cd "$root"
mount --bind /usr usr
mount --make-private usr
mount -o remount,bind,ro usr
mount --bind "$checkout" kiosk
mount --make-private kiosk
mount -o remount,bind,ro kiosk
# The image's units: this machine's, and the desktop's display manager.
mount -t tmpfs -o mode=0755 kiosk-units usr/lib/systemd/system
cp -a /usr/lib/systemd/system/. "$units"/. usr/lib/systemd/system/
for d in dev run tmp; do mount -t tmpfs -o mode=0755 "kiosk-$d" "$d"; done
chmod 1777 tmp
touch dev/null
mount --bind /dev/null dev/null
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin HOME=/root LANG=C.UTF-8 \
    bash -c "$@"
"""
# install-pi sourced (options parsed, nothing done), then only its screen and console steps.
_STEPS = """set -euo pipefail
source /kiosk/scripts/install-pi "$@"
if (( undo_console )); then undo_console_changes; else detect_desktop; screen_and_console; fi
finish
"""
needs_chroot = pytest.mark.skipif(
    os.geteuid() != 0 or not all(map(shutil.which, ("unshare", "chroot", "systemctl"))),
    reason="needs root, unshare, chroot and systemctl (a scratch root in a mount namespace)")


def _pi_os_desktop(root: Path) -> None:
    """`root` as Raspberry Pi OS Bookworm Desktop is flashed, with raspi-config's console
    autologin: lightdm enabled, graphical.target the default, getty@tty1 wanted."""
    for d in ("usr", "kiosk", "dev", "run", "tmp", "var/tmp", "root", "boot/firmware"):
        (root / d).mkdir(parents=True)
    for d in ("bin", "sbin", "lib", "lib64"):  # merged /usr, as this machine's /usr needs
        if Path(f"/{d}").is_symlink():
            (root / d).symlink_to(os.readlink(f"/{d}"))
    etc = root / "etc/systemd/system"
    (etc / "getty.target.wants").mkdir(parents=True)
    (etc / "getty.target.wants/getty@tty1.service").symlink_to("/lib/systemd/system/getty@.service")
    (etc / "display-manager.service").symlink_to("/lib/systemd/system/lightdm.service")
    (etc / "default.target").symlink_to("/lib/systemd/system/graphical.target")
    (etc / "getty@tty1.service.d").mkdir()
    (etc / "getty@tty1.service.d/autologin.conf").write_text(AUTOLOGIN)
    (root / "etc/os-release").write_text(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
        'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n')
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n"
                                     "pi:x:1000:1000:,,,:/home/pi:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\npi:x:1000:\n")
    (root / "boot/firmware/cmdline.txt").write_text(FIRSTBOOT_CMDLINE)


def _steps_in_chroot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """install-pi's screen and console steps with `args`, chrooted into tmp_path/root."""
    units = tmp_path / "units"
    if not units.exists():
        units.mkdir()
        (units / "lightdm.service").write_text(LIGHTDM)
    before = mounts_under(Path("/sys"))
    res = subprocess.run(
        ["unshare", "--mount", "--propagation", "unchanged", "sh", "-c", _CHROOT, "sh",
         str(tmp_path / "root"), str(units), str(ROOT), _STEPS, "bash", *args],
        capture_output=True, text=True, timeout=60, check=False)
    # Its mounts lived in its own namespace: none is left where it mounted (/sys) or in the
    # tree, which pytest deletes afterwards.
    assert mounts_under(Path("/sys")) == before
    assert mounts_under(tmp_path) == []
    return res


@needs_chroot
def test_in_a_chroot_the_steps_take_a_desktop_image_and_undo_restores_the_console(
        tmp_path: Path) -> None:
    root = tmp_path / "root"
    _pi_os_desktop(root)
    etc = root / "etc/systemd/system"
    cmdline = root / "boot/firmware/cmdline.txt"
    autologin = etc / "getty@tty1.service.d/autologin.conf"
    logind = root / "etc/systemd/logind.conf.d/kiosk.conf"

    res = _steps_in_chroot(tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    # The real systemctl's own words: it changed the files, and was asked to stop nothing.
    assert "--now" not in res.stdout
    assert 'Removed "/etc/systemd/system/display-manager.service"' in res.stderr
    assert 'Created symlink /etc/systemd/system/getty@tty1.service → /dev/null' in res.stderr
    assert not os.path.lexists(etc / "display-manager.service")
    assert Path(os.readlink(etc / "default.target")).name == "multi-user.target"
    assert os.readlink(etc / "getty@tty1.service") == "/dev/null"
    assert not autologin.exists()
    assert Path(f"{autologin}.kiosk-disabled").read_text() == AUTOLOGIN
    assert logind.read_text().endswith("[Login]\nNAutoVTs=0\nReserveVT=0\n")
    watchdog = root / "etc/systemd/system.conf.d/kiosk-watchdog.conf"
    assert watchdog.read_text().endswith("[Manager]\nRuntimeWatchdogSec=15\n")
    # The drivers at boot: the unit's DeviceAllow=char-… are resolved when it starts.
    assert (root / "etc/modules-load.d/kiosk.conf").read_text().endswith(
        "\ndrm\nusbserial\ncdc_acm\n")
    assert cmdline.read_text() == (
        "console=serial0,115200 console=tty3 root=PARTUUID=e8af6eb2-02 rootfstype=ext4 "
        "fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot "
        "loglevel=3 vt.global_cursor_default=0 logo.nologo\n")
    assert Path(f"{cmdline}.kiosk-backup").read_bytes() == FIRSTBOOT_CMDLINE.encode()
    for said in ("desktop: lightdm.service holds the screen (DRM master)",
                 "desktop: booting to the console from the next boot (multi-user.target",
                 "tty1: masking getty@tty1",
                 "tty1: console autologin /etc/systemd/system/getty@tty1.service.d/autologin.conf "
                 "moved aside"):
        assert f"install-pi: {said}" in res.stdout
    assert "no /dev/watchdog0 here" in res.stderr
    # The journal on the card, bounded, whatever the image chose (see install-pi-boot).
    assert (root / "etc/systemd/journald.conf.d/kiosk.conf").read_text().endswith(
        "[Journal]\nStorage=persistent\nSystemMaxUse=64M\nSystemKeepFree=256M\n"
        "SyncIntervalSec=5m\n")
    assert "install-pi: done, 14 changes." in res.stdout

    installed = _files(root)
    again = _steps_in_chroot(tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "install-pi: done, nothing to change." in again.stdout
    assert _files(root) == installed

    undo = _steps_in_chroot(tmp_path, "--undo-console")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "install-pi: done, 5 changes." in undo.stdout
    assert cmdline.read_bytes() == FIRSTBOOT_CMDLINE.encode()
    assert not Path(f"{cmdline}.kiosk-backup").exists()
    assert autologin.read_text() == AUTOLOGIN
    assert not os.path.lexists(f"{autologin}.kiosk-disabled")
    assert not os.path.lexists(etc / "getty@tty1.service")
    assert not logind.exists()
    # The console only: the desktop stays off, the watchdog armed.
    assert Path(os.readlink(etc / "default.target")).name == "multi-user.target"
    assert watchdog.exists()
    undone = _steps_in_chroot(tmp_path, "--undo-console")
    assert "install-pi: done, nothing to change." in undone.stdout


# --- a real install into a staging root --------------------------------------------------


@pytest.mark.slow
def test_an_earlier_releases_unedited_udev_rules_are_replaced_an_edited_file_kept(
        tmp_path: Path) -> None:
    """An update brings the new scanner rules to a kiosk whose file is, byte for byte, one
    an earlier release shipped (its sha256 is in install-pi); an admin's edit is kept."""
    root = tmp_path / "root"
    rules = root / "etc/udev/rules.d/99-barcode-scanner.rules"
    rules.parent.mkdir(parents=True)
    old = (ROOT / "tests/shipped/99-barcode-scanner.rules.2026-12-07").read_bytes()
    rules.write_bytes(old)
    res = _install("--dry-run", "--prefix", root)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "an earlier release's, unedited: replacing it" in res.stdout
    _index(_actions(res.stdout), f"would run: install -D -m 0644 {ROOT}/systemd/{RULES.name}")
    rules.write_bytes(old + b"# site scanner\n")
    edited = _install("--dry-run", "--prefix", root)
    assert edited.returncode == 0, edited.stdout + edited.stderr
    assert f"keeping the edited {rules}" in edited.stdout


def test_real_install_into_a_prefix_then_update(tmp_path: Path) -> None:
    """Install, then update over an admin's edits, then refuse a broken config."""
    root = tmp_path / "root"
    key = tmp_path / "key"
    key.write_text(SECRET + "\n")
    panel = tmp_path / "sys/devices/platform/rpi-dsi/backlight/10-0045"
    panel.mkdir(parents=True)
    backlights = tmp_path / "sys/class/backlight"
    backlights.mkdir(parents=True)
    (backlights / "10-0045").symlink_to(panel)  # as sysfs links a class to its device
    res = _install("--prefix", root, "--api-key-file", key, "--client-id", "rd_client_test_1",
                   "--metrics", "--ntp-server", "ntp.store.lan", backlights=backlights)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert SECRET not in out
    timesyncd = root / "etc/systemd/timesyncd.conf.d/kiosk.conf"
    assert timesyncd.read_text().endswith("[Time]\nNTP=ntp.store.lan\n")

    opt, etc = root / "opt/kiosk", root / "etc/kiosk"
    assert (root / "etc/systemd/system/kiosk.service").read_bytes() == UNIT.read_bytes()
    rules = root / "etc/udev/rules.d/99-barcode-scanner.rules"
    assert rules.read_bytes() == RULES.read_bytes()
    udev = root / "etc/udev/rules.d"
    assert (udev / BACKLIGHT_RULES.name).read_bytes() == BACKLIGHT_RULES.read_bytes()
    dropin = root / "etc/systemd/system/kiosk.service.d/backlight.conf"
    assert dropin.read_text().endswith(f"[Service]\nReadWritePaths=-{panel}\n")
    if shutil.which("systemd-analyze"):
        unit = root / "etc/systemd/system/kiosk.service"
        verify = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                                capture_output=True, text=True, timeout=60, check=False)
        assert "backlight.conf" not in verify.stdout + verify.stderr  # no unknown key or bad value
    assert (opt / "src/pyproject.toml").is_file() and (opt / "src/kiosk/cli/__init__.py").is_file()
    for unwanted in (".git", ".venv", "bench-results"):
        assert not (opt / "src" / unwanted).exists()
    assert (opt / "venv/bin/kiosk").is_file()
    assert f"{etc / 'kiosk.toml'}: OK" in res.stdout

    installed = (etc / "kiosk.toml").read_text().splitlines()
    example = EXAMPLE_CONFIG.read_text().splitlines()
    changed = [(a, b) for a, b in zip(example, installed, strict=True) if a != b]
    # Set by `kiosk config set`: the example's mark goes, a comment on the key stays.
    assert [b for _, b in changed] == [
        'client_id = "rd_client_test_1"',
        'textfile = "/run/kiosk/metrics.prom" # e.g. "/run/kiosk/metrics.prom"; must end in .prom']
    assert changed[0][0].startswith("client_id = ")
    assert changed[1][0].startswith('textfile = ""')
    metrics_link = root / "var/lib/prometheus/node-exporter/kiosk.prom"
    assert os.readlink(metrics_link) == "/run/kiosk/metrics.prom"

    key_stat = (etc / "api_key").stat()
    assert stat.S_IMODE(key_stat.st_mode) == 0o600
    # It may hold the proxy's password: the service's group reads it, nobody else.
    assert stat.S_IMODE((etc / "kiosk.toml").stat().st_mode) == 0o640
    assert (etc / "api_key").read_text() == SECRET + "\n"
    assert stat.S_IMODE((opt / "src/pyproject.toml").stat().st_mode) & 0o004
    if os.geteuid() == 0:
        assert (key_stat.st_uid, key_stat.st_gid) == (0, 0)

    # The update: the admin has edited config and rule; a stale source file must go.
    with (etc / "kiosk.toml").open("a") as f:
        f.write("# edited by the admin\n")
    (etc / "kiosk.toml").chmod(0o644)  # as an older install-pi wrote it
    with rules.open("a") as f:
        f.write("# site scanner\n")
    (opt / "src/kiosk/stale_module.py").write_text("")
    (backlights / "10-0045").unlink()  # the panel swapped for an HDMI monitor
    res = _install(
        "--prefix", root, "--api-key-stdin", "--client-id", "other", "--metrics",
        stdin="sk_rotated_key_2\n", backlights=backlights,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "sk_rotated_key_2" not in out
    assert (etc / "kiosk.toml").read_text().endswith("# edited by the admin\n")
    assert 'client_id = "rd_client_test_1"' in (etc / "kiosk.toml").read_text()
    assert stat.S_IMODE((etc / "kiosk.toml").stat().st_mode) == 0o640
    assert f"+ chmod 0640 {etc / 'kiosk.toml'}" in res.stdout
    assert rules.read_text().endswith("# site scanner\n")
    assert not (opt / "src/kiosk/stale_module.py").exists()
    assert not dropin.exists() and "no backlight under" in res.stdout
    assert (etc / "api_key").read_text() == "sk_rotated_key_2\n"
    assert f"metrics link {metrics_link}: up to date" in res.stdout
    assert stat.S_IMODE((etc / "api_key").stat().st_mode) == 0o600

    # A broken config stops the install with EX_CONFIG and says why.
    with (etc / "kiosk.toml").open("a") as f:
        f.write("[bogus_section]\nx = 1\n")
    res = _install("--prefix", root, "--no-start")
    assert res.returncode == 78
    assert "bogus_section" in res.stderr
    assert "is not valid" in res.stderr


@needs_systemctl
@pytest.mark.slow
def test_a_second_install_changes_nothing_and_sets_only_the_keys_asked_for(
        tmp_path: Path) -> None:
    """The last line is what Ansible's changed_when reads: a run that finds every step in
    place touches no file and says "nothing to change". --store, --lane and --metrics
    set their keys in an existing config too (the inventory is where a chain keeps
    them), and nothing else there. The root is a Pi OS Desktop image: the console and
    desktop steps are done once, and undone to the byte."""
    root = tmp_path / "root"
    cmdline = _pi_os_root(root, desktop=True)
    key = tmp_path / "key"
    key.write_text(SECRET + "\n")
    args = ("--prefix", root, "--api-key-file", key, "--metrics", "--store", "berlin-mitte",
            "--lane", "lane 3")
    first = _install(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"install-pi: done, \d+ changes: installed under", first.stdout)
    system = root / "etc/systemd/system"
    autologin = system / "getty@tty1.service.d/autologin.conf"
    assert cmdline.read_text() == KIOSK_CMDLINE
    assert (cmdline.parent / "cmdline.txt.kiosk-backup").read_text() == PI_OS_CMDLINE
    assert not autologin.exists()
    assert Path(f"{autologin}.kiosk-disabled").read_text() == AUTOLOGIN
    assert os.readlink(system / "getty@tty1.service") == "/dev/null"
    assert (root / "etc/systemd/logind.conf.d/kiosk.conf").read_text().endswith(
        "[Login]\nNAutoVTs=0\nReserveVT=0\n")
    watchdog = root / "etc/systemd/system.conf.d/kiosk-watchdog.conf"
    assert watchdog.read_text().endswith("[Manager]\nRuntimeWatchdogSec=15\n")
    assert os.readlink(system / "default.target").endswith("/multi-user.target")
    assert not (system / "display-manager.service").is_symlink()
    config = root / "etc/kiosk/kiosk.toml"
    text = config.read_text()
    assert 'store = "berlin-mitte"' in text and 'lane = "lane 3"' in text
    assert 'textfile = "/run/kiosk/metrics.prom"' in text

    def tree() -> dict[str, tuple[int, int]]:
        # Files only: a directory's time moves with the scratch file write_file compares in.
        return {str(p): (p.lstat().st_mtime_ns, p.lstat().st_mode) for p in root.rglob("*")
                if "__pycache__" not in p.parts and not p.is_dir()}

    before = tree()
    second = _install(*args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.rstrip().endswith(f"done, nothing to change: installed under {root}")
    assert not [line for line in second.stdout.splitlines() if line.startswith("+ ")
                and "check-config" not in line]
    assert tree() == before

    # An existing config: the admin's edits stay, the labels follow the new values, and
    # metrics.textfile is set while it is the default "" (and only then).
    config.write_text(text.replace('textfile = "/run/kiosk/metrics.prom"', 'textfile = ""')
                      .replace('mode = "shopper"', 'mode = "staff"'))
    third = _install("--prefix", root, "--metrics", "--store", "hamburg", "--lane", "")
    assert third.returncode == 0, third.stdout + third.stderr
    assert "done, 1 change: installed under" in third.stdout
    edited = config.read_text()
    assert 'mode = "staff"' in edited and 'store = "hamburg"' in edited
    assert '\nlane = ""' in edited and 'textfile = "/run/kiosk/metrics.prom"' in edited
    config.write_text(edited.replace('textfile = "/run/kiosk/metrics.prom"',
                                     'textfile = "/run/kiosk/other.prom"'))
    fourth = _install("--prefix", root, "--metrics")
    assert fourth.returncode == 0, fourth.stdout + fourth.stderr
    assert 'has metrics.textfile = "/run/kiosk/other.prom", kept' in fourth.stderr
    assert "done, nothing to change" in fourth.stdout

    # A config from before [fleet]: the labels are not made up there, the admin is told.
    config.write_text('[display]\nmode = "staff"\n')
    old = _install("--prefix", root, "--store", "hamburg")
    assert old.returncode == 0, old.stdout + old.stderr
    assert "--store not applied" in old.stderr
    assert config.read_text() == '[display]\nmode = "staff"\n'

    # The console as it was, to the byte; the watchdog off on its own flag.
    undo = _install("--prefix", root, "--undo-console")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert cmdline.read_text() == PI_OS_CMDLINE
    assert autologin.read_text() == AUTOLOGIN and not (system / "getty@tty1.service").exists()
    off = _install("--prefix", root, "--no-hw-watchdog", "--no-console-changes")
    assert off.returncode == 0, off.stdout + off.stderr
    assert f"hardware watchdog: off (--no-hw-watchdog): removing {watchdog}" in off.stdout
    assert "done, 1 change: installed under" in off.stdout and not watchdog.exists()


# --- the udev rule -----------------------------------------------------------------------

# udev(7): keys that only match, keys that only assign, and keys that do both.
_MATCH_ONLY = {
    "ACTION",
    "DEVPATH",
    "KERNEL",
    "KERNELS",
    "SUBSYSTEM",
    "SUBSYSTEMS",
    "DRIVER",
    "DRIVERS",
    "ATTRS",
    "TAGS",
    "TEST",
    "PROGRAM",
    "RESULT",
    "CONST",
}
_ASSIGN_ONLY = {
    "OWNER",
    "GROUP",
    "MODE",
    "SECLABEL",
    "RUN",
    "IMPORT",
    "OPTIONS",
    "LABEL",
    "GOTO",
    "WAIT_FOR",
}
_BOTH = {"NAME", "SYMLINK", "ATTR", "SYSCTL", "ENV", "TAG"}
# TEST{mode mask} is optional: TEST=="file" only asks whether the file exists.
_NEEDS_ATTR = {"ATTR", "ATTRS", "ENV", "SYSCTL", "CONST", "SECLABEL"}
_PAIR = re.compile(
    r'(?P<key>[A-Z_]+)(?:\{(?P<attr>[^{}"]+)\})?(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"'
)


def _rules(text: str) -> list[str]:
    """The rule lines of a rules file, continuation lines joined."""
    joined = re.sub(r"\\\n", "", text)
    return [s for line in joined.splitlines() if (s := line.strip()) and not s.startswith("#")]


def _rule_problems(rule: str) -> list[str]:
    problems: list[str] = []
    matches = assigns = 0
    for n, part in enumerate(p.strip() for p in rule.split(", ")):
        m = _PAIR.fullmatch(part)
        if m is None:
            problems.append(f'pair {n}: not KEY op "value": {part!r}')
            continue
        key, op, attr = m["key"], m["op"], m["attr"]
        is_match = op in ("==", "!=")
        if key not in _MATCH_ONLY | _ASSIGN_ONLY | _BOTH:
            problems.append(f"unknown key {key}")
        elif (is_match and key in _ASSIGN_ONLY) or (not is_match and key in _MATCH_ONLY):
            problems.append(f"{key} cannot be used with {op}")
        if key in _NEEDS_ATTR and attr is None:
            problems.append(f"{key} needs {{attribute}}")
        matches += is_match
        assigns += not is_match
    if not (matches and assigns):
        problems.append("a rule needs at least one match and one assignment")
    return problems


@pytest.mark.parametrize(
    "bad",
    [
        'SUBSYSTEM=="tty", ATRS{idVendor}=="0c2e", SYMLINK+="x"',
        'SUBSYSTEM=="tty", GROUP=="dialout"',
        'SUBSYSTEM=="tty", SYMLINK+="x",',
        'SUBSYSTEM=="tty", ATTRS=="0c2e", MODE="0660"',
        'SUBSYSTEM="tty", MODE="0660"',
        'SUBSYSTEM=="tty" MODE="0660"',
    ],
)
def test_rule_checker_rejects_broken_rules(bad: str) -> None:
    assert _rule_problems(bad)


def test_udev_rules_are_well_formed() -> None:
    rules = _rules(RULES.read_text())
    assert len(rules) >= 2 and len(rules) % 2 == 0  # per scanner maker: HID and serial
    for rule in rules:
        assert _rule_problems(rule) == [], rule
    found = re.search(r"^SupplementaryGroups=(.*)$", UNIT.read_text(), re.M)
    assert found is not None
    unit_groups = set(found.group(1).split())
    for rule in rules:
        pairs = {(m["key"], m["attr"], m["op"]): m["value"] for m in _PAIR.finditer(rule)}
        assert re.fullmatch(r"0[0-7]{3}", pairs[("MODE", None, "=")])
        assert pairs[("GROUP", None, "=")] in unit_groups
        for attr in ("idVendor", "idProduct"):
            if ("ATTRS", attr, "==") in pairs:
                assert re.fullmatch(r"[0-9a-f]{4}", pairs[("ATTRS", attr, "==")])


def test_udev_rules_name_the_scanners() -> None:
    text = RULES.read_text()
    hid, serial = (r for r in _rules(text) if 'ATTRS{idVendor}=="0c2e"' in r)
    assert 'SUBSYSTEM=="input"' in hid and 'KERNEL=="event*"' in hid
    assert 'SYMLINK+="input/barcode-scanner"' in hid and 'GROUP="input"' in hid
    assert 'SUBSYSTEM=="tty"' in serial and 'ATTRS{idVendor}=="0c2e"' in serial
    assert 'SYMLINK+="barcode-serial"' in serial and 'GROUP="dialout"' in serial
    for hint in (
        "udevadm info -a -n /dev/input/event",
        "lsusb",
        "/dev/input/by-id/",
        "ENV{ID_INPUT_KEYBOARD}",
    ):
        assert hint in text


def test_backlight_rules_open_brightness_and_bl_power_to_the_services_group() -> None:
    rules = _rules(BACKLIGHT_RULES.read_text())
    assert len(rules) == 2
    found = re.search(r"^SupplementaryGroups=(.*)$", UNIT.read_text(), re.M)
    assert found is not None and "video" in found.group(1).split()
    for rule, attribute in zip(rules, ("brightness", "bl_power"), strict=True):
        assert _rule_problems(rule) == [], rule
        assert 'ACTION=="add", SUBSYSTEM=="backlight"' in rule
        runs = [m["value"] for m in _PAIR.finditer(rule) if m["key"] == "RUN"]
        assert runs == [f"/bin/chgrp video /sys%p/{attribute}",
                        f"/bin/chmod g+w /sys%p/{attribute}"]
    assert 'TEST=="bl_power"' in rules[1]  # not every panel has it


# udev reads rules only from fixed directories, so its parser runs in a private mount
# namespace, chrooted into a scratch root whose /etc/udev/rules.d holds the rules under
# test; the machine's rules and mounts are not touched. The scratch root is a tmpfs over
# /sys/fs/cgroup because /sys is a mount point everywhere, a chroot included ("/" is not
# there), so it can be made private first; every bind is made private before anything is
# mounted under it.
_UDEV_ROOT = r"""
set -eu
rules=$1
mount --make-rprivate /sys
root=/sys/fs/cgroup
mount -t tmpfs -o mode=0755 kiosk-udev-check "$root"
cd "$root"
mkdir usr sys proc dev run etc
for d in bin sbin lib lib64; do if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$d"; fi; done
for d in usr sys proc dev; do mount --bind "/$d" "$d"; mount --make-private "$d"; done
cp /etc/passwd /etc/group etc/
mkdir -p etc/udev/rules.d
cp "$rules"/* etc/udev/rules.d/
exec chroot "$root" udevadm test --action=add /sys/class/mem/null
"""


def _udevadm_parse(rules_dir: Path) -> str:
    """udev's own parser on the rules in `rules_dir`, and nothing else's."""
    res = subprocess.run(
        ["unshare", "--mount", "--propagation", "unchanged", "sh", "-c", _UDEV_ROOT, "sh",
         str(rules_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = res.stdout + res.stderr
    assert "Reading rules file" in out, (
        f"udevadm test did not run (status {res.returncode}):\n{out[-500:]}")
    return out


def test_udevadm_parses_the_rules_without_complaint(tmp_path: Path) -> None:
    shutil.copy(RULES, tmp_path / RULES.name)
    shutil.copy(BACKLIGHT_RULES, tmp_path / BACKLIGHT_RULES.name)
    (tmp_path / "98-broken.rules").write_text('SUBSYSTEM=="tty", ATRS{idVendor}=="0c2e"\n')
    out = _udevadm_parse(tmp_path)
    assert "/etc/udev/rules.d/98-broken.rules:1" in out  # the parser does complain
    for rules in (RULES, BACKLIGHT_RULES):
        assert f"Reading rules file: /etc/udev/rules.d/{rules.name}" in out
        assert f"/etc/udev/rules.d/{rules.name}:" not in out
