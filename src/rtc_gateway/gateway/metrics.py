"""Prometheus metrics of one gateway process (its own registry, so tests can run several)."""

import logging
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterator
from itertools import accumulate

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.domain.routing import QueueStat
from rtc_gateway.ports.routing_state import RoutingState

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
WAIT_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)


class _LoopHistogram(Collector):
    """A histogram observed only on the event loop: plain counts, no lock.

    prometheus_client's ``Histogram`` takes a lock per bucket and sum update, which the
    relay paid on every message; scrapes run on the event loop too.
    """

    def __init__(self, name: str, documentation: str, buckets: tuple[float, ...]) -> None:
        self._name = name
        self._documentation = documentation
        self._bounds = buckets
        self._counts = [0] * (len(buckets) + 1)
        self._sum = 0.0

    def observe(self, value: float) -> None:
        self._counts[bisect_left(self._bounds, value)] += 1
        self._sum += value

    def collect(self) -> Iterator[Metric]:
        bounds = [repr(float(bound)) for bound in self._bounds] + ["+Inf"]
        yield HistogramMetricFamily(
            self._name, self._documentation,
            buckets=list(zip(bounds, accumulate(self._counts), strict=True)),
            sum_value=self._sum)


class _LiveState(Collector):
    """Gauges of the routing state (read just before each scrape, see ``refresh``) and
    of the connection registry."""

    def __init__(self, routing: RoutingState, connections: Callable[[str], int],
                 clock: Callable[[], float]) -> None:
        self._routing = routing
        self._connections = connections
        self._clock = clock
        self._stats: list[QueueStat] = []
        self._presences: dict[str, int] = {}

    async def refresh(self) -> None:
        """Read the routing state (shared state: a round trip, so not inside ``collect``);
        when it does not answer, the last values stay."""
        try:
            stats = await self._routing.queue_stats(self._clock())
            agents = await self._routing.agents()
        except Unavailable:
            log.warning("routing state unreachable for metrics")
            return
        self._stats = stats
        self._presences = {}
        for slot in agents:
            presence = slot.presence.value
            self._presences[presence] = self._presences.get(presence, 0) + 1

    def collect(self) -> Iterator[Metric]:
        connected = GaugeMetricFamily("rtc_connections", "Open Socket.IO connections",
                                      labels=["namespace"])
        for namespace in ("/citizen", "/agent"):
            connected.add_metric([namespace], self._connections(namespace))
        yield connected
        length = GaugeMetricFamily("rtc_queue_length", "Conversations waiting",
                                   labels=["service", "priority"])
        oldest = GaugeMetricFamily("rtc_queue_oldest_wait_seconds",
                                   "Wait of the oldest waiting conversation",
                                   labels=["service", "priority"])
        for stat in self._stats:
            labels = [stat.service, stat.priority.value]
            length.add_metric(labels, stat.length)
            oldest.add_metric(labels, stat.oldest_wait_s)
        yield length
        yield oldest
        agents = GaugeMetricFamily("rtc_agents", "Connected agents by presence",
                                   labels=["presence"])
        for presence, count in sorted(self._presences.items()):
            agents.add_metric([presence], count)
        yield agents


class _VideoState(Collector):
    """Video rooms and relay counters, read at scrape time from the video service."""

    GAUGES = ("rooms", "connected_peers")
    COUNTERS = ("frames_received", "frames_relayed", "frames_dropped", "keyframe_requests")

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        for name in self.GAUGES:
            yield GaugeMetricFamily(f"rtc_video_{name}", f"Video {name.replace('_', ' ')}",
                                    value=stats.get(name, 0))
        for name in self.COUNTERS:
            yield CounterMetricFamily(f"rtc_video_{name}",
                                      f"Video {name.replace('_', ' ')} since start",
                                      value=stats.get(name, 0))


class _TransportState(Collector):
    """WebSocket clients and the ones the server had to drop, read at scrape time."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        yield GaugeMetricFamily("rtc_websocket_clients", "Open WebSocket connections",
                                value=stats.get("clients", 0))
        yield CounterMetricFamily("rtc_clients_cut_off",
                                  "Clients disconnected for leaving too much output unread",
                                  value=stats.get("cut_off", 0))
        yield CounterMetricFamily("rtc_heartbeat_timeouts",
                                  "Clients disconnected for missing a pong",
                                  value=stats.get("heartbeat_timeouts", 0))
        yield CounterMetricFamily("rtc_connect_timeouts",
                                  "Clients closed for joining no namespace in time",
                                  value=stats.get("connect_timeouts", 0))
        yield CounterMetricFamily("rtc_unreadable_packets_dropped",
                                  "Unreadable packets dropped (no ack id to answer)",
                                  value=stats.get("unreadable_dropped", 0))
        yield CounterMetricFamily("rtc_websockets_taken",
                                  "WebSockets the realtime server took over from their handshake",
                                  value=stats.get("websockets_taken", 0))
        yield CounterMetricFamily("rtc_reading_paused",
                                  "Times the gateway stopped reading WebSockets: too many "
                                  "messages waiting for the evidence log",
                                  value=stats.get("reading_paused", 0))


class _FrontDoorState(Collector):
    """Connections the front door closed before their first request was read."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        yield CounterMetricFamily("rtc_request_heads_refused",
                                  "Request heads answered 400 (malformed, too large, "
                                  "an upgrade with a body)", value=stats.get("heads_refused", 0))
        yield CounterMetricFamily("rtc_request_heads_timed_out",
                                  "Connections closed for not sending a whole head in time",
                                  value=stats.get("heads_timed_out", 0))
        yield CounterMetricFamily("rtc_websocket_protocol_errors",
                                  "WebSockets closed for breaking RFC 6455 or a frame limit "
                                  "(1002, 1007, 1009)", value=stats.get("protocol_errors", 0))
        yield GaugeMetricFamily("rtc_connections_open", "Open TCP connections",
                                value=stats.get("connections_open", 0))
        yield GaugeMetricFamily("rtc_connection_addresses",
                                "Client addresses (IPv6: /64s) holding open connections",
                                value=stats.get("connection_addresses", 0))
        refused = CounterMetricFamily("rtc_connections_refused",
                                      "Connections refused at accept or first head: 503 over "
                                      "RTC_GATEWAY_MAX_CONNECTIONS, 429 over "
                                      "RTC_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS",
                                      labels=["limit"])
        refused.add_metric(["total"], stats.get("connections_refused_total", 0))
        refused.add_metric(["per_address"], stats.get("connections_refused_per_address", 0))
        yield refused


