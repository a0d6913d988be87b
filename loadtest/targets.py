"""Start the servers under test (the Node reference relays, rtc-gateway) on loopback ports."""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
KEYS_HOME = Path(tempfile.gettempdir()) / "rtc-gateway-load-keys"
TOKEN_CACHE_MAX_AGE_S = 6 * 3600
KINDS = ("node", "durable", "gateway")
REFERENCE_SCRIPTS = {"node": "server.js", "durable": "durable.js"}
JOURNAL_NAME = "chain.log"

# Per-connection and per-IP abuse limits are meant for the public; every load client
# shares 127.0.0.1 and an agent connection carries many conversations, so the race lifts
# the thresholds (the checks themselves still run on every event).
LOAD_ENVIRONMENT = {
    "RTC_GATEWAY_ANONYMOUS_PER_IP": "100000000",
    "RTC_GATEWAY_RATE_PER_S": "1000000",
    "RTC_GATEWAY_RATE_BURST": "1000000",
    "RTC_GATEWAY_CONNECTS_PER_ADDRESS_PER_S": "1000000",
    "RTC_GATEWAY_CONNECTS_PER_ADDRESS_BURST": "1000000",
    "RTC_GATEWAY_MAX_OPEN_PER_ADDRESS": "100000000",
    "RTC_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS": "100000000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def raise_fd_limit() -> None:
    """Lift the soft open-files limit to the hard one (10k connections need 10k fds)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass
class Server:
    """A running server process and how to mint agent tokens it accepts."""

    kind: str
    serializer: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path | None = None
    _owned_dir: Path | None = field(default=None, repr=False)
    command: list[str] = field(default_factory=list, repr=False)
    environment: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.serializer}"

    @property
    def journal_path(self) -> Path | None:
        """The durable relay's hash-chained message log (loadtest/chain.py checks it)."""
        if self.kind != "durable" or self.data_dir is None:
            return None
        return self.data_dir / JOURNAL_NAME

    def agent_tokens(self, count: int, max_chats: int, prefix: str = "load",
                     service: str = "police") -> list[str]:
        ids = [f"{prefix}-{index}" for index in range(count)]
        if self.kind in REFERENCE_SCRIPTS:
            return [f"ref.{agent_id}.{max_chats}" for agent_id in ids]
        return GatewayTokens(KEYS_HOME).get(ids, max_chats, service)

    def restart(self, stop_with: int) -> float:
        """Stop the process with ``stop_with`` (a signal), start the same command on the
        same port and data directory; returns the seconds until it was healthy again."""
        stopped_at = time.monotonic()
        self.process.send_signal(stop_with)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = _spawn(self.command, self.log_path, cwd=self.cwd, env=self.environment)
        _wait_healthy(self, limit_s=60)
        return round(time.monotonic() - stopped_at, 3)

    @property
    def cwd(self) -> Path | None:
        return REFERENCE_DIR if self.kind in REFERENCE_SCRIPTS else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, keep_data: bool = False) -> None:
        """Stop the process; its own temporary data directory goes too unless ``keep_data``."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not keep_data and self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)


class GatewayTokens:
    """Agent tokens minted once with the CLI against a key kept between runs.

    Each gateway run gets a fresh data directory holding a copy of that key, so runs
    start clean and still skip the second or so a ``token agent`` call costs.
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.cache_path = home / "tokens.json"

    def load(self) -> dict[str, str]:
        try:
            cached = json.loads(self.cache_path.read_text())
        except (OSError, ValueError):
            return {}
        if time.time() - cached.get("minted_at", 0) > TOKEN_CACHE_MAX_AGE_S:
            return {}
        tokens: dict[str, str] = cached["tokens"]
        return tokens

    def get(self, ids: list[str], max_chats: int, service: str = "police") -> list[str]:
        cache = self.load()
        suffix = f"/{max_chats}" if service == "police" else f"/{max_chats}/{service}"
        missing = [agent_id for agent_id in ids if f"{agent_id}{suffix}" not in cache]
        if missing:
            if not cache:
                self.cache_path.unlink(missing_ok=True)
            with ThreadPoolExecutor(max_workers=2) as pool:
                minted = list(pool.map(
                    lambda agent_id: self.mint(agent_id, max_chats, service), missing))
            cache.update({f"{a}{suffix}": t for a, t in zip(missing, minted, strict=True)})
            minted_at = json.loads(self.cache_path.read_text())["minted_at"] \
                if self.cache_path.exists() else time.time()
            self.cache_path.write_text(json.dumps({"minted_at": minted_at, "tokens": cache}))
        return [cache[f"{agent_id}{suffix}"] for agent_id in ids]

    def mint(self, agent_id: str, max_chats: int, service: str = "police") -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "rtc_gateway", "token", "agent", "--data-dir",
             str(self.home), "--id", agent_id, "--name", f"Agent {agent_id}",
             "--service", service, "--max-chats", str(max_chats)],
            check=True, capture_output=True, text=True, timeout=60)
        return completed.stdout.strip()

    def install_key(self, data_dir: Path) -> None:
        """Give a fresh data directory the key the cached tokens are signed with."""
        if not (self.home / "keys").is_dir():
            self.mint("warm-up", 1)
            self.cache_path.unlink(missing_ok=True)
        shutil.copytree(self.home / "keys", data_dir / "keys", dirs_exist_ok=True)


