"""Three ``serve`` subprocesses on one Redis and one PostgreSQL, under seeded random
load: citizens open and write, officers answer, clients drop and come back on any live
node, and one node is killed mid-run (and, by the seed, started again on its port). At
the end the evidence log in PostgreSQL, the clients' acks and the Redis routing state
must agree: every acknowledged message logged exactly once, gapless seqs, no lost
conversation, never a conversation with two officers nor an officer past its
``max_chats``. A failure names the seed; ``RTC_RACE_SEED=N`` replays it."""

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from rtc_gateway.ports.evidence_log import RecordKind
from tests.support.gateway_process import GatewayProcess, free_port, start_gateway
from tests.support.services import PostgresCluster, RedisProcess, postgres_cluster, redis_process
from tests.support.sio_client import RecordingClient
from tests.test_shared_services import _export

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

OFFICERS = 6
MAX_CHATS = 2
CITIZENS = 20
ROUNDS = 8
KILL_ROUND = 3
CALL_TIMEOUT_S = 6.0
RELEASES = (RecordKind.REQUEUED, RecordKind.TRANSFERRED, RecordKind.CLOSED)


@dataclass
class Node:
    name: str
    port: int
    process: GatewayProcess | None

    @property
    def live(self) -> bool:
        return self.process is not None and self.process.process.poll() is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Acked:
    seq: int
    text: str
    client_msg_id: str
    role: str


@dataclass
class Citizen:
    name: str
    rng: random.Random
    client: RecordingClient | None = None
    node: Node | None = None
    token: str | None = None
    conversations: dict[str, list[Acked]] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    pending: dict[str, tuple[str, str]] = field(default_factory=dict)
    """client_msg_id -> (conversation id, text) of a send with no ack yet: retried."""
    counter: int = 0

    def open_ones(self) -> list[str]:
        return [cid for cid in self.conversations if cid not in self.closed]


@dataclass
class Officer:
    agent_id: str
    token: str
    rng: random.Random
    client: RecordingClient | None = None
    node: Node | None = None
    counter: int = 0
    past: list[RecordingClient] = field(default_factory=list)

    def held(self) -> list[str]:
        """What this connection was told it holds and not told it lost."""
        if self.client is None:
            return []
        held: list[str] = []
        for name, data in self.client.events:
            if name == "conversation:assigned":
                cid = data["conversation"]["id"]
                if cid not in held:
                    held.append(cid)
            elif (name in ("conversation:transferred", "conversation:closed")
                  and data["conversation_id"] in held):
                held.remove(data["conversation_id"])
        return held


