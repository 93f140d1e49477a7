"""QEMU's two JSON line protocols: QMP (the machine: screen, keyboard, USB, power) and the
guest agent (commands and files inside the guest).

Both are a JSON object per line over a unix socket. QMP greets and wants
`qmp_capabilities` first, and interleaves asynchronous events with answers. The guest
agent does not greet; after a reboot or a harness restart stale answers may still be
queued, so every session starts with `guest-sync-delimited` and a fresh id (the agent's
documented way to resynchronise).
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["AgentError", "ExecResult", "GuestAgent", "Qmp"]


class AgentError(RuntimeError):
    """The guest agent or QMP answered with an error, or not at all."""


class _JsonLines:
    def __init__(self, path: Path, timeout: float) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(str(path))
        except OSError:
            self._sock.close()
            raise
        self._buf = b""

    def send(self, message: dict[str, Any]) -> None:
        self._sock.sendall(json.dumps(message).encode() + b"\n")

    def receive(self, timeout: float) -> dict[str, Any]:
        self._sock.settimeout(timeout)
        while True:
            while b"\n" not in self._buf:
                data = self._sock.recv(65536)
                if not data:
                    raise EOFError("the other end closed the socket")
                self._buf += data
            line, self._buf = self._buf.split(b"\n", 1)
            line = line.replace(b"\xff", b"").strip()  # 0xff: guest-sync-delimited's marker
            if line:
                return dict(json.loads(line))

    def close(self) -> None:
        self._sock.close()


class Qmp(_JsonLines):
    """The QEMU monitor: `command(name, **arguments)` returns QMP's `return` value."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        super().__init__(path, timeout)
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        try:
            self.receive(timeout)  # the greeting
            self.command("qmp_capabilities")
        except BaseException:
            self.close()
            raise

    def command(self, name: str, **arguments: Any) -> Any:
        message: dict[str, Any] = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.send(message)
        while True:
            answer = self.receive(self.timeout)
            if "event" in answer:
                self.events.append(answer)
                continue
            if "error" in answer:
                raise AgentError(f"QMP {name}: {answer['error'].get('desc', answer['error'])}")
            return answer.get("return")


@dataclass(frozen=True)
class ExecResult:
    status: int  # exit code, or 128 + signal as a shell would say
    stdout: str
    stderr: str

    def check(self, what: str) -> ExecResult:
        if self.status != 0:
            raise AgentError(f"{what}: exit {self.status}\n{self.stdout[-2000:]}"
                             f"\n{self.stderr[-2000:]}")
        return self


class GuestAgent(_JsonLines):
    """qemu-guest-agent on a virtio-serial port."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        super().__init__(path, timeout)
        self.timeout = timeout

    def sync(self, timeout: float = 5.0) -> None:
        ident = secrets.randbelow(2**31)
        self.send({"execute": "guest-sync-delimited", "arguments": {"id": ident}})
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the guest agent did not answer guest-sync")
            if self.receive(left).get("return") == ident:
                return

    def command(self, name: str, timeout: float | None = None, **arguments: Any) -> Any:
        message: dict[str, Any] = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.send(message)
        answer = self.receive(timeout or self.timeout)
        if "error" in answer:
            raise AgentError(f"guest agent {name}: {answer['error'].get('desc', answer)}")
        return answer.get("return")

    def run(self, argv: list[str], *, timeout: float = 120.0, stdin: bytes | None = None,
            env: dict[str, str] | None = None) -> ExecResult:
        """Run a command in the guest and wait for it (polling guest-exec-status)."""
        arguments: dict[str, Any] = {"path": argv[0], "arg": argv[1:], "capture-output": True}
        if stdin is not None:
            arguments["input-data"] = base64.b64encode(stdin).decode()
        if env is not None:
            arguments["env"] = [f"{k}={v}" for k, v in env.items()]
        pid = self.command("guest-exec", **arguments)["pid"]
        deadline = time.monotonic() + timeout
        pause = 0.05
        while True:
            status = self.command("guest-exec-status", pid=pid)
            if status["exited"]:
                code = status.get("exitcode")
                if code is None:
                    code = 128 + int(status.get("signal", 0))
                return ExecResult(int(code), _text(status.get("out-data")),
                                  _text(status.get("err-data")))
            if time.monotonic() > deadline:
                raise TimeoutError(f"guest command still running after {timeout:.0f} s: {argv}")
            time.sleep(pause)  # polling the agent is the only way to learn it ended
            pause = min(pause * 2, 1.0)

    def sh(self, script: str, *, timeout: float = 120.0, stdin: bytes | None = None) -> ExecResult:
        return self.run(["/bin/sh", "-c", script], timeout=timeout, stdin=stdin)

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        handle = self.command("guest-file-open", path=path, mode="w")
        try:
            for start in range(0, len(data), 48 * 1024):
                chunk = data[start:start + 48 * 1024]
                self.command("guest-file-write", handle=handle,
                             **{"buf-b64": base64.b64encode(chunk).decode()})
        finally:
            self.command("guest-file-close", handle=handle)
        self.run(["/bin/chmod", f"{mode:o}", path]).check(f"chmod {path}")

    def read_file(self, path: str) -> bytes:
        handle = self.command("guest-file-open", path=path, mode="r")
        out = bytearray()
        try:
            while True:
                got = self.command("guest-file-read", handle=handle, count=1 << 20)
                out += base64.b64decode(got.get("buf-b64", ""))
                if got.get("eof"):
                    return bytes(out)
        finally:
            self.command("guest-file-close", handle=handle)


def _text(data: str | None) -> str:
    return base64.b64decode(data).decode(errors="replace") if data else ""
