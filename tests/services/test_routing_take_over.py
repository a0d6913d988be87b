"""Routing shared in Redis: a conversation opened on one node goes to an officer of
another; when that node dies, its officer leaves and the conversation waits again
(first) and goes to an officer of a surviving node."""

import asyncio
import uuid

from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.redis.routing_state import RedisRoutingState
from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.ports.evidence_log import RecordKind
from rtc_gateway.services.conversations import OpenRequest
from tests.services.test_conversations import CITIZEN, build_parts
from tests.support.waiting import eventually


async def test_a_dead_nodes_officer_is_taken_over(redis_url: str) -> None:
    space = f"test-{uuid.uuid4().hex[:10]}"
    dead = RedisRoutingState(redis_url, "dead", prefix=space, ttl_s=0.5)
    live = RedisRoutingState(redis_url, "live", prefix=space, ttl_s=0.5)
    log = MemoryEvidenceLog()
    service, routing = build_parts(log, live)
    await dead.start()
    await routing.start()
    try:
        await dead.agent_online(AgentProfile("far", "Loin", Force.POLICE), Presence.AVAILABLE,
                                0.0)
        conversation = await service.open(CITIZEN, OpenRequest(
            "general", Force.POLICE, Priority.NORMAL, False, "fr", text="bonjour",
            client_msg_id="open-1"), origin=None)
        await eventually(lambda: conversation.agent_id == "far")
        await dead.close()
        await routing.agent_connected(AgentProfile("near", "Près", Force.POLICE), "sid-1")
        await routing.set_status("near", Presence.AVAILABLE)
        assert conversation.agent_id == "far", "the dead node's officer still holds it"
        routing.node_gone("dead")
        await eventually(lambda: conversation.agent_id == "near")
        requeued = [r for r in log.records if r.kind == RecordKind.REQUEUED]
        assert [r.data for r in requeued] == [{"reason": "agent_disconnected",
                                               "previous_agent_id": "far"}]
        assert [slot.profile.agent_id for slot in await live.agents()] == ["near"]
    finally:
        await routing.close()
        await asyncio.sleep(0)
