"""A conversation whose node died, taken over by another from the shared log."""

from datetime import UTC, datetime

from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.domain.conversation import Status
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind
from rtc_gateway.services.conversations import OpenRequest
from rtc_gateway.services.recovery import adopt_conversation, rooms_left_open
from tests.services.test_conversations import CITIZEN, build_parts


def _room(kind: str, cid: str, room_id: str) -> EvidenceEntry:
    return EvidenceEntry(conversation_id=cid, kind=kind, actor_role="agent", actor_id="o1",
                         at=datetime.now(UTC), data={"room_id": room_id})


async def test_the_survivor_rebuilds_it_and_ends_the_dead_nodes_room_as_recording_lost(
        ) -> None:
    log = MemoryEvidenceLog()
    dead, _ = build_parts(log)
    opened = await dead.open(CITIZEN, OpenRequest(
        "general", Force.POLICE, Priority.NORMAL, False, "fr", text="bonjour",
        client_msg_id="m1"), origin=None)
    await dead.post(CITIZEN, opened.id, "m2", "toujours là", origin=None)
    await log.append(_room(RecordKind.VIDEO_STARTED, opened.id, "vr_done"))
    await log.append(_room(RecordKind.VIDEO_ENDED, opened.id, "vr_done"))
    await log.append(_room(RecordKind.VIDEO_STARTED, opened.id, "vr_open"))

    survivor, routing = build_parts(log)
    adopted = await adopt_conversation(log, survivor, routing, SystemClock(), opened.id)

    assert adopted is not None and survivor.find(opened.id) is adopted
    assert [(m.seq, m.text) for m in adopted.messages] == [(1, "bonjour"),
                                                           (2, "toujours là")]
    assert adopted.status is Status.QUEUED
    ended = [r for r in log.records if r.kind == RecordKind.VIDEO_ENDED]
    assert [r.data for r in ended][-1] == {"room_id": "vr_open", "reason": "node_gone",
                                           "recording_lost": True, "recordings": []}
    assert len(ended) == 2, "a room that ended on its node is not ended again"
    requeued = [r.data for r in log.records if r.kind == RecordKind.REQUEUED]
    assert requeued == [{"reason": "node_gone", "previous_agent_id": None}]
    sent = await survivor.post(CITIZEN, opened.id, "m3", "la suite", origin=None)
    assert sent.seq == 3
    assert rooms_left_open(await log.conversation_records(opened.id)) == []
    await routing.close()


async def test_a_closed_conversation_is_not_taken_over() -> None:
    log = MemoryEvidenceLog()
    dead, _ = build_parts(log)
    opened = await dead.open(CITIZEN, OpenRequest(
        "general", Force.POLICE, Priority.NORMAL, False, "fr"), origin=None)
    await dead.close(CITIZEN, opened.id)
    survivor, routing = build_parts(log)
    assert await adopt_conversation(log, survivor, routing, SystemClock(), opened.id) is None
    assert survivor.find(opened.id) is None
    await routing.close()
