"""The roll-out a chain's admin runs: `ansible-playbook deploy/ansible/kiosk.yml` from the
host against the guest over SSH, with the API key in an Ansible Vault file.

The guest is one inventory host. It is reached as 127.0.0.1 on a port QEMU forwards to its
sshd, as root with a key made for this run (a Pi's admin would connect as `pi` and
become root with sudo, which a minbase guest lacks: root needs no become). The code goes
in as a tarball of this checkout's working tree, with fixed timestamps, so that the same
tree packs to the same bytes and a second run finds nothing to copy.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import secrets
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PLAYBOOK", "Playbook", "PlaybookRun"]

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "deploy" / "ansible" / "kiosk.yml"
HOST = "kiosk-vm"
FIXED_MTIME = 1_767_225_600  # 2026-01-01


@dataclass(frozen=True)
class PlaybookRun:
    seconds: float
    recap: dict[str, int]  # the PLAY RECAP line of the guest: ok, changed, failed, ...
    output: str


class Playbook:
    def __init__(self, work: Path, ssh_port: int, api_key: str) -> None:
        self.dir = work
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ssh_port = ssh_port
        self.api_key = api_key
        self.key = self.dir / "id_ed25519"
        if not self.key.exists():
            _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kiosk-system-test",
                  "-f", str(self.key)])
        self.password_file = self.dir / "vault-password"
        self.vault = self.dir / "vault.yml"
        self._make_vault()
        self.tarball = self.dir / "kiosk-src.tar.gz"
        self.tarball.write_bytes(_checkout_tarball(ROOT))

    @property
    def public_key(self) -> bytes:
        return self.key.with_suffix(".pub").read_bytes()

    def _make_vault(self) -> None:
        """The key as an admin keeps it: `ansible-vault encrypt`ed, never in plain text."""
        self.password_file.write_text(secrets.token_urlsafe(24) + "\n")
        self.password_file.chmod(0o600)
        self.vault.write_text(json.dumps({"vault_kiosk_api_key": self.api_key}) + "\n")
        _run(["ansible-vault", "encrypt", "--vault-password-file", str(self.password_file),
              str(self.vault)])
        assert self.vault.read_text().startswith("$ANSIBLE_VAULT;")

    def run(self, host_vars: dict[str, Any], *, timeout: float = 2400) -> PlaybookRun:
        """One `ansible-playbook` run with `host_vars` (kiosk_store, …) for the guest."""
        inventory = self.dir / "inventory.yml"
        inventory.write_text(json.dumps({"kiosks": {"hosts": {HOST: {
            "ansible_host": "127.0.0.1",
            "ansible_port": self.ssh_port,
            "ansible_user": "root",
            "ansible_become": False,
            "ansible_ssh_private_key_file": str(self.key),
            # A new machine (and host key) every run: nothing to pin it to.
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no "
                                       "-o UserKnownHostsFile=/dev/null",
            "kiosk_source_tarball": str(self.tarball),
            **host_vars,
        }}}}, indent=2))
        env = {**os.environ, "ANSIBLE_CONFIG": str(PLAYBOOK.parent / "ansible.cfg"),
               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
               "ANSIBLE_LOCAL_TEMP": str(self.dir / "ansible-tmp")}
        started = time.monotonic()
        proc = subprocess.run(
            ["ansible-playbook", "-i", str(inventory), str(PLAYBOOK),
             "--vault-password-file", str(self.password_file), "-e", f"@{self.vault}"],
            env=env, capture_output=True, text=True, timeout=timeout, check=False,
            stdin=subprocess.DEVNULL, cwd=PLAYBOOK.parent)
        seconds = time.monotonic() - started
        output = proc.stdout + proc.stderr
        n = len(list(self.dir.glob("run-*.log"))) + 1
        (self.dir / f"run-{n}.log").write_text(output)
        if proc.returncode != 0:
            raise AssertionError(f"ansible-playbook failed ({proc.returncode}):\n"
                                 f"{output[-6000:]}")
        found = re.search(rf"^{HOST}\s*:\s*(.*)$", output, re.M)
        assert found, f"no PLAY RECAP line for {HOST}:\n{output[-3000:]}"
        recap = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found.group(1))}
        return PlaybookRun(seconds, recap, output)


def _checkout_tarball(checkout: Path) -> bytes:
    """The files git tracks as they are in the working tree (uncommitted edits too, as the
    system test's data disk has them), in a stable order with fixed times and owners."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=checkout, capture_output=True,
                           check=True).stdout.decode().split("\0")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(filter(None, names)):
            path = checkout / name
            if not path.exists() and not path.is_symlink():
                continue  # deleted in the working tree
            info = tar.gettarinfo(str(path), arcname=name)
            # A fixed time, after 1980: the wheel pip builds on the guest is a zip file.
            info.mtime, info.uid, info.gid, info.uname, info.gname = FIXED_MTIME, 0, 0, "", ""
            if info.isreg():
                with path.open("rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return gzip.compress(raw.getvalue(), mtime=0)


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