class Race:
    def __init__(self, seed: int, rng: random.Random, nodes: list[Node], tmp_path: Path,
                 flags: tuple[str, ...], env: dict[str, str]) -> None:
        self.rng = rng
        self.nodes = nodes
        self.tmp_path = tmp_path
        self.flags = flags
        self.env = env
        self.seed = seed
        self.citizens = [Citizen(f"c{i}", random.Random(f"{seed}-c{i}"))
                         for i in range(CITIZENS)]
        self.officers: list[Officer] = []
        self.acked_elsewhere: dict[str, list[Acked]] = defaultdict(list)
        self.notes: list[str] = []
        self.redis_url = flags[1]
        self.database_url = flags[3]

    def live_nodes(self) -> list[Node]:
        return [node for node in self.nodes if node.live]

    # --- connections --------------------------------------------------------

    async def connect_citizen(self, citizen: Citizen, resume: bool = True,
                              node: Node | None = None) -> None:
        await self._drop(citizen.client)
        citizen.client = None
        node = node or citizen.rng.choice(self.live_nodes())
        auth = {"token": citizen.token} if citizen.token else None
        client = RecordingClient(node.url, "/citizen")
        await client.connect(auth)
        session = await client.wait_for("session")
        citizen.token, citizen.client, citizen.node = session["token"], client, node
        for cid in citizen.open_ones() if resume else ():
            await self.resume_check(citizen, cid)

    async def resume_check(self, citizen: Citizen, cid: str) -> None:
        """A resumed conversation replays every message acked so far, in order."""
        ack = await self._resume(citizen, cid)
        seqs = [m["seq"] for m in ack["messages"]]
        assert seqs == list(range(1, len(seqs) + 1)), (cid, seqs)
        texts = {m["seq"]: m["text"] for m in ack["messages"]}
        for acked in citizen.conversations[cid]:
            assert texts.get(acked.seq) == acked.text, (cid, acked, texts)

    async def _resume(self, citizen: Citizen, cid: str) -> dict[str, Any]:
        """The resume's ack: at the first asking, or after ``unavailable`` (a node just
        died and its conversations are being taken over), which says to retry."""
        for _attempt in range(5):
            assert citizen.client is not None
            ack = await self._call(citizen.client, "conversation:resume",
                                   {"conversation_id": cid, "after_seq": 0})
            if ack is not None and ack["ok"]:
                return ack
            if ack is None or ack["error"]["code"] != "unavailable":
                raise AssertionError(f"{citizen.name} resume {cid}: {ack};"
                                     f" {await self.where_is(cid)}")
            await asyncio.sleep(1.0)
        raise AssertionError(f"{cid} of {citizen.name} stays unavailable;"
                             f" {await self.where_is(cid)}")

    async def where_is(self, cid: str) -> str:
        """What Redis and PostgreSQL hold of a conversation, for a failure's message."""
        redis = Redis.from_url(self.redis_url, decode_responses=True)
        try:
            home = await redis.hget("rtc-gateway:homes", cid)
            alive = sorted(await redis.keys("rtc-gateway:routing:alive:*"))
        finally:
            await redis.aclose()
        connection = await asyncpg.connect(self.database_url)
        try:
            kinds = [r["kind"] for r in await connection.fetch(
                "SELECT kind FROM evidence_records WHERE conversation_id = $1"
                " ORDER BY conversation_index", cid)]
        finally:
            await connection.close()
        ports = {node.name: node.port for node in self.nodes}
        return f"home {home}, alive {alive}, nodes {ports}, logged {kinds}"

    async def connect_officer(self, officer: Officer) -> None:
        if officer.client is not None:
            officer.past.append(officer.client)
            await self._drop(officer.client)
        node = officer.rng.choice(self.live_nodes())
        client = RecordingClient(node.url, "/agent")
        await client.connect({"token": officer.token})
        ack = await client.call("agent:status", {"status": "available"},
                                timeout=CALL_TIMEOUT_S)
        assert ack["ok"] is True, ack
        officer.client, officer.node = client, node

    async def _drop(self, client: RecordingClient | None) -> None:
        if client is not None:
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(client.disconnect(), 5)

    # --- actions ------------------------------------------------------------

    async def citizen_acts(self, citizen: Citizen) -> None:
        if not _connected(citizen.client, citizen.node):
            await self.connect_citizen(citizen)
            return
        roll = citizen.rng.random()
        if citizen.pending:
            await self._retry(citizen)
        elif roll < 0.12:
            await self.connect_citizen(citizen)
        elif roll < 0.35 or not citizen.open_ones():
            await self._open(citizen)
        elif roll < 0.40:
            await self._close(citizen, citizen.rng.choice(citizen.open_ones()))
        else:
            cid = citizen.rng.choice(citizen.open_ones())
            citizen.counter += 1
            msg_id = f"{citizen.name}-m{citizen.counter}"
            citizen.pending[msg_id] = (cid, f"{citizen.name} says {citizen.counter}")
            await self._retry(citizen)

    async def _open(self, citizen: Citizen) -> None:
        assert citizen.client is not None
        citizen.counter += 1
        msg_id = f"{citizen.name}-o{citizen.counter}"
        text = f"{citizen.name} opens {citizen.counter}"
        for _ in range(3):  # the same client_msg_id: a retry gets the same conversation
            ack = await self._call(citizen.client, "conversation:open", {
                "topic": "general", "text": text, "client_msg_id": msg_id})
            if ack is not None and ack["ok"]:
                cid = ack["conversation"]["id"]
                if cid not in citizen.conversations:
                    citizen.conversations[cid] = [Acked(1, text, msg_id, "citizen")]
                return
            if ack is None:
                await self.connect_citizen(citizen)
            assert citizen.client is not None

    async def _close(self, citizen: Citizen, cid: str) -> None:
        assert citizen.client is not None
        ack = await self._call(citizen.client, "conversation:close",
                               {"conversation_id": cid})
        if ack is not None and ack["ok"]:
            citizen.closed.add(cid)

    async def _retry(self, citizen: Citizen) -> None:
        assert citizen.client is not None
        for msg_id, (cid, text) in list(citizen.pending.items()):
            if cid in citizen.closed:
                del citizen.pending[msg_id]
                continue
            ack = await self._call(citizen.client, "message:send", {
                "conversation_id": cid, "client_msg_id": msg_id, "text": text})
            if ack is None:
                return
            if ack["ok"]:
                del citizen.pending[msg_id]
                message = ack["message"]
                assert message["text"] == text, (msg_id, message)
                citizen.conversations[cid].append(Acked(message["seq"], text, msg_id,
                                                        "citizen"))

    async def officer_acts(self, officer: Officer) -> None:
        if not _connected(officer.client, officer.node):
            await self.connect_officer(officer)
            return
        held = officer.held()
        if not held:
            return
        cid = officer.rng.choice(held)
        officer.counter += 1
        msg_id = f"{officer.agent_id}-r{officer.counter}"
        text = f"{officer.agent_id} answers {officer.counter}"
        ack = await self._call(officer.client, "message:send", {
            "conversation_id": cid, "client_msg_id": msg_id, "text": text})
        if ack is not None and ack["ok"]:
            self.acked_elsewhere[cid].append(Acked(ack["message"]["seq"], text, msg_id,
                                                   "agent"))

    async def _call(self, client: RecordingClient, event: str,
                    payload: dict[str, Any]) -> dict[str, Any] | None:
        """The ack, or None when the connection gave none (its node died)."""
        try:
            ack = await client.call(event, payload, timeout=CALL_TIMEOUT_S)
        except Exception as error:
            self.notes.append(f"{event}: {type(error).__name__}")
            return None
        if not ack["ok"]:
            self.notes.append(f"{event}: {ack['error']['code']}")
        return dict(ack)

    # --- nodes --------------------------------------------------------------

    def kill_one(self) -> Node:
        victim = self.rng.choice(self.live_nodes())
        assert victim.process is not None
        victim.process.stop(signal.SIGKILL)
        return victim

    def restart(self, node: Node) -> None:
        node.process = start_gateway(self.tmp_path / node.name, *self.flags,
                                     env=self.env, port=node.port)


