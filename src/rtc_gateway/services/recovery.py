"""After a restart, rebuild open conversations from the evidence log and queue them again.

The log is the source of truth: whatever a citizen wrote before the restart is there, so
the conversation, its history and its next seq come back, and it returns to the head of
the queue since its officer's connection did not survive the restart.
"""

from collections.abc import Awaitable, Callable, Sequence

from rtc_gateway.domain.conversation import Conversation, Location, Status, idempotency_key
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Role
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, LoggedRecord, RecordKind
from rtc_gateway.services.conversations import ConversationService, message_from_record
from rtc_gateway.services.routing import RoutingService


def rebuild(records: Sequence[LoggedRecord]) -> Conversation | None:
    opened = next((r for r in records if r.kind == RecordKind.CONVERSATION_OPENED), None)
    if opened is None or any(r.kind == RecordKind.CLOSED for r in records):
        return None
    data = opened.data
    location = data.get("location")
    conversation = Conversation(
        id=opened.conversation_id,
        citizen_id=opened.actor_id,
        topic=str(data["topic"]),
        service=_service_now(records, data.get("service")),
        priority=Priority(data["priority"]),
        discreet=bool(data["discreet"]),
        language=str(data["language"]),
        opened_at=opened.at,
        location=Location(float(location["lat"]), float(location["lon"])) if location else None,
        opened_with=opened.client_msg_id,
    )
    for record in records:
        if record.kind == RecordKind.MESSAGE and record.seq is not None:
            message = message_from_record(record)
            key = (idempotency_key(message.sender.value, record.actor_id, record.client_msg_id)
                   if record.client_msg_id is not None else None)
            conversation.record_delivered(message, key)
            conversation.last_seq = max(conversation.last_seq, record.seq)
        elif record.kind == RecordKind.TRANSFERRED:
            target = record.data.get("to", {})
            if "topic" in target:
                conversation.topic = str(target["topic"])
    conversation.status = Status.QUEUED
    return conversation


def _service_now(records: Sequence[LoggedRecord], opened_service: object) -> Force | None:
    """The force of the last assignment or transfer, else the one asked for at opening."""
    service = Force(opened_service) if isinstance(opened_service, str) else None
    for record in records:
        target = record.data.get("to", {}) if record.kind == RecordKind.TRANSFERRED else {}
        if record.kind == RecordKind.ASSIGNED and "service" in record.data:
            service = Force(record.data["service"])
        elif "service" in target:
            service = Force(target["service"])
    return service


async def recover_open_conversations(
        evidence: EvidenceLog, conversations: ConversationService, routing: RoutingService,
        claim: Callable[[str], Awaitable[bool]] | None = None) -> int:
    """``claim``: with several nodes, whether this node takes an open conversation of the
    shared log (no live node holds it); alone, every open one is this node's."""
    recovered = 0
    for conversation_id in await evidence.open_conversation_ids():
        if claim is not None and not await claim(conversation_id):
            continue
        conversation = rebuild(await evidence.conversation_records(conversation_id))
        if conversation is None:
            continue
        conversations.restore(conversation)
        await routing.requeue_recovered(conversation)
        recovered += 1
    return recovered


async def adopt_conversation(evidence: EvidenceLog, conversations: ConversationService,
                             routing: RoutingService, clock: Clock, conversation_id: str
                             ) -> Conversation | None:
    """Rebuild one conversation whose node died, here, where routing finds it as the
    shared state left it; ``None`` when the log holds no open conversation of that id.
    A video room that node relayed ends with a record saying its recording is lost (its
    files were on that node's disk, unsealed)."""
    records = await evidence.conversation_records(conversation_id)
    conversation = rebuild(records)
    if conversation is None:
        return None
    for room_id in rooms_left_open(records):
        await evidence.append(EvidenceEntry(
            conversation_id=conversation_id, kind=RecordKind.VIDEO_ENDED,
            actor_role=Role.SYSTEM.value, actor_id="gateway", at=clock.now(),
            data={"room_id": room_id, "reason": "node_gone", "recording_lost": True,
                  "recordings": []}))
    await routing.adopted(conversation)  # before it is found here: a close waits for it
    conversations.restore(conversation)
    return conversation


def rooms_left_open(records: Sequence[LoggedRecord]) -> list[str]:
    """Video rooms of the log that started and never ended, in start order."""
    ended = {r.data.get("room_id") for r in records if r.kind == RecordKind.VIDEO_ENDED}
    return [str(r.data["room_id"]) for r in records
            if r.kind == RecordKind.VIDEO_STARTED and r.data.get("room_id") not in ended]
