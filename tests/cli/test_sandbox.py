"""`kiosk sandbox` as a real process: prints where it is, serves, stops on SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.cli import sandbox as cli

ROOT = Path(__file__).resolve().parents[2]


def test_arguments_and_help() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--fault", "status=503,count=3"])
    assert (args.host, args.port, args.balance, args.rpm) == ("127.0.0.1", 0, 500.0, 60)
    assert args.fault == ["status=503,count=3"]
    assert "latency=0.5,count=1000" in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args(["--fault", "meteor"])


@contextlib.contextmanager
def sandbox_process(*args: str) -> Iterator[subprocess.Popen[str]]:
    """`kiosk sandbox ARGS` as a process; killed afterwards if it did not stop itself."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sandbox", *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          cwd=ROOT) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=10)


def test_serves_until_sigterm() -> None:
    with sandbox_process("--port", "0", "--balance", "12",
                         "--fault", "status=503,count=1,path=/pricing") as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        base = first.split(" at ")[1].strip()
        banner = "".join(proc.stdout.readline() for _ in range(6))
        assert "rd_client_sandbox" in banner and "sk_test_sandbox_key" in banner
        assert "12 credits" in banner
        assert base.startswith("https://127.0.0.1:")
        ca = banner.split("CA:")[1].split()[0]
        verify = ssl.create_default_context(cafile=ca)  # the printed CA, and only it
        token = httpx.post(f"{base}/auth/token", json={"client_id": "rd_client_sandbox",
                                                       "api_key": "sk_test_sandbox_key"},
                           timeout=10, verify=verify).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/pricing", headers=headers, verify=verify).status_code == 503
        balance = httpx.get(f"{base}/balance", headers=headers, verify=verify).json()
        assert balance["credit_balance"] == 12
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_rtt_ms_serves_through_a_relay_on_the_printed_port() -> None:
    with sandbox_process("--port", "0", "--rtt-ms", "150") as proc:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(9)]
        base = lines[0].split(" at ")[1].strip()
        ca = next(line for line in lines if "CA:" in line).split("CA:")[1].split()[0]
        assert any("150 ms round trip" in line for line in lines), lines
        with httpx.Client(verify=ssl.create_default_context(cafile=ca)) as client:
            t0 = time.monotonic()
            answer = client.get(f"{base}/pricing")
            elapsed = time.monotonic() - t0
        assert answer.status_code == 401  # the sandbox answered, through the relay
        assert elapsed >= 3 * 0.150  # TCP + TLS + the request, each a round trip
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
