"""Conversation service rules that need no transport: ordering and write failures."""

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from rtc_gateway.adapters.memory.conversation_store import MemoryConversationStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.memory.routing_state import MemoryRoutingState
from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.routing import Router
from rtc_gateway.domain.wait_estimate import HandlingTimes
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, LoggedRecord, RecordKind
from rtc_gateway.ports.metrics import NoMetrics
from rtc_gateway.ports.routing_state import RoutingState
from rtc_gateway.services.conversations import ConversationService, OpenRequest
from rtc_gateway.services.queue_broadcast import QueueBroadcaster
from rtc_gateway.services.routing import RoutingService


class RecordingNotifier:
    """Keeps what the services asked to tell people (the transport is tested end to end)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        async def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args))
        return record


def build(log: EvidenceLog) -> ConversationService:
    return build_parts(log)[0]


def build_parts(log: EvidenceLog, state: RoutingState | None = None
                ) -> tuple[ConversationService, RoutingService]:
    clock, store = SystemClock(), MemoryConversationStore()
    notifier: Any = RecordingNotifier()
    times = HandlingTimes()
    broadcaster = QueueBroadcaster(state or MemoryRoutingState(Router()), store, notifier,
                                   clock, times, 0.01)
    routing = RoutingService(state=broadcaster.state, store=store, evidence=log, notifier=notifier,
                             broadcaster=broadcaster, clock=clock, metrics=NoMetrics(),
                             grace_s=1.0)
    return ConversationService(store=store, evidence=log, routing=routing,
                               broadcaster=broadcaster, notifier=notifier, clock=clock,
                               metrics=NoMetrics(), handling_times=times), routing


CITIZEN = Actor(Role.CITIZEN, "c_1")


async def open_one(service: ConversationService) -> Conversation:
    return await service.open(CITIZEN, OpenRequest("general", Force.POLICE, Priority.NORMAL,
                                                   False, "fr"), origin=None)


def message_seqs(records: Sequence[Any]) -> list[int]:
    return [r.seq for r in records if r.kind == "message"]


async def test_log_order_is_seq_order_under_concurrency() -> None:
    log = MemoryEvidenceLog()
    service = build(log)
    conversation = await open_one(service)

    async def send(i: int) -> None:
        await asyncio.sleep(0.001 * (i % 7))
        await service.post(CITIZEN, conversation.id, f"m{i}", f"texte {i}", origin=None)

    await asyncio.gather(*(send(i) for i in range(200)))
    assert message_seqs(log.records) == list(range(1, 201))


async def test_a_failed_write_leaves_no_gap_and_the_retry_succeeds() -> None:
    log = MemoryEvidenceLog()
    service = build(log)
    conversation = await open_one(service)
    await service.post(CITIZEN, conversation.id, "m1", "un", origin=None)
    log.fail_appends = True
    with pytest.raises(Unavailable):
        await service.post(CITIZEN, conversation.id, "m2", "deux", origin=None)
    log.fail_appends = False
    retried = await service.post(CITIZEN, conversation.id, "m2", "deux", origin=None)
    assert retried.seq == 2
    assert message_seqs(log.records) == [1, 2]
    _, durable = service.messages_of(CITIZEN, conversation.id)
    assert [m.text for m in durable] == ["un", "deux"]


async def test_messages_queued_behind_a_failed_one_fail_too_and_no_gap_remains(
        tmp_path: Path) -> None:
    """With the SQLite log several messages are in flight at once: when one cannot be
    logged, those numbered after it are refused as well, then numbering resumes."""
    log = SqliteEvidenceLog(tmp_path / "e.db", tmp_path / "k", "test/evidence", SystemClock(),
                            0)
    await log.start()
    service = build(log)
    conversation = await open_one(service)
    await service.post(CITIZEN, conversation.id, "m1", "un", origin=None)
    outcomes = await asyncio.gather(
        service.post(CITIZEN, conversation.id, "m2", "deux \ud800", origin=None),
        service.post(CITIZEN, conversation.id, "m3", "trois", origin=None),
        return_exceptions=True)
    assert all(isinstance(outcome, Unavailable) for outcome in outcomes), outcomes
    retried = await service.post(CITIZEN, conversation.id, "m3", "trois", origin=None)
    assert retried.seq == 2
    assert [r.seq for r in await log.messages_after(conversation.id, 0)] == [1, 2]
    await log.close()


class FirstMessageFails(MemoryEvidenceLog):
    """The disk fails for exactly one message record."""

    def __init__(self) -> None:
        super().__init__()
        self.failures_left = 1

    def append(self, entry: EvidenceEntry) -> "asyncio.Future[LoggedRecord]":
        if entry.kind == RecordKind.MESSAGE and self.failures_left:
            self.failures_left -= 1
            failed: asyncio.Future[LoggedRecord] = asyncio.get_running_loop().create_future()
            failed.set_exception(OSError("disk failure"))
            return failed
        return super().append(entry)


async def test_an_open_whose_first_message_failed_is_queued_and_its_retry_posts_it() -> None:
    log = FirstMessageFails()
    service, routing = build_parts(log)
    request = OpenRequest("general", Force.POLICE, Priority.NORMAL, False, "fr",
                          text="aidez-moi", client_msg_id="open-1")
    with pytest.raises(Unavailable):
        await service.open(CITIZEN, request, origin=None)
    [conversation] = service.list_for(CITIZEN)
    await routing.agent_connected(AgentProfile("a1", "Officier", Force.POLICE, Role.AGENT,
                                         frozenset(), frozenset({"fr"}), 2), "sid-1")
    await routing.set_status("a1", Presence.AVAILABLE)
    assert conversation.agent_id == "a1", "it was in the queue"
    assert await service.open(CITIZEN, request, origin=None) is conversation
    assert await service.open(CITIZEN, request, origin=None) is conversation
    assert [(r.seq, r.text) for r in log.records if r.kind == "message"] == [(1, "aidez-moi")]
    assert service.list_for(CITIZEN) == [conversation]
