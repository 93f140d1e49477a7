"""The system-test bench: the API sandbox on the host, the guest machine, and the kiosk
installed in it by scripts/install-pi and running as the systemd service.

Everything the tests read about the kiosk comes from inside the guest, the way an admin
reads it: `journalctl -u kiosk … -o json`, `systemctl show`, `kiosk status --json`.
"""

from __future__ import annotations

import io
import json
import shlex
import socket
import tarfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.sandbox import Sandbox
from tests.helpers import free_port
from tests.system.image import API_HOST, DATA_MOUNT, INSTALL_PI_ARGS, LOG_HOST, LOG_PORT, Guest
from tests.system.logserver import LogServer
from tests.system.machine import Machine
from tests.system.playbook import Playbook

__all__ = ["Bench", "Results"]

KIOSK = "/opt/kiosk/venv/bin/kiosk"
CONFIG = "/etc/kiosk/kiosk.toml"
INSTALLED_CONFIG = "/root/kiosk.toml.installed"  # as the install scenario left it


@dataclass
class Results:
    """What the run measured; written to summary.json as it goes."""

    path: Path
    figures: dict[str, Any] = field(default_factory=dict)

    def set(self, **values: Any) -> None:
        self.figures.update(values)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.figures, indent=2, sort_keys=True) + "\n")


class Bench:
    def __init__(self, guest: Guest, sandbox: Sandbox, logs: LogServer, run_dir: Path,
                 results: Results, *, kept: bool = False) -> None:
        self.kept = kept  # a machine from an earlier run: trust this run's sandbox CA anew
        self.sandbox = sandbox
        self.logs = logs
        # The host reaches the guest's sshd (Ansible) and node_exporter (a Prometheus).
        self.ssh_port, self.metrics_port = free_port(), free_port()
        self.machine = Machine(guest, run_dir / "machine",
                               {f"{API_HOST}:443": sandbox.port,
                                f"{LOG_HOST}:{LOG_PORT}": logs.port},
                               host_forwards={self.ssh_port: 22, self.metrics_port: 9100})
        self.playbook = Playbook(run_dir / "ansible", self.ssh_port, sandbox.api_key)
        self.results = results
        self.screens = results.path.parent / "screens"
        self.screens.mkdir(parents=True, exist_ok=True)
        self.journal_cursor = ""

    # --- guest shell ---------------------------------------------------------------------

    def sh(self, script: str, *, timeout: float = 300, check: bool = True) -> str:
        return self.machine.sh(script, timeout=timeout, check=check)

    def boot(self) -> float:
        """Power on and wait for the OS; seconds until the guest agent answered."""
        self.machine.power_on()
        seconds = self.machine.wait_agent()
        if self.kept and self.sandbox.ca_file is not None:
            # A machine from an earlier run: this run's CA, and this checkout's kiosk code
            # over the installed package (developers' shortcut; CI always installs anew).
            assert self.machine.agent is not None
            self.machine.agent.write_file(
                "/usr/local/share/ca-certificates/kiosk-sandbox-ca.crt",
                self.sandbox.ca_file.read_bytes())
            # ... and this run's log server CA, as install-pi placed the first one.
            self.machine.agent.write_file("/etc/kiosk/log-server-ca.pem",
                                          self.logs.tls.ca_cert.read_bytes())
            self.machine.agent.write_file("/tmp/kiosk-code.tar", _package_tar())
            self.sh("systemctl restart systemd-journal-upload && "
                    "update-ca-certificates >/dev/null && "
                    "tar -xf /tmp/kiosk-code.tar -C /opt/kiosk/venv/lib/python3*/site-packages "
                    f"&& cp {INSTALLED_CONFIG} {CONFIG} && sync && systemctl restart kiosk")
        return seconds

    def ensure_running(self) -> None:
        """Boot the machine if it is off, and start the kiosk if the install left it
        stopped (a scenario run on its own, with -k)."""
        if self.machine.agent is None:
            self.boot()
        # The install scenario's VM-only drop-in is read at the next boot, or here.
        self.sh("systemctl is-active --quiet kiosk || "
                "{ systemctl daemon-reload && systemctl start kiosk; }")
        self.wait_ready()

    # --- from the host, as the chain's servers reach a kiosk -------------------------------

    def ssh_answers(self) -> bool:
        """Whether the guest's sshd greets on its forwarded port (Ansible's way in)."""
        try:
            with socket.create_connection(("127.0.0.1", self.ssh_port), timeout=5) as conn:
                return conn.recv(64).startswith(b"SSH-")
        except OSError:
            return False

    def scrape(self) -> str:
        """node_exporter's /metrics, read from the host as Prometheus would."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=30) as answer:
            return str(answer.read().decode())

    # --- the kiosk service -----------------------------------------------------------------

    def unit(self, *props: str) -> dict[str, str]:
        out = self.sh(f"systemctl show kiosk -p {','.join(props)}")
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def wait_ready(self, timeout: float = 300) -> dict[str, str]:
        """Until kiosk.service is active (Type=notify: READY=1 was sent)."""

        def ready() -> dict[str, str] | None:
            unit = self.unit("ActiveState", "SubState", "MainPID", "NRestarts", "StatusText",
                             "ActiveEnterTimestampMonotonic")
            return unit if unit["ActiveState"] == "active" else None

        result: dict[str, str] = self.wait(ready, timeout, "kiosk READY")
        return result

    def journal(self, *matches: str, since_cursor: bool = True,
                boot: int | None = None) -> list[dict[str, Any]]:
        """The kiosk's journal entries (after the mark) with every FIELD=value of `matches`;
        of one boot only when `boot` is given (journalctl -b: 0 this one, -1 the one before).

        The fields are matched here, not by journalctl: systemd 252's journalctl returns
        nothing for field matches combined with --after-cursor when the cursor's own entry
        does not match them.
        """
        args = ["journalctl", "-u", "kiosk", "-o", "json", "--no-pager"]
        if since_cursor and self.journal_cursor:
            args += ["--after-cursor", self.journal_cursor]
        if boot is not None:
            args += ["-b", str(boot)]
        out = self.sh(" ".join(shlex.quote(a) for a in args), check=False)
        wanted = [m.split("=", 1) for m in matches]
        entries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        return [e for e in entries if all(e.get(k) == v for k, v in wanted)]

    def mark_journal(self) -> None:
        """Later journal reads see only what comes after this point."""
        out = self.sh("journalctl -u kiosk -n 1 -o json --no-pager", check=False).strip()
        if out:
            self.journal_cursor = json.loads(out.splitlines()[-1])["__CURSOR"]

    def wait_scan(self, barcode: str, *outcomes: str, timeout: float = 120) -> dict[str, Any]:
        """The scan's journal entry, once it has one of `outcomes` (any when none given)."""
        def found() -> dict[str, Any] | None:
            for entry in self.journal("KIOSK_EVENT=scan", f"BARCODE={barcode}"):
                if not outcomes or entry.get("OUTCOME") in outcomes:
                    return entry
            return None

        what = f"scan {barcode} ({' or '.join(outcomes) or 'any outcome'})"
        result: dict[str, Any] = self.wait(found, timeout, what)
        return result

    def wait_message(self, needle: str, timeout: float = 120) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((e for e in self.journal() if needle in str(e.get("MESSAGE", ""))),
                        None)

        return self.wait(found, timeout, f"journal line with {needle!r}")

    def status(self) -> dict[str, Any]:
        return dict(json.loads(self.sh(f"{KIOSK} status --json --config {CONFIG}")))

    def configure(self, **sections: dict[str, Any]) -> None:
        """Rewrite keys of /etc/kiosk/kiosk.toml as an admin would, with a small editor."""
        for section, keys in sections.items():
            for key, value in keys.items():
                toml = json.dumps(value)
                script = (
                    "import re,sys;p=sys.argv[1];s=open(p).read();"
                    "sec,key,val=sys.argv[2:5];"
                    "head='['+sec+']';i=s.index(head)+len(head);"
                    "j=s.find('\\n[',i);j=len(s) if j<0 else j;body=s[i:j];"
                    "pat=re.compile(r'(?m)^#?[ \\t]*'+re.escape(key)+r'[ \\t]*=.*$');"
                    "body=pat.sub(key+' = '+val,body,1) if pat.search(body) "
                    "else body.rstrip('\\n')+'\\n'+key+' = '+val+'\\n';"
                    "open(p,'w').write(s[:i]+body+s[j:])"
                )
                self.sh(f"python3 -c {shlex.quote(script)} {CONFIG} {section} {key} "
                        f"{shlex.quote(toml)}")

    # --- waiting -------------------------------------------------------------------------

    def wait(self, probe: Callable[[], Any], timeout: float, what: str) -> Any:
        """Poll `probe` until it returns something true; `timeout` is the x86 guest's,
        scaled by the guest's slowness."""
        timeout *= self.machine.slowness
        deadline = time.monotonic() + timeout
        pause = 0.2
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
            time.sleep(pause)  # the guest is polled: it has no way to call back
            pause = min(pause * 1.5, 2.0)


