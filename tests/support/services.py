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
import signal
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


def _stop(process: subprocess.Popen[bytes], how: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(how)
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
    with redis_process() as server:
        yield server.url


class RedisProcess:
    """A private ``redis-server`` that a test may stop and start again on the same port."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceUnavailable("redis-server is not installed")
        self._binary, self._folder = binary, folder
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self._folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self._process, "redis-server")

    def stop(self) -> None:
        if self._process is not None:
            _stop(self._process, signal.SIGKILL)
            self._process = None


@contextmanager
def redis_process() -> Iterator[RedisProcess]:
    """A started private Redis of one test's own (for outages), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="rtc-redis-") as folder:
        server = RedisProcess(Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()


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
    """The command prefix and uid that run the cluster: ``postgres`` when we are root.

    ``setpriv`` execs the server itself (no process in between), so stopping the process
    we started stops the server.
    """
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError as error:
        raise ServiceUnavailable("running as root and there is no postgres user") from error
    return (["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
             "--"], user.pw_uid)


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


class PostgresCluster:
    """A private cluster that a test may stop and start again (an outage), same port."""

    def __init__(self, folder: Path) -> None:
        self._initdb = _postgres_binary("initdb")
        self._postgres = _postgres_binary("postgres")
        self._prefix, uid = _as_postgres_user()
        self._data, self._sockets = folder / "data", folder / "run"
        self._sockets.mkdir()
        if uid is not None:
            os.chown(folder, uid, -1)
            os.chown(self._sockets, uid, -1)
        subprocess.run([*self._prefix, self._initdb, "-D", str(self._data), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [*self._prefix, self._postgres, "-D", str(self._data), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self._sockets), "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self._process, "postgres")
        _wait_until_ready(self.port, self._process)

    def stop(self) -> None:
        """A fast shutdown: clients are disconnected, the server is gone on return."""
        if self._process is not None:
            _stop(self._process, signal.SIGINT)
            self._process = None


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A fresh PostgreSQL cluster (``initdb``) on a free loopback port, started."""
    with tempfile.TemporaryDirectory(prefix="rtc-postgres-") as folder:
        cluster = PostgresCluster(Path(folder))
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop()


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the run: ``RTC_GATEWAY_TEST_DATABASE_URL``, or a fresh one."""
    configured = os.environ.get("RTC_GATEWAY_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with postgres_cluster() as cluster:
        yield cluster.url
