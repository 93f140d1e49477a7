"""A real forward proxy for the tests: Debian's tinyproxy, started on a loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tests.helpers import free_port

__all__ = ["Tinyproxy"]


class Tinyproxy:
    """tinyproxy in the foreground with its own config; `log()` is what it wrote.

    `user`/`password` turn on Basic authentication (a proxy that refuses a kiosk without
    them answers 407); `connect_ports` limits where CONNECT may go (403 elsewhere).
    """

    def __init__(self, workdir: Path, *, user: str | None = None, password: str | None = None,
                 connect_ports: tuple[int, ...] = ()) -> None:
        binary = shutil.which("tinyproxy")
        if binary is None:
            raise FileNotFoundError("tinyproxy is not installed (scripts/setup installs it)")
        self.binary = binary
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_path = workdir / "tinyproxy.log"
        lines = [f"Port {self.port}", "Listen 127.0.0.1", "Timeout 30", "Allow 127.0.0.1",
                 "LogLevel Connect", f'LogFile "{self.log_path}"', "MaxClients 50"]
        if user is not None:
            lines.append(f"BasicAuth {user} {password}")
        lines += [f"ConnectPort {p}" for p in connect_ports]
        self.config = workdir / "tinyproxy.conf"
        self.config.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Tinyproxy:
        self.proc = subprocess.Popen([self.binary, "-d", "-c", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tinyproxy did not start: {self.log()[-500:]}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def connects_to(self, port: int) -> int:
        """How many CONNECT tunnels it was asked to open to a loopback `port`."""
        return self.log().count(f"CONNECT 127.0.0.1:{port} ")

    def __enter__(self) -> Tinyproxy:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

