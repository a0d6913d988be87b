"""Throwaway Redis and PostgreSQL servers for the tests: free ports, temporary folders.

A test run never depends on a server someone else started: each server here is private
to the run and removed after it. ``RTC_GATEWAY_TEST_REDIS_URL`` and
``RTC_GATEWAY_TEST_DATABASE_URL`` point the tests at servers of one's own instead.
PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres``
system user (Debian's package creates it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.gateway_process import free_port

POSTGRES_BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
                     "/usr/lib/postgresql/15/bin")


class ServiceUnavailable(RuntimeError):
    """The server program is not installed on this machine."""


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str,
                   timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout_s} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def redis_server() -> Iterator[str]:
    """A ``redis-server`` on a free loopback port that keeps nothing on disk; its URL."""
    configured = os.environ.get("RTC_GATEWAY_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceUnavailable("redis-server is not installed")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="rtc-redis-") as folder:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", folder, "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_port(port, process, "redis-server")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            _stop(process)


def _postgres_binary(name: str) -> str:
    for folder in POSTGRES_BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ServiceUnavailable(f"PostgreSQL's {name} is not installed")
    return found


def _as_postgres_user() -> tuple[list[str], int | None]:
    """The command prefix and uid that run the cluster: ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError as error:
        raise ServiceUnavailable("running as root and there is no postgres user") from error
    return ["runuser", "-u", "postgres", "--"], user.pw_uid


def _wait_until_ready(port: int, process: subprocess.Popen[bytes],
                      timeout_s: float = 30.0) -> None:
    """A listening cluster may still answer "starting up": ask ``pg_isready``."""
    ready = _postgres_binary("pg_isready")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with status {process.returncode}")
        if subprocess.run([ready, "-q", "-h", "127.0.0.1", "-p", str(port)],
                          check=False, timeout=10).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"postgres on port {port} was not ready within {timeout_s} s")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A fresh PostgreSQL cluster (``initdb``) on a free loopback port; its URL."""
    configured = os.environ.get("RTC_GATEWAY_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    initdb, postgres = _postgres_binary("initdb"), _postgres_binary("postgres")
    prefix, uid = _as_postgres_user()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="rtc-postgres-") as folder:
        data, sockets = Path(folder) / "data", Path(folder) / "run"
        sockets.mkdir()
        if uid is not None:
            os.chown(folder, uid, -1)
            os.chown(sockets, uid, -1)
        subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)
        process = subprocess.Popen(
            [*prefix, postgres, "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(sockets), "-c", "max_connections=200", "-c", "fsync=on"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_port(port, process, "postgres")
            _wait_until_ready(port, process)
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            _stop(process)