def _wait_healthy(server: Server, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.kind} exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise TimeoutError(f"{server.kind} not healthy after {limit_s}s:\n{server.log()}")


def _spawn(command: list[str], log_path: Path, cwd: Path | None = None,
           env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log_file:
        return subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, cwd=cwd,
                                env={**os.environ, **(env or {})}, preexec_fn=raise_fd_limit)


def start_server(kind: str, serializer: str = "json", *, data_dir: Path | None = None,
                 extra_args: tuple[str, ...] = (), deflate: bool = False,
                 launcher: tuple[str, ...] = (), health_limit_s: float = 30.0) -> Server:
    """Start ``kind`` (one of KINDS); ``launcher`` prefixes the command (a profiler, which
    may need a longer ``health_limit_s`` to come up)."""
    port = free_port()
    owned = None
    if data_dir is None:
        owned = data_dir = Path(tempfile.mkdtemp(prefix=f"load-{kind}-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"{kind}.log"
    environment: dict[str, str] = {}
    if kind in REFERENCE_SCRIPTS:
        if not (REFERENCE_DIR / "node_modules").is_dir():
            raise RuntimeError(f"run `npm install` in {REFERENCE_DIR} first")
        command = ["node", REFERENCE_SCRIPTS[kind], "--port", str(port), "--serializer",
                   serializer, "--deflate", "on" if deflate else "off"]
        if kind == "durable":
            command += ["--log", str(data_dir.resolve() / JOURNAL_NAME)]
        command = [*launcher, *command]
        process = _spawn(command, log_path, cwd=REFERENCE_DIR)
    elif kind == "gateway":
        GatewayTokens(KEYS_HOME).install_key(data_dir)
        command = [sys.executable, "-m", "rtc_gateway", "serve", "--data-dir", str(data_dir),
                   "--host", "127.0.0.1", "--port", str(port), "--serializer", serializer,
                   *extra_args]
        command, environment = [*launcher, *command], LOAD_ENVIRONMENT
        process = _spawn(command, log_path, env=environment)
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    server = Server(kind, serializer, port, process, log_path, data_dir, owned, command,
                    environment)
    _wait_healthy(server, health_limit_s)
    return server


def environment_note() -> dict[str, object]:
    """What a reader needs to compare figures between machines."""
    load1, load5, _ = os.getloadavg()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "loadavg_1m": round(load1, 2), "loadavg_5m": round(load5, 2),
            "python": sys.version.split()[0], "node": node}
