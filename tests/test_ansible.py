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
    assert {"--no-hw-watchdog", "--no-console-changes", "--keep-desktop", "--journal"} <= used
    assert {opt for opt in used if opt not in help_text} == set()


def test_the_screen_and_console_variables_become_install_pi_flags() -> None:
    """Each variable's default is install-pi's own default (no flag); its opposite, the flag.
    The playbook's own expression is evaluated, with a debug task, on the controller."""
    expression = re.search(r"install_pi_args: >-\n(.*?)\n\n", PLAYBOOK.read_text(), re.S)
    assert expression is not None
    cases = {
        "{}": [],
        '{"kiosk_hw_watchdog": false, "kiosk_console_changes": "false",'
        ' "kiosk_keep_desktop": true, "kiosk_journal": "volatile"}': [
            "--no-hw-watchdog", "--no-console-changes", "--keep-desktop", "--journal",
            "volatile"],
    }
    for extra, flags in cases.items():
        flat = " ".join(expression.group(1).split())
        assert flat.startswith("{{ ") and flat.endswith(" }}")
        res = _ansible("ansible", "localhost", "-m", "debug", "-a",
                       "msg={{ (" + flat[3:-3] + ") | join(',') ~ '|' }}",
                       "-e", "kiosk_deploy_dir=/opt/kiosk-deploy", "-e", extra)
        assert res.returncode == 0, res.stdout + res.stderr
        shown = re.search(r"msg: '?([^'|\n]*)\|", res.stdout)
        assert shown is not None, res.stdout
        assert shown.group(1) == ",".join(flags), (extra, res.stdout)
