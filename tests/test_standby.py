"""Two ``serve`` processes on one Redis and one PostgreSQL, the second a hot standby: it
answers /healthz 503 while the first serves, and takes over by itself within seconds of
a SIGKILL, behind a real HAProxy health-checking both (and a real nginx, whose checks
are passive); the evidence log's periodic
signing moves with it, and the log only grew across the kill."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import socketio

from rtc_gateway.adapters.postgres.evidence_log import PostgresEvidenceLog
from rtc_gateway.evidence.checkpoint import open_checkpoint
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.merkle import verify_consistency
from rtc_gateway.ports.clock import SystemClock
from tests.gateway.test_reverse_proxies import HAPROXY, INSTALLED, NGINX, running
from tests.support.gateway_process import (
    LOOPBACK_MEDIA,
    GatewayProcess,
    free_port,
    start_gateway,
)
from tests.support.sio_client import RecordingClient
from tests.test_shared_services import health

TTL = "1.5"
ORIGIN = "rtc-gateway.local/evidence"




@pytest.fixture
def own_redis(redis_url: str) -> str:
    """A Redis database of this test's own: another test's registry is not seen here."""
    base, _, db = redis_url.rpartition("/")
    if not db.isdigit():
        base = redis_url.rstrip("/")
    return f"{base}/{1 + uuid.uuid4().int % 15}"


class Pair:
    """A serving node ``a`` and a standby ``b`` sharing keys, Redis and PostgreSQL."""

    def __init__(self, tmp_path: Path, redis: str, database: str) -> None:
        self.flags = ("--redis-url", redis, "--database-url", database, "--standby")
        self.keys = tmp_path / "a" / "keys"
        self.env = {"RTC_GATEWAY_NODE_TTL_S": TTL, "RTC_GATEWAY_CHECKPOINT_INTERVAL_S": "1",
                    "RTC_GATEWAY_RATE_PER_S": "500", "RTC_GATEWAY_RATE_BURST": "500",
                    "RTC_GATEWAY_KEYS_DIR": str(self.keys)}
        self.tmp = tmp_path
        self.database = database
        self.a = start_gateway(tmp_path / "a", *self.flags, env=self.env)
        self.b = self._standby(tmp_path / "b")

    def _standby(self, data_dir: Path) -> GatewayProcess:
        data_dir.mkdir(parents=True)
        port = free_port()
        log_path = data_dir / "gateway.log"
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "rtc_gateway", "serve", "--data-dir", str(data_dir),
                 "--host", "127.0.0.1", "--port", str(port), *self.flags],
                stdout=log_file, stderr=subprocess.STDOUT,
                env={**os.environ, **LOOPBACK_MEDIA, **self.env})
        return GatewayProcess(data_dir, port, process, log_path)

    def stop(self) -> None:
        for node in (self.a, self.b):
            node.stop()


async def health_is(url: str, status: int, timeout_s: float = 30.0,
                    message: str | None = None) -> dict[str, Any]:
    """The first ``/healthz`` body with ``status`` (and ``message``, when given: a
    standby says ``starting`` until its first look at the registry)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(OSError, ValueError):  # HAProxy's own 503 is HTML
            code, body = await asyncio.to_thread(health, url)
            if code == status and message in (None, body.get("message")):
                return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}/healthz never answered {status}")
        await asyncio.sleep(0.1)


def haproxy_config(directory: Path, port: int, a: int, b: int) -> Path:
    config = directory / "haproxy.cfg"
    config.write_text(f"""
global
    maxconn 256
defaults
    mode http
    option forwardfor
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
frontend public
    bind 127.0.0.1:{port}
    default_backend gateway
backend gateway
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 300ms fall 2 rise 1
    server a 127.0.0.1:{a} check
    server b 127.0.0.1:{b} check
""")
    return config


