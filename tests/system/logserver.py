"""The fleet's central log server, on the host: Debian's `systemd-journal-remote` over
HTTPS, which the guest's `systemd-journal-upload` (set up by `install-pi --log-server`)
sends its journal to, as a chain's kiosks would to their central one.

The guest reaches it as https://10.0.2.101:19532 (QEMU forwards that address here). Its
certificate is signed by a CA of its own, which the guest gets with `--log-server-ca`.
`stop()` and `start()` take it away and bring it back on the same port: the guest keeps
what it could not send in its own journal and sends it once the server is back.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from kiosk.sandbox.tls import TlsFiles, make_certificates
from tests.helpers import free_port
from tests.system.image import LOG_HOST

__all__ = ["LogServer"]

RECEIVER = "/lib/systemd/systemd-journal-remote"


class LogServer:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.output = directory / "received"
        self.output.mkdir(parents=True, exist_ok=True)
        self.tls: TlsFiles = make_certificates(directory / "tls", [LOG_HOST])
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Listen (again) on the same port; entries go to `output`, a file per sender."""
        log = open(self.dir / "journal-remote.log", "ab")  # noqa: SIM115 (the child keeps it)
        with log:
            self._proc = subprocess.Popen(
                [RECEIVER, f"--listen-https=127.0.0.1:{self.port}",
                 f"--key={self.tls.server_key}", f"--cert={self.tls.server_cert}",
                 f"--output={self.output}/"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=30)
            self._proc = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def entries(self, *matches: str) -> list[dict[str, Any]]:
        """Received entries with every FIELD=value of `matches` (read with the host's
        journalctl, as the central side's admin would)."""
        out = subprocess.run(["journalctl", "-D", str(self.output), "-o", "json",
                              "--no-pager", *matches],
                             capture_output=True, text=True, check=False).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

