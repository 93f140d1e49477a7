"""deploy/ansible: the playbook parses, its example inventory reads as Ansible reads it,
and every install-pi option it passes exists. The system test runs it against a machine
(tests/system: install, then a second run with changed=0); this is the fast check.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSIBLE = ROOT / "deploy" / "ansible"
PLAYBOOK = ANSIBLE / "kiosk.yml"
INVENTORY = ANSIBLE / "inventory.example.yml"

pytestmark = pytest.mark.skipif(
    shutil.which("ansible-playbook") is None,
    reason="needs ansible-core (./scripts/setup installs it)",
)


def _ansible(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=ANSIBLE, capture_output=True, text=True, timeout=120,
                          check=False, env={"PATH": "/usr/bin:/bin", "HOME": str(ANSIBLE),
                                            "ANSIBLE_LOCAL_TEMP": "/tmp",
                                            "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg")})


def test_the_playbook_parses() -> None:
    res = _ansible("ansible-playbook", "-i", str(INVENTORY), str(PLAYBOOK), "--syntax-check")
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_example_inventory_gives_every_kiosk_its_labels() -> None:
    res = _ansible("ansible-inventory", "-i", str(INVENTORY), "--list")
    assert res.returncode == 0, res.stderr
    hostvars = json.loads(res.stdout)["_meta"]["hostvars"]
    assert len(hostvars) >= 2
    for host, variables in hostvars.items():
        assert variables["kiosk_store"] and variables["kiosk_lane"], host
        assert "vault_kiosk_api_key" not in variables  # the key lives in the vault file


def test_the_playbook_passes_only_real_install_pi_options() -> None:
    help_text = subprocess.run([str(ROOT / "scripts" / "install-pi"), "--help"],
                               capture_output=True, text=True, check=True).stdout
    used = set(re.findall(r"'(--[a-z][a-z-]+)'", PLAYBOOK.read_text()))
    assert {"--store", "--lane", "--metrics", "--api-key-stdin", "--wheels"} <= used
    assert {opt for opt in used if opt not in help_text} == set()