class _EvidenceState(Collector):
    """Group commit at work, read at scrape time from the evidence log: records per
    batch is ``records / batches``; ``waiting`` near the backlog limit means overload."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        yield CounterMetricFamily("rtc_evidence_batches",
                                  "Evidence transactions committed (one fsync each)",
                                  value=stats.get("batches", 0))
        yield CounterMetricFamily("rtc_evidence_records", "Evidence records made durable",
                                  value=stats.get("records", 0))
        yield GaugeMetricFamily("rtc_evidence_waiting",
                                "Evidence records appended and not yet durable",
                                value=stats.get("waiting", 0))


class _AbuseState(Collector):
    """Active blocks, urgent openings in the surge window and the size of the limit
    tables (bounded: idle entries are forgotten), read at scrape time."""

    def __init__(self, blocks: Callable[[], dict[str, int]], urgent_in_window: Callable[[], int],
                 tables: Callable[[], dict[str, int]]) -> None:
        self._blocks = blocks
        self._urgent_in_window = urgent_in_window
        self._tables = tables

    def collect(self) -> Iterator[Metric]:
        blocks = GaugeMetricFamily("rtc_abuse_blocks", "Sources blocked after abuse",
                                   labels=["kind"])
        for kind, count in sorted(self._blocks().items()):
            blocks.add_metric([kind], count)
        yield blocks
        yield GaugeMetricFamily("rtc_urgent_openings_in_window",
                                "Urgent openings within the surge window",
                                value=self._urgent_in_window())
        tables = GaugeMetricFamily("rtc_limit_table_entries",
                                   "Entries in the per-address and per-identity limit tables",
                                   labels=["table"])
        for table, size in sorted(self._tables().items()):
            tables.add_metric([table], size)
        yield tables


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._refreshers: list[Callable[[], Awaitable[None]]] = []
        self._assignment_wait = Histogram(
            "rtc_assignment_wait_seconds", "From queued to assigned", ["priority"],
            buckets=WAIT_BUCKETS, registry=self.registry)
        self._relay_latency = _LoopHistogram(
            "rtc_message_relay_seconds",
            "From receiving a message to relaying it (includes the durable append)",
            LATENCY_BUCKETS)
        self.registry.register(self._relay_latency)
        self._rejected = Counter(
            "rtc_rejected_events", "Events refused, by error code", ["code"],
            registry=self.registry)
        self._opened = Counter(
            "rtc_conversations_opened", "Conversations opened", ["priority"],
            registry=self.registry)
        self._limits = Counter(
            "rtc_limit_refusals", "Connects, events and openings refused by a limit",
            ["limit"], registry=self.registry)
        self._abuse_reports = Counter(
            "rtc_abuse_reports", "Conversations reported abusive", registry=self.registry)
        self._logins = Counter(
            "rtc_citizen_logins", "Citizens' logins finished, by outcome (ok or the error code)",
            ["outcome"], registry=self.registry)
        self._urgent_surges = Counter(
            "rtc_urgent_surges", "Surges of urgent openings supervisors were alarmed of",
            registry=self.registry)

    def watch(self, routing: RoutingState, connections: Callable[[str], int],
              clock: Callable[[], float]) -> None:
        live = _LiveState(routing, connections, clock)
        self.registry.register(live)
        self._refreshers.append(live.refresh)

    async def refresh(self) -> None:
        """Bring the gauges read from elsewhere up to date (before ``exposition``)."""
        for refresh in self._refreshers:
            await refresh()

    def watch_video(self, stats: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_VideoState(stats))

    def watch_transport(self, stats: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_TransportState(stats))

    def watch_front_door(self, stats: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_FrontDoorState(stats))

    def watch_evidence(self, stats: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_EvidenceState(stats))

    def watch_abuse(self, blocks: Callable[[], dict[str, int]],
                    urgent_in_window: Callable[[], int],
                    tables: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_AbuseState(blocks, urgent_in_window, tables))

    def assignment_waited(self, seconds: float, priority: str) -> None:
        self._assignment_wait.labels(priority).observe(seconds)

    def message_relayed(self, seconds: float) -> None:
        self._relay_latency.observe(seconds)

    def conversation_opened(self, priority: str) -> None:
        self._opened.labels(priority).inc()

    def rejected(self, code: str) -> None:
        self._rejected.labels(code).inc()

    def limit_tripped(self, limit: str) -> None:
        self._limits.labels(limit).inc()

    def abuse_reported(self) -> None:
        self._abuse_reports.inc()

    def login_finished(self, outcome: str) -> None:
        self._logins.labels(outcome).inc()

    def urgent_surge(self) -> None:
        self._urgent_surges.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
