"""Part of the composition root: the adapters a node uses when it shares Redis and
PostgreSQL with other nodes (``app.py`` calls in here, and ``standby.py`` for the node id).

With both URLs set, the evidence log lives in PostgreSQL, the node heartbeats in the
Redis node registry, a Redis bus carries packets between nodes, node calls carry
requests to the node that holds a conversation, and the conversations' homes are in
Redis. Routing state (queues, presence of officers, assignment) is in Redis as soon as
a Redis URL is set, atomic across nodes. Any number of nodes serve at once; a node
started with ``standby`` waits until no node is live first (``standby.py``).
"""

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import asyncpg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rtc_gateway.adapters.memory.bus import MemoryBus
from rtc_gateway.adapters.memory.routing_state import MemoryRoutingState
from rtc_gateway.adapters.postgres.evidence_log import PostgresEvidenceLog, SigningKeyMismatch
from rtc_gateway.adapters.postgres.schema import SchemaTooNew
from rtc_gateway.adapters.redis.bus import RedisBus
from rtc_gateway.adapters.redis.conversation_homes import RedisConversationHomes
from rtc_gateway.adapters.redis.node_calls import RedisNodeCalls
from rtc_gateway.adapters.redis.node_registry import RedisNodeRegistry
from rtc_gateway.adapters.redis.routing_state import RedisRoutingState
from rtc_gateway.config import Settings
from rtc_gateway.gateway.readiness import Readiness
from rtc_gateway.ports.bus import Bus, BusPacket, Receiver
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.conversation_homes import ConversationHomes
from rtc_gateway.ports.node_calls import NodeCalls
from rtc_gateway.ports.node_registry import NodeIdInUse, NodeRegistry, RegistryUnavailable
from rtc_gateway.ports.routing_state import RoutingState

logger = logging.getLogger(__name__)
WILDCARD_HOSTS = ("", "0.0.0.0", "::")
NODE_CALLS_IN_FLIGHT = 5000
"""Forwarded requests a node waits on, and serves, at once: each waits for its
conversation's group commit, so at thousands of messages per second hundreds are in
flight; past this a request is refused ``unavailable`` rather than queued."""


class StartupRefused(RuntimeError):
    """The node cannot start safely; the message says why and what to do."""


def node_id_for(settings: Settings) -> str:
    if settings.node_id:
        return settings.node_id
    host = socket.gethostname() if settings.host in WILDCARD_HOSTS else settings.host
    return f"{host}:{settings.port}"


@dataclass
class BusFanOut:
    """The one receiver a bus has, handing each packet to every layer that asked."""

    receivers: list[Receiver] = field(default_factory=list)

    def __call__(self, packet: BusPacket) -> None:
        for receive in self.receivers:
            receive(packet)


@dataclass
class SharedServices:
    node_id: str
    evidence: PostgresEvidenceLog
    bus: Bus
    registry: NodeRegistry
    readiness: Readiness
    fan_out: BusFanOut
    homes: ConversationHomes
    calls: NodeCalls

    async def start(self) -> None:
        """Register, open the log, and join the bus; every failure is a
        :class:`StartupRefused` with its reason."""
        try:
            await self.registry.start()
        except (NodeIdInUse, RegistryUnavailable) as error:
            raise StartupRefused(f"node registry (Redis): {error}") from error
        try:
            await self.evidence.start()
        except (SchemaTooNew, SigningKeyMismatch) as error:
            await self.registry.close()
            raise StartupRefused(str(error)) from error
        except (OSError, TimeoutError, asyncpg.PostgresError,
                asyncpg.InterfaceError) as error:
            await self.registry.close()
            raise StartupRefused(f"the evidence database is unreachable"
                                 f" ({type(error).__name__})") from error
        await self.bus.start(self.fan_out)
        logger.info("node joined", extra={"node_id": self.node_id})

    async def close(self) -> None:
        await self.bus.close()
        await self.registry.close()


def shared_services(settings: Settings, clock: Clock) -> SharedServices:
    assert settings.redis_url is not None and settings.database_url is not None
    node_id = node_id_for(settings)
    evidence = PostgresEvidenceLog(settings.database_url, settings.log_key_path,
                                   settings.evidence_origin, clock,
                                   settings.checkpoint_interval_s, node_id=node_id)
    bus = RedisBus(settings.redis_url, node_id)
    registry = RedisNodeRegistry(settings.redis_url, node_id, ttl_s=settings.node_ttl_s)

    async def redis_answers() -> bool:
        return registry.reachable and bus.connected

    readiness = Readiness({"redis": redis_answers, "database": evidence.reachable},
                          clock.monotonic)
    return SharedServices(node_id, evidence, bus, registry, readiness, BusFanOut(),
                          RedisConversationHomes(settings.redis_url, node_id),
                          RedisNodeCalls(settings.redis_url, node_id,
                                         timeout_s=settings.node_call_timeout_s,
                                         max_waiting=NODE_CALLS_IN_FLIGHT,
                                         max_serving=NODE_CALLS_IN_FLIGHT))


def routing_state(settings: Settings) -> RoutingState:
    """Queues, officers and assignments: in Redis when one is configured (each officer
    entry names this node, which heartbeats), else in this node's memory."""
    if settings.redis_url is None:
        return MemoryRoutingState()
    return RedisRoutingState(settings.redis_url, node_id_for(settings),
                             ttl_s=settings.node_ttl_s)


def single_node_bus() -> MemoryBus:
    """On one node the bus has nobody to tell; the realtime layer calls it the same way."""
    return MemoryBus()


class SharedServicesState(Collector):
    """``rtc_bus_*`` and ``rtc_nodes_*`` metrics of a node with shared services."""

    def __init__(self, shared: SharedServices) -> None:
        self._shared = shared

    def collect(self) -> Iterator[Metric]:
        stats = self._shared.bus.stats()
        for name, help_text in (("published", "Packets sent to the other nodes"),
                                ("received", "Packets received from the other nodes"),
                                ("dropped", "Packets not sent: Redis unreachable or"
                                            " the send queue full"),
                                ("reconnects", "Times the bus subscribed again")):
            yield CounterMetricFamily(f"rtc_bus_{name}", help_text, value=stats.get(name, 0))
        yield GaugeMetricFamily("rtc_bus_connected", "1 while the bus reaches Redis",
                                value=int(self._shared.bus.connected))
        yield GaugeMetricFamily("rtc_nodes_live", "Nodes heartbeating in the registry",
                                value=len(self._shared.registry.live_nodes()))
        yield GaugeMetricFamily("rtc_node_registry_reachable",
                                "1 while this node's heartbeats reach Redis",
                                value=int(self._shared.registry.reachable))
