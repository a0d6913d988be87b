"""A real ``rtc-gateway serve`` in a subprocess on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOOPBACK_MEDIA = {"RTC_GATEWAY_RTC_HOST_ADDRESSES": "127.0.0.1"}
"""Tests keep WebRTC on loopback: the gateway's peers announce and accept nothing else."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str, env: dict[str, str] | None = None) -> str:
    """Run the ``rtc-gateway`` command line and return its stdout (fails on non-zero exit)."""
    completed = subprocess.run(
        [sys.executable, "-m", "rtc_gateway", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return completed.stdout


@dataclass
class GatewayProcess:
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def mint_agent_token(
        self,
        agent_id: str,
        name: str = "Officier Test",
        service: str = "police",
        *,
        topics: str | None = None,
        languages: str | None = None,
        max_chats: int | None = None,
        role: str = "agent",
    ) -> str:
        args = ["token", "agent", "--data-dir", str(self.data_dir), "--id", agent_id,
                "--name", name, "--service", service, "--role", role]
        if topics is not None:
            args += ["--topics", topics]
        if languages is not None:
            args += ["--languages", languages]
        if max_chats is not None:
            args += ["--max-chats", str(max_chats)]
        return cli(*args).strip()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path,
                 timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited early:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"gateway not healthy after {timeout}s:\n{log_path.read_text()}")


def start_gateway(data_dir: Path, *extra_args: str, env: dict[str, str] | None = None,
                  port: int | None = None) -> GatewayProcess:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "gateway.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "rtc_gateway", "serve", "--data-dir", str(data_dir),
             "--host", "127.0.0.1", "--port", str(port), *extra_args],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **LOOPBACK_MEDIA, **(env or {})},
        )
    gateway = GatewayProcess(data_dir, port, process, log_path)
    try:
        wait_healthy(gateway.url, process, log_path)
    except BaseException:
        gateway.stop(signal.SIGKILL)
        raise
    return gateway


@contextmanager
def running_gateway(data_dir: Path, *extra_args: str,
                    env: dict[str, str] | None = None) -> Iterator[GatewayProcess]:
    gateway = start_gateway(data_dir, *extra_args, env=env)
    try:
        yield gateway
    finally:
        gateway.stop()