def _connected(client: RecordingClient | None, node: Node | None) -> bool:
    """Whether a client's connection still stands (its node may have died since)."""
    return (client is not None and node is not None and node.live
            and client.sio.connected and client.namespace in client.sio.namespaces)


@pytest.fixture
def servers() -> Iterator[tuple[RedisProcess, PostgresCluster]]:
    with redis_process() as redis, postgres_cluster() as postgres:
        yield redis, postgres


async def test_three_nodes_under_random_load_and_a_sigkill_lose_nothing(
        servers: tuple[RedisProcess, PostgresCluster], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    seed = int(os.environ.get("RTC_RACE_SEED", str(random.randrange(1 << 30))))
    print(f"three-node race seed {seed} (RTC_RACE_SEED={seed} replays it)")
    rng = random.Random(seed)
    redis, postgres = servers
    flags = ("--redis-url", redis.url, "--database-url", postgres.url)
    monkeypatch.setenv("RTC_GATEWAY_KEYS_DIR", str(tmp_path / "keys"))
    env = {"RTC_GATEWAY_NODE_TTL_S": "1.5", "RTC_GATEWAY_KEYS_DIR": str(tmp_path / "keys"),
           "RTC_GATEWAY_MAX_OPEN_PER_ADDRESS": "1000",
           "RTC_GATEWAY_CONNECTS_PER_ADDRESS_BURST": "1000",
           "RTC_GATEWAY_CONNECTS_PER_ADDRESS_PER_S": "100",
           "RTC_GATEWAY_CONNECTS_PER_IDENTITY_BURST": "100",
           "RTC_GATEWAY_ANONYMOUS_PER_IP": "1000"}
    nodes = [Node(name, free_port(), None) for name in ("a", "b", "c")]
    race = Race(seed, rng, nodes, tmp_path, flags, env)
    started = time.monotonic()
    try:
        # The first node alone creates the shared keys: nodes sharing a keys folder that
        # start at once may write the same new key file together (see the report).
        await asyncio.to_thread(race.restart, nodes[0])
        await asyncio.gather(*(asyncio.to_thread(race.restart, node) for node in nodes[1:]))
        first = nodes[0].process
        assert first is not None
        tokens = await asyncio.gather(*(
            asyncio.to_thread(first.mint_agent_token, f"o{i}", max_chats=MAX_CHATS)
            for i in range(OFFICERS)))
        race.officers = [Officer(f"o{i}", token, random.Random(f"{seed}-o{i}"))
                         for i, token in enumerate(tokens)]
        await asyncio.gather(*(race.connect_officer(o) for o in race.officers))
        await asyncio.gather(*(race.connect_citizen(c) for c in race.citizens))
        killed: Node | None = None
        restart_at = rng.choice((KILL_ROUND + 2, KILL_ROUND + 3, None))
        for round_no in range(ROUNDS):
            if round_no == KILL_ROUND:
                killed = race.kill_one()
                print(f"round {round_no}: SIGKILL node {killed.name}, with officers "
                      f"{[o.agent_id for o in race.officers if o.node is killed]}")
            if killed is not None and round_no == restart_at:
                await asyncio.to_thread(race.restart, killed)
                print(f"round {round_no}: node {killed.name} started again")
            actions = ([race.citizen_acts(c) for c in race.citizens if rng.random() < 0.7]
                       + [race.officer_acts(o) for o in race.officers])
            rng.shuffle(actions)
            await asyncio.gather(*actions)
        await _settle(race)
        await _check_everything(race, redis, postgres, tmp_path)
        for node in nodes:
            if node.process is not None:
                assert _unexpected_tracebacks(node) == [], node.name
    except BaseException:
        print(f"three-node race failed with seed {seed}; notes: {race.notes[-30:]}")
        raise
    finally:
        clients = [c.client for c in race.citizens] + [o.client for o in race.officers]
        await asyncio.gather(*(race._drop(c) for c in clients))
        for node in nodes:
            if node.process is not None:
                node.process.stop(signal.SIGKILL if not node.live else signal.SIGTERM)
    print(f"three-node race seed {seed}: {time.monotonic() - started:.1f} s, "
          f"{len(race.notes)} refused or lost calls")


def _unexpected_tracebacks(node: Node) -> list[str]:
    assert node.process is not None
    return [line[-2000:] for line in node.process.log().splitlines() if "Traceback" in line]


async def _settle(race: Race) -> None:
    """Everyone back on a live node, every pending send retried, then a quiet while."""
    for citizen in race.citizens:
        if not _connected(citizen.client, citizen.node):
            await race.connect_citizen(citizen)
    for officer in race.officers:
        if not _connected(officer.client, officer.node):
            await race.connect_officer(officer)
    for _ in range(5):
        waiting = [c for c in race.citizens if c.pending]
        if not waiting:
            break
        await asyncio.gather(*(race._retry(c) for c in waiting))
        await asyncio.sleep(0.5)
    assert not any(c.pending for c in race.citizens), [c.pending for c in race.citizens]
    await asyncio.sleep(3.0)  # node TTL 1.5 s: takeovers and assignments settle


async def _check_everything(race: Race, redis: RedisProcess, postgres: PostgresCluster,
                            tmp_path: Path) -> None:
    connection = await asyncpg.connect(postgres.url)
    try:
        rows = await connection.fetch(
            "SELECT idx, conversation_id, conversation_index, kind, seq, record, text "
            "FROM evidence_records ORDER BY idx")
    finally:
        await connection.close()
    records = [(r["idx"], r["conversation_id"], r["conversation_index"], r["kind"],
                r["seq"], json.loads(bytes(r["record"])), r["text"]) for r in rows]
    by_conversation: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for record in records:
        by_conversation[record[1]].append(record)
    opened = {cid: c for c in race.citizens for cid in c.conversations}
    assert opened, "no conversation was opened"
    acked = sum(len(c.conversations[cid]) for cid, c in opened.items())
    assert acked > len(opened), "no message was acknowledged after the openings"
    kinds = [r[3] for r in records]
    print(f"{len(opened)} conversations, {acked} citizen and "
          f"{sum(map(len, race.acked_elsewhere.values()))} officer messages acked, "
          f"{kinds.count(RecordKind.ASSIGNED)} assigned, "
          f"{kinds.count(RecordKind.REQUEUED)} requeued, "
          f"{kinds.count(RecordKind.CLOSED)} closed records")
    if os.environ.get("RTC_RACE_MUTANT"):
        some = next(iter(opened))
        opened[some].conversations[some].append(Acked(99, "never said", "x", "citizen"))
    _check_messages(race, by_conversation, opened)
    _check_assignments(by_conversation)
    await _check_routing_state(race, redis, by_conversation)
    await _check_resumable(race, by_conversation, opened)
    some = race.rng.choice(sorted(opened))
    await _check_bundle(race, some, tmp_path)


def _check_messages(race: Race, by_conversation: dict[str, list[tuple[Any, ...]]],
                    opened: dict[str, Citizen]) -> None:
    for cid, citizen in opened.items():
        chain = by_conversation[cid]
        assert [r[2] for r in chain] == list(range(1, len(chain) + 1)), (cid, "chain")
        assert chain[0][3] == RecordKind.CONVERSATION_OPENED, (cid, chain[0][3])
        messages = [r for r in chain if r[3] == RecordKind.MESSAGE]
        seqs = [r[4] for r in messages]
        assert seqs == list(range(1, len(seqs) + 1)), (cid, "seqs not gapless", seqs)
        keys = [(r[5]["actor"]["role"], r[5]["actor"]["id"], r[5]["client_msg_id"])
                for r in messages]
        assert len(keys) == len(set(keys)), (cid, "a message logged twice", keys)
        logged = {r[4]: (r[5]["client_msg_id"], r[6]) for r in messages}
        for acked in citizen.conversations[cid] + race.acked_elsewhere[cid]:
            assert logged.get(acked.seq) == (acked.client_msg_id, acked.text), (
                cid, acked, logged.get(acked.seq))
    unknown = set(race.acked_elsewhere) - set(opened)
    assert not unknown, unknown


def _check_assignments(by_conversation: dict[str, list[tuple[Any, ...]]]) -> None:
    """In each chain, an assignment to an officer never comes while another holds it."""
    for cid, chain in by_conversation.items():
        holder: str | None = None
        for record in chain:
            kind, data = record[3], record[5]["data"]
            if kind == RecordKind.ASSIGNED:
                assert holder in (None, data["agent_id"]), (
                    cid, f"assigned to {data['agent_id']} while {holder} holds it")
                holder = data["agent_id"]
            elif kind in RELEASES:
                holder = None


async def _check_routing_state(race: Race, redis: RedisProcess,
                               by_conversation: dict[str, list[tuple[Any, ...]]]) -> None:
    client = Redis.from_url(redis.url, decode_responses=True)
    try:
        assigned: dict[str, str] = await client.hgetall("rtc-gateway:routing:assigned")
        held = {o.agent_id: set(await client.smembers(f"rtc-gateway:routing:held:{o.agent_id}"))
                for o in race.officers}
        waiting = set(await client.zrange("rtc-gateway:routing:q", 0, -1))
    finally:
        await client.aclose()
    for agent_id, conversations in held.items():
        assert len(conversations) <= MAX_CHATS, (agent_id, conversations)
        for cid in conversations:
            assert assigned.get(cid) == agent_id, (cid, agent_id, assigned.get(cid))
    for cid, agent_id in assigned.items():
        assert cid in held.get(agent_id, set()), (cid, agent_id)
        chain = by_conversation[cid]
        assert not any(r[3] == RecordKind.CLOSED for r in chain), (cid, "closed yet held")
        named = [r[5]["data"]["agent_id"] for r in chain if r[3] == RecordKind.ASSIGNED]
        assert named and named[-1] == agent_id, (cid, "the log names", named, agent_id)
    unrouted = sorted(  # every open conversation waits or is held, never both
        cid for cid, chain in by_conversation.items()
        if chain[0][3] == RecordKind.CONVERSATION_OPENED
        and not any(r[3] == RecordKind.CLOSED for r in chain)
        and (cid in assigned) == (cid in waiting))
    assert unrouted == [], unrouted


async def _check_resumable(race: Race, by_conversation: dict[str, list[tuple[Any, ...]]],
                           opened: dict[str, Citizen]) -> None:
    """Every opened conversation is closed in the log, or resumes on a live node with
    what the log holds (and, :meth:`Race.resume_check`, every acked message)."""
    for citizen in race.citizens:
        still_open = []
        for cid in citizen.conversations:
            closed = any(r[3] == RecordKind.CLOSED for r in by_conversation[cid])
            if cid in citizen.closed:
                assert closed, (cid, "closed by its citizen, no closing record")
            if not closed:
                assert cid not in citizen.closed
                still_open.append(cid)
        if not still_open:
            continue
        await race.connect_citizen(citizen)
        assert citizen.client is not None
        for cid in still_open:
            ack = await race._resume(citizen, cid)
            logged = [r[4] for r in by_conversation[cid] if r[3] == RecordKind.MESSAGE]
            assert [m["seq"] for m in ack["messages"]] == logged, (cid, ack, logged)


async def _check_bundle(race: Race, cid: str, tmp_path: Path) -> None:
    node = race.rng.choice(race.live_nodes())
    assert node.process is not None
    bundle = await _export(node.process, cid, tmp_path / "case.zip")
    verified = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "rtc_gateway", "verify", str(bundle)],
        capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr
