"""Routing state shared by the nodes of a service, in Redis (see ``routing_scripts``).

Every change is one Lua script, so it is atomic across nodes: an assignment reads the
queue and the officers and writes the assignments and loads in one step, and two nodes
never give one conversation to two officers nor an officer more than its ``max_chats``.

Each officer entry names the node its connections reach; each node heartbeats
``alive:{node}`` (expiring after ``ttl_s``), so once a node is dead a survivor's
:meth:`RedisRoutingState.take_over` removes its officers and requeues what they held. A
node starting forgets what it left behind in a previous life (its open conversations
come back from the evidence log, its officers when they reconnect).

Times: the service passes its monotonic clock; Redis keeps ``now + time_offset_s`` (the
wall clock by default) so that the times of several nodes compare.
"""

import asyncio
import contextlib
import heapq
import json
import logging
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from redis.asyncio import Redis

from rtc_gateway.adapters.redis import routing_scripts as lua
from rtc_gateway.adapters.redis.connection import REDIS_FAILURES, connect
from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.errors import Conflict, NotFound, Unavailable
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.routing import AgentSlot, Assignment, QueueEntry, QueueStat

logger = logging.getLogger(__name__)
DEFAULT_PREFIX = "rtc-gateway"
T = TypeVar("T")


class RedisRoutingState:
    """Implements :class:`rtc_gateway.ports.routing_state.RoutingState` on Redis."""

    def __init__(self, url: str, node_id: str, *, prefix: str = DEFAULT_PREFIX,
                 ttl_s: float = 5.0, timeout_s: float = 2.0,
                 time_offset_s: float | None = None) -> None:
        self._client: Redis = connect(url, timeout_s)
        self.node_id = node_id
        self._p = f"{prefix}:routing:"
        self._ttl_ms = int(ttl_s * 1000)
        self._offset = (time.time() - time.monotonic() if time_offset_s is None
                        else time_offset_s)
        self._scripts = {name: self._client.register_script(getattr(lua, name)) for name in (
            "AGENT_ONLINE", "SET_PRESENCE", "REMOVE_AGENT", "TAKE_OVER", "FORGET_NODE",
            "ENQUEUE", "DEQUEUE", "RELEASE", "ADOPT", "ASSIGN", "ASSIGN_TO", "POSITION",
            "WAITING", "SERVING_SLOTS", "AGENTS")}
        self._heartbeat: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        await self.beat()
        await self._run("FORGET_NODE", self.node_id)
        self._heartbeat = asyncio.create_task(self._beat_forever(), name="routing-heartbeat")

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        with contextlib.suppress(*REDIS_FAILURES):
            await self._client.delete(f"{self._p}alive:{self.node_id}")
        with contextlib.suppress(*REDIS_FAILURES):
            await self._client.aclose()

    async def beat(self) -> None:
        """Say this node is alive for ``ttl_s`` more."""
        await self._answer(self._client.set(f"{self._p}alive:{self.node_id}", "1",
                                            px=self._ttl_ms))

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                await self.beat()
            except Unavailable:
                logger.warning("routing heartbeat did not reach Redis")

    # --- officers -------------------------------------------------------------

    async def agent_online(self, profile: AgentProfile, presence: Presence,
                           now: float) -> None:
        await self._run("AGENT_ONLINE", profile.agent_id, _profile_json(profile),
                        presence.value, profile.role.value, profile.max_chats,
                        profile.service.value, "\n".join(sorted(profile.topics)),
                        "\n".join(sorted(profile.languages)), self._stamp(now), self.node_id)

    async def set_presence(self, agent_id: str, presence: Presence) -> None:
        if not await self._run("SET_PRESENCE", agent_id, presence.value):
            raise NotFound("unknown agent")

    async def remove_agent(self, agent_id: str) -> list[str]:
        return [_text(c) for c in await self._run("REMOVE_AGENT", agent_id)]

    async def agent(self, agent_id: str) -> AgentSlot | None:
        found = await self._agents(agent_id)
        return found[0] if found else None

    async def agents(self) -> list[AgentSlot]:
        return await self._agents("*")

    async def agent_of(self, conversation_id: str) -> str | None:
        agent = await self._answer(self._client.hget(f"{self._p}assigned", conversation_id))
        return None if agent is None else _text(agent)

    async def take_over(self, node_id: str, now: float) -> list[str]:
        if node_id == self.node_id:
            return []
        requeued = await self._run("TAKE_OVER", node_id, self._stamp(now))
        if requeued is None:  # its heartbeat may outlive its registry entry a little
            await asyncio.sleep(self._ttl_ms / 1000)
            requeued = await self._run("TAKE_OVER", node_id, self._stamp(now))
        return [] if requeued is None else [_text(c) for c in requeued]

    # --- queue ----------------------------------------------------------------

    async def enqueue(self, conversation_id: str, *, service: Force | None, topic: str,
                      language: str, priority: Priority, now: float,
                      returning: bool = False) -> None:
        order = await self._run("ENQUEUE", conversation_id, _force(service), topic, language,
                                priority.value, priority.rank, self._stamp(now),
                                int(returning), self.node_id)
        if order == -1:
            raise Conflict("conversation is already queued or assigned")

    async def dequeue(self, conversation_id: str) -> QueueEntry | None:
        fields = await self._run("DEQUEUE", conversation_id)
        return None if fields is None else self._entry(conversation_id, fields)

    async def release(self, conversation_id: str) -> str | None:
        agent = await self._run("RELEASE", conversation_id)
        return None if agent is None else _text(agent)

    async def adopt(self, conversation_id: str, agent_id: str) -> None:
        await self._run("ADOPT", conversation_id, agent_id, self.node_id)

    async def waiting(self) -> list[QueueEntry]:
        rows = await self._run("WAITING")
        return [self._entry(_text(row[0]), row[1:]) for row in rows]

    async def waiting_count(self) -> int:
        return int(await self._answer(self._client.zcard(f"{self._p}q")))

    # --- assignment -----------------------------------------------------------

    async def assign(self, now: float) -> list[Assignment]:
        flat = [_text(item) for item in await self._run("ASSIGN", self._stamp(now))]
        return [Assignment(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]

    async def assign_to(self, conversation_id: str, agent_id: str,
                        now: float) -> Assignment:
        outcome = await self._run("ASSIGN_TO", conversation_id, agent_id, self._stamp(now))
        if outcome == -1:
            raise NotFound("conversation is not waiting")
        if outcome == -2:
            raise Conflict("that agent cannot take a conversation now")
        return Assignment(conversation_id, agent_id)

    # --- what waiting citizens and supervisors are shown ----------------------

    async def positions(self) -> dict[str, int]:
        """Router.positions over the three per-force lines, read in one transaction."""
        pipe = self._client.pipeline(transaction=True)
        for line in ("any", *Force):
            pipe.zrange(f"{self._p}q:{line}", 0, -1, withscores=True)
        lines: list[list[tuple[bytes, float]]] = await self._answer(pipe.execute())
        services: list[Force | None] = [None, *Force]
        tagged = [[(score, _text(cid), service) for cid, score in line]
                  for line, service in zip(lines, services, strict=True)]
        ahead = dict.fromkeys(Force, 0)
        ahead_any = 0
        result: dict[str, int] = {}
        for _, cid, service in heapq.merge(*tagged, key=lambda item: item[0]):
            if service is None:
                result[cid] = 1 + ahead_any + sum(ahead.values())
                ahead_any += 1
            else:
                result[cid] = 1 + ahead_any + ahead[service]
                ahead[service] += 1
        return result

    async def position(self, conversation_id: str) -> int | None:
        place = await self._run("POSITION", conversation_id)
        return None if place is None else int(place)

    async def serving_slots(self, service: Force | None) -> int:
        return int(await self._run("SERVING_SLOTS", _force(service)))

    async def queue_stats(self, now: float) -> list[QueueStat]:
        groups: dict[tuple[str, Priority], list[QueueEntry]] = {}
        for entry in await self.waiting():
            service = entry.service.value if entry.service else "any"
            groups.setdefault((service, entry.priority), []).append(entry)
        return [
            QueueStat(service, priority, len(entries),
                      max(0.0, now - min(e.enqueued_at for e in entries)))
            for (service, priority), entries in sorted(groups.items())
        ]

    # --- plumbing -------------------------------------------------------------

    def _stamp(self, now: float) -> str:
        return repr(now + self._offset)

    def _entry(self, conversation_id: str, fields: list[Any]) -> QueueEntry:
        service, topic, language, priority, at, order, returning = map(_text, fields)
        return QueueEntry(conversation_id, Force(service) if service else None, topic,
                          language, Priority(priority), float(at) - self._offset,
                          int(order), returning == "1")

    async def _agents(self, *ids: str) -> list[AgentSlot]:
        rows = await self._run("AGENTS", *ids)
        return [AgentSlot(_profile(_text(row[1])), Presence(_text(row[2])),
                          float(row[3]) - self._offset, {_text(c) for c in row[4]})
                for row in rows]

    async def _run(self, script: str, *args: str | int) -> Any:
        return await self._answer(self._scripts[script](args=[self._p, *args]))

    async def _answer(self, call: Awaitable[T]) -> T:
        """Each call in a task of its own: event handlers run eagerly, without a current
        task (``realtime/eager.py``), where redis-py's socket timeouts cannot work; and
        shielded: a caller cancelled mid-call leaves the connection between two replies."""
        try:
            return await asyncio.shield(asyncio.ensure_future(call))
        except REDIS_FAILURES as error:
            raise Unavailable("routing state (Redis) is unreachable") from error


def _force(service: Force | None) -> str:
    return service.value if service is not None else ""


def _text(item: Any) -> str:
    return item.decode() if isinstance(item, bytes) else str(item)


def _profile_json(profile: AgentProfile) -> str:
    return json.dumps({
        "agent_id": profile.agent_id, "display_name": profile.display_name,
        "service": profile.service.value, "role": profile.role.value,
        "topics": sorted(profile.topics), "languages": sorted(profile.languages),
        "max_chats": profile.max_chats, "unit": profile.unit})


def _profile(text: str) -> AgentProfile:
    data = json.loads(text)
    return AgentProfile(data["agent_id"], data["display_name"], Force(data["service"]),
                        Role(data["role"]), frozenset(data["topics"]),
                        frozenset(data["languages"]), int(data["max_chats"]), data["unit"])