def _package_tar() -> bytes:
    buf = io.BytesIO()
    package = Path(__file__).resolve().parents[2] / "kiosk"
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(package, arcname="kiosk",
                filter=lambda t: None if "__pycache__" in t.name else t)
    return buf.getvalue()


STORE, LANE = "system-test", "lane-1"  # the guest's fleet labels, from the inventory


def prepare_commands() -> str:
    """What a store's IT does before the roll-out: the data disk (the offline wheelhouse)
    mounted and the store's CA in the trust store."""
    return " && ".join([
        f"mountpoint -q {DATA_MOUNT} || mount {DATA_MOUNT}",
        f"install -D -m 0644 {DATA_MOUNT}/ca/kiosk-sandbox-ca.crt "
        "/usr/local/share/ca-certificates/kiosk-sandbox-ca.crt",
    ])


def inventory_vars(client_id: str, log_server_ca: Path) -> dict[str, Any]:
    """The guest's host variables: a chain's device whose logs go to the central server
    and whose metrics node_exporter serves (install-pi's INSTALL_PI_ARGS, as variables),
    Python packages from the data disk's wheelhouse. Not started: the harness points it
    at the sandbox first (the next scenario boots it)."""
    assert "--metrics" in INSTALL_PI_ARGS
    log_server = INSTALL_PI_ARGS[INSTALL_PI_ARGS.index("--log-server") + 1]
    return {"kiosk_client_id": client_id, "kiosk_store": STORE, "kiosk_lane": LANE,
            "kiosk_metrics": True, "kiosk_log_server": log_server,
            "kiosk_log_server_ca": str(log_server_ca),
            "kiosk_wheels_dir": f"{DATA_MOUNT}/wheels", "kiosk_start": False}


API_BASE_URL = f"https://{API_HOST}/api/v1"
