"""Behind a real HAProxy and a real nginx (started here on free ports, temporary
configurations): the per-address quota and connection cap key on the client the proxy
saw, read from ``X-Forwarded-For`` because the proxy is a trusted one; a client cannot
spoof it, through the proxy or around it. Loopback stands in for the internet: each
client connects from its own 127.0.0.x address."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import socketio

from tests.gateway.conftest import RunningGateway, StartGateway, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
INSTALLED = {"nginx": Path(NGINX).exists(), "haproxy": Path(HAPROXY).exists()}


def nginx_config(directory: Path, port: int, upstream: int) -> Path:
    config = directory / "nginx.conf"
    config.write_text(f"""
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 120s;
        }}
    }}
}}
""")
    return config


def haproxy_config(directory: Path, port: int, upstream: int) -> Path:
    config = directory / "haproxy.cfg"
    config.write_text(f"""
global
    maxconn 256
defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 120s
frontend public
    bind 127.0.0.1:{port}
    default_backend gateway
backend gateway
    server gateway1 127.0.0.1:{upstream}
""")
    return config


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@contextlib.contextmanager
def running(command: list[str], port: int) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            if listening(port):
                break
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        if process.poll() is None:
            process.kill()


@contextlib.asynccontextmanager
async def proxy(kind: str, directory: Path, upstream: int) -> AsyncIterator[str]:
    if not INSTALLED[kind]:
        pytest.skip(f"{kind} is not installed (scripts/test.sh installs it)")
    port = free_port()
    if kind == "nginx":
        command = [NGINX, "-p", str(directory), "-c", str(nginx_config(directory, port, upstream))]
    else:
        command = [HAPROXY, "-db", "-f", str(haproxy_config(directory, port, upstream))]
    with running(command, port):
        yield f"http://127.0.0.1:{port}"


async def new_citizen(url: str, source: str, headers: dict[str, str] | None = None,
                      transport: str = "websocket") -> bool:
    """Whether a new anonymous citizen connecting from ``source`` gets a session."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        sio = socketio.AsyncClient(reconnection=False, http_session=session)
        sessions: list[object] = []
        sio.on("session", sessions.append, namespace="/citizen")
        try:
            await sio.connect(url, namespaces=["/citizen"], transports=[transport],
                              headers=headers or {}, wait_timeout=10)
        except socketio.exceptions.ConnectionError:
            return False
        try:
            for _ in range(100):
                if sessions:
                    return True
                await asyncio.sleep(0.05)
            return False
        finally:
            await sio.disconnect()


@pytest.fixture
async def guarded(start_gateway: StartGateway) -> RunningGateway:
    return await start_gateway(anonymous_per_ip=2, trusted_proxies=("127.0.0.1",))


@pytest.mark.parametrize("kind", ["haproxy", "nginx"])
@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_the_quota_keys_on_the_client_behind_a_trusted_proxy(
        guarded: RunningGateway, tmp_path: Path, kind: str, transport: str) -> None:
    async with proxy(kind, tmp_path, guarded.port) as url:
        assert await new_citizen(url, "127.0.0.2", transport=transport)
        assert await new_citizen(url, "127.0.0.2", transport=transport)
        assert not await new_citizen(url, "127.0.0.2", transport=transport), \
            "the third new identity from one client is refused"
        assert not await new_citizen(url, "127.0.0.2", {"X-Forwarded-For": "203.0.113.7"},
                                     transport=transport), \
            "an address the client writes itself does not escape its quota"
        assert await new_citizen(url, "127.0.0.3", transport=transport), \
            "another client behind the same proxy is not locked out"


async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(
        guarded: RunningGateway) -> None:
    for spoofed in ("203.0.113.1", "203.0.113.2"):
        assert await new_citizen(guarded.url, "127.0.0.4", {"X-Forwarded-For": spoofed})
    assert not await new_citizen(guarded.url, "127.0.0.4", {"X-Forwarded-For": "203.0.113.3"})
    assert not await new_citizen(guarded.url, "127.0.0.4", {"X-Forwarded-For": "203.0.113.4"},
                                 transport="polling")


async def open_websocket(url: str, source: str, stack: contextlib.AsyncExitStack) -> int:
    """The status a raw Engine.IO WebSocket opening from ``source`` gets (101 kept open)."""
    session = await stack.enter_async_context(aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)))
    try:
        ws = await asyncio.wait_for(session.ws_connect(
            f"{url}/socket.io/?EIO=4&transport=websocket", origin="http://localhost"), 5)
    except aiohttp.WSServerHandshakeError as refused:
        return refused.status
    stack.push_async_callback(ws.close)
    return 101


@pytest.mark.parametrize("kind", ["haproxy", "nginx"])
async def test_connections_are_capped_per_client_behind_a_trusted_proxy(
        start_gateway: StartGateway, tmp_path: Path, kind: str) -> None:
    gateway = await start_gateway(trusted_proxies=("127.0.0.1",),
                                  max_connections_per_address=2)
    async with proxy(kind, tmp_path, gateway.port) as url, \
            contextlib.AsyncExitStack() as stack:
        assert await open_websocket(url, "127.0.0.2", stack) == 101
        assert await open_websocket(url, "127.0.0.2", stack) == 101
        assert await open_websocket(url, "127.0.0.2", stack) == 429, \
            "the client's third connection is over its share"
        for source in ("127.0.0.3", "127.0.0.3", "127.0.0.4"):
            assert await open_websocket(url, source, stack) == 101, \
                "the proxy's connections are not capped as one client's"