def nginx_config(directory: Path, port: int, a: int, b: int) -> Path:
    """The sample of docs/operations.md: passive checks, a standby's 503 skipped."""
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
    upstream gateway {{
        ip_hash;
        server 127.0.0.1:{a} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:{b} max_fails=1 fail_timeout=5s;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gateway;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}
    }}
}}
""")
    return config


def proxy_command(kind: str, directory: Path, port: int, a: int, b: int) -> list[str]:
    if kind == "haproxy":
        return [HAPROXY, "-db", "-f", str(haproxy_config(directory, port, a, b))]
    return [NGINX, "-p", str(directory), "-c", str(nginx_config(directory, port, a, b))]


async def officer(url: str, token: str) -> RecordingClient:
    client = await RecordingClient(url, "/agent").connect({"token": token})
    await client.ok("agent:status", {"status": "available"})
    return client


async def quietly_disconnect(*clients: RecordingClient) -> None:
    for client in clients:
        with contextlib.suppress(Exception):
            await client.disconnect()


@pytest.mark.parametrize("kind", ["haproxy", "nginx"])
async def test_the_standby_takes_over_behind_a_proxy_and_the_conversation_goes_on(
        own_redis: str, fresh_database: str, tmp_path: Path, kind: str) -> None:
    if not INSTALLED[kind]:
        pytest.skip(f"{kind} is not installed (scripts/test.sh installs it)")
    pair = Pair(tmp_path, own_redis, fresh_database)
    clients: list[RecordingClient] = []
    try:
        body = await health_is(pair.b.url, 503,
                               message=f"standby: 127.0.0.1:{pair.a.port} is live")
        assert body["standby"] is True
        assert pair.b.process.poll() is None, "the standby waits instead of exiting"
        port = free_port()
        proxied = f"http://127.0.0.1:{port}"
        with running(proxy_command(kind, tmp_path, port, pair.a.port, pair.b.port), port):
            await health_is(proxied, 200)
            staff_token = await asyncio.to_thread(pair.a.mint_agent_token, "P-1")
            agent = await officer(proxied, staff_token)
            citizen = await RecordingClient(proxied, "/citizen").connect()
            clients += [agent, citizen]
            token = (await citizen.wait_for("session"))["token"]
            opened = await citizen.ok("conversation:open", {
                "topic": "general", "text": "bonjour", "client_msg_id": "c1"})
            cid = opened["conversation"]["id"]
            await agent.wait_for("conversation:assigned")
            acked = [(1, "bonjour")]
            for i in range(2, 5):
                sent = await citizen.ok("message:send", {
                    "conversation_id": cid, "client_msg_id": f"c{i}", "text": f"citoyen {i}"})
                acked.append((sent["message"]["seq"], f"citoyen {i}"))
                reply = await agent.ok("message:send", {
                    "conversation_id": cid, "client_msg_id": f"o{i}", "text": f"officier {i}"})
                acked.append((reply["message"]["seq"], f"officier {i}"))

            pair.a.stop(signal.SIGKILL)
            killed = time.monotonic()
            await health_is(pair.b.url, 200)
            took_over = time.monotonic() - killed
            await health_is(proxied, 200)
            assert took_over < 20, f"the standby took {took_over:.1f} s"
            await quietly_disconnect(agent, citizen)

            back = await RecordingClient(proxied, "/citizen").connect({"token": token})
            clients.append(back)
            resumed = await back.ok("conversation:resume", {"conversation_id": cid,
                                                            "after_seq": 0})
            assert [(m["seq"], m["text"]) for m in resumed["messages"]] == acked
            # Recovery requeues the conversation (its officer's connection did not
            # survive); the officer reconnecting gets it assigned again, with everything.
            assert resumed["conversation"]["status"] == "queued"
            agent_back = await officer(proxied, staff_token)
            clients.append(agent_back)
            handed = await agent_back.wait_for("conversation:assigned", timeout=20)
            assert handed["conversation"]["id"] == cid
            assert [(m["seq"], m["text"]) for m in handed["messages"]] == acked
            nxt = await back.ok("message:send", {"conversation_id": cid,
                                                 "client_msg_id": "c9", "text": "toujours là"})
            assert nxt["message"]["seq"] == len(acked) + 1
            got = await agent_back.wait_for("message", lambda m: m["text"] == "toujours là")
            assert got["seq"] == len(acked) + 1
    finally:
        await quietly_disconnect(*clients)
        pair.stop()
    log = pair.b.log()
    assert '"standby taking over"' in log and "Traceback" not in log
    print(f"{kind}: standby ready {took_over:.2f} s after the SIGKILL")


async def test_the_signing_role_moves_on_a_sigkill_under_load_and_the_log_only_grew(
        own_redis: str, fresh_database: str, tmp_path: Path) -> None:
    pair = Pair(tmp_path, own_redis, fresh_database)
    acked: dict[int, str] = {}
    try:
        await health_is(pair.b.url, 503)
        citizen = await RecordingClient(pair.a.url, "/citizen").connect()
        token = (await citizen.wait_for("session"))["token"]
        opened = await citizen.ok("conversation:open", {
            "topic": "general", "text": "message 0", "client_msg_id": "m0"})
        cid = opened["conversation"]["id"]
        acked[1] = "message 0"
        counter = iter(range(1, 1_000_000))
        load = asyncio.create_task(send_until_cut(citizen, cid, counter, acked))
        before = await checkpoint_signed_by(fresh_database, f"127.0.0.1:{pair.a.port}")
        await wait_for_more(acked, len(acked) + 20)
        pair.a.stop(signal.SIGKILL)
        killed = time.monotonic()
        await load
        await quietly_disconnect(citizen)
        await health_is(pair.b.url, 200)
        back = await RecordingClient(pair.b.url, "/citizen").connect({"token": token})
        load = asyncio.create_task(send_until_cut(back, cid, counter, acked))
        after = await checkpoint_signed_by(fresh_database, f"127.0.0.1:{pair.b.port}")
        signed_in = time.monotonic() - killed
        assert signed_in < 20, f"the new leader signed {signed_in:.1f} s after the kill"
        await wait_for_more(acked, len(acked) + 20)
        load.cancel()
        await asyncio.gather(load, return_exceptions=True)
        await quietly_disconnect(back)
        resumed = await pair_resume(pair.b.url, token, cid)
    finally:
        pair.stop()
    seqs = [m["seq"] for m in resumed]
    assert seqs == list(range(1, len(seqs) + 1)), "in order, each once"
    texts = {m["seq"]: m["text"] for m in resumed}
    assert all(texts.get(seq) == text for seq, text in acked.items()), \
        "every acknowledged message is in the log"

    keys = await asyncio.to_thread(proved_consistent, pair, before, after)
    bundle = tmp_path / "case.zip"
    before_file = tmp_path / "before.checkpoint"
    before_file.write_text(before[0])
    await asyncio.to_thread(run_cli, "export", "--data-dir", str(pair.a.data_dir),
                            "--database-url", fresh_database, "--conversation", cid,
                            "--out", str(bundle), "--no-media",
                            "--consistency-from", str(before_file))
    verified = await asyncio.to_thread(run_cli, "verify", str(bundle))
    assert "append-only since the checkpoint of" in verified, verified
    with zipfile.ZipFile(bundle) as archive:
        contents = b"".join(archive.read(name) for name in archive.namelist())
    assert all(text.encode() in contents for text in acked.values())
    assert keys >= 1
    print(f"{len(acked)} messages acknowledged; new leader signed {signed_in:.2f} s"
          " after the SIGKILL")


async def test_a_standby_refuses_everything_else_and_stops_on_sigterm(
        own_redis: str, fresh_database: str, tmp_path: Path) -> None:
    pair = Pair(tmp_path, own_redis, fresh_database)
    try:
        await health_is(pair.b.url, 503)
        request = urllib.request.Request(f"{pair.b.url}/api/v1/topics")
        with pytest.raises(urllib.error.HTTPError) as refused:
            await asyncio.to_thread(urllib.request.urlopen, request, timeout=5)
        assert refused.value.code == 503
        assert json.loads(refused.value.read())["error"] == {
            "code": "unavailable", "message": f"standby: 127.0.0.1:{pair.a.port} is live"}
        assert pair.b.stop(signal.SIGTERM, timeout=20) == 0
        assert pair.a.process.poll() is None
        assert await asyncio.to_thread(health, pair.a.url) == (200, {"status": "ok"})
    finally:
        pair.stop()
    assert '"standby stopped"' in pair.b.log()


async def send_until_cut(client: RecordingClient, cid: str, counter: Any,
                         acked: dict[int, str]) -> None:
    """Messages one after another until the connection fails (the node died)."""
    while True:
        n = next(counter)
        try:
            ack = await client.call("message:send", {
                "conversation_id": cid, "client_msg_id": f"m{n}", "text": f"message {n}"},
                timeout=5)
        except (TimeoutError, socketio.exceptions.SocketIOError):
            return
        assert ack.get("ok") is True, ack
        acked[ack["message"]["seq"]] = f"message {n}"
        await asyncio.sleep(0.01)


async def wait_for_more(acked: dict[int, str], count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while len(acked) < count:
        assert time.monotonic() < deadline, f"only {len(acked)} messages acknowledged"
        await asyncio.sleep(0.05)


async def checkpoint_signed_by(dsn: str, node_id: str, timeout_s: float = 30
                               ) -> tuple[str, int]:
    """The note and size of the first checkpoint ``node_id`` signs from now on."""
    connection = await asyncpg.connect(dsn)
    try:
        start = await connection.fetchval("SELECT coalesce(max(id), 0) FROM evidence_checkpoints")
        deadline = time.monotonic() + timeout_s
        while True:
            row = await connection.fetchrow(
                "SELECT note, size FROM evidence_checkpoints WHERE id > $1 AND signer = $2"
                " ORDER BY id LIMIT 1", start, node_id)
            if row is not None:
                return str(row["note"]), int(row["size"])
            assert time.monotonic() < deadline, f"{node_id} signed no checkpoint"
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


async def pair_resume(url: str, token: str, cid: str) -> list[dict[str, Any]]:
    client = await RecordingClient(url, "/citizen").connect({"token": token})
    try:
        resumed = await client.ok("conversation:resume", {"conversation_id": cid,
                                                          "after_seq": 0})
        return list(resumed["messages"])
    finally:
        await client.disconnect()


def proved_consistent(pair: Pair, before: tuple[str, int], after: tuple[str, int]) -> int:
    """The log's own consistency proof from the checkpoint before the kill to the one
    after it verifies against both signed roots."""
    async def prove() -> int:
        log = PostgresEvidenceLog(pair.database, pair.keys / "log-signing.key", ORIGIN,
                                  SystemClock(), 0, node_id="test-reader")
        await log.start()
        try:
            keys = follow_chain(log.verifier_key(), log.rotation_statements())
            old = open_checkpoint(before[0], keys)
            new = open_checkpoint(after[0], keys)
            assert old.size < new.size
            proof = (await log.consistency_proofs([old.size], new.size))[0]
            verify_consistency(old.size, new.size, old.root, new.root, proof)
            return len(keys)
        finally:
            await log.close()
    return asyncio.run(prove())


def run_cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "rtc_gateway", *args], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr
