"""Routing use cases: agents coming and going, assignment, re-queueing and transfer."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.conversation import Conversation, Status
from rtc_gateway.domain.errors import BadRequest, Conflict, NotFound, Unavailable
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Actor
from rtc_gateway.domain.routing import Assignment
from rtc_gateway.domain.topics import TOPICS_BY_ID
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.conversation_store import ConversationStore
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, LoggedRecord, RecordKind
from rtc_gateway.ports.metrics import ServiceMetrics
from rtc_gateway.ports.notifier import Notifier
from rtc_gateway.ports.routing_state import RoutingState
from rtc_gateway.services.conversation_homes import ConversationHomesService
from rtc_gateway.services.queue_broadcast import QueueBroadcaster

log = logging.getLogger(__name__)
MAX_HOPS = 3


@dataclass(frozen=True, slots=True)
class TransferTarget:
    """Exactly one of the three is set."""

    agent_id: str | None = None
    topic: str | None = None
    service: Force | None = None


@dataclass(slots=True)
class _AgentConnections:
    sids: set[str]
    presence_before_drop: Presence
    grace_timer: asyncio.TimerHandle | None = None


class RoutingService:
    def __init__(
        self,
        *,
        state: RoutingState,
        store: ConversationStore,
        evidence: EvidenceLog,
        notifier: Notifier,
        broadcaster: QueueBroadcaster,
        clock: Clock,
        metrics: ServiceMetrics,
        grace_s: float,
        homes: ConversationHomesService | None = None,
    ) -> None:
        self._state = state
        self._store = store
        self._evidence = evidence
        self._notifier = notifier
        self._broadcaster = broadcaster
        self._clock = clock
        self._metrics = metrics
        self._grace_s = grace_s
        self._homes = homes
        """With several nodes: where conversations not held here live."""
        if homes is not None:
            homes.serve("routing.apply", self._serve_apply)
            homes.serve("routing.requeue", self._serve_requeue)
            homes.serve("routing.requeued", self._serve_requeued)
        self._connections: dict[str, _AgentConnections] = {}
        self._enqueued_at: dict[str, float] = {}
        self._assigning: asyncio.Task[None] | None = None
        self._assign_again = False
        self._background: set[asyncio.Task[None]] = set()
        self._release_listeners: list[Callable[[Conversation, str, str], Awaitable[None]]] = []

    def on_officer_released(
            self, listener: Callable[[Conversation, str, str], Awaitable[None]]) -> None:
        """Run ``listener(conversation, agent_id, reason)`` once an officer no longer holds
        a conversation that stays open (transfer, re-queue), before the caller is answered
        (e.g. to take that officer out of its video room)."""
        self._release_listeners.append(listener)

    async def _officer_released(self, conversation: Conversation, agent_id: str,
                                reason: str) -> None:
        for listener in self._release_listeners:
            try:
                await listener(conversation, agent_id, reason)
            except Exception:
                log.exception("officer release listener failed",
                              extra={"conversation_id": conversation.id, "agent_id": agent_id})

    # --- agents -------------------------------------------------------------

    async def profile_of(self, agent_id: str | None) -> AgentProfile | None:
        slot = await self._state.agent(agent_id) if agent_id is not None else None
        return slot.profile if slot is not None else None

    def queued_for_s(self, conversation_id: str) -> float | None:
        """How long a waiting conversation has been in the queue (None: not waiting)."""
        since = self._enqueued_at.get(conversation_id)
        return None if since is None else max(0.0, self._clock.monotonic() - since)

    async def serving_slots(self, service: Force | None) -> int:
        """Chat slots of available agents of ``service`` (0: nobody can take it now)."""
        return await self._state.serving_slots(service)

    async def agent_connected(self, profile: AgentProfile, sid: str) -> None:
        """A new connection of an agent; a reconnect within the grace period resumes all."""
        log.info("staff connected", extra={"agent_id": profile.agent_id,
                                           "role": profile.role.value})
        connections = self._connections.get(profile.agent_id)
        if connections is None:
            self._connections[profile.agent_id] = _AgentConnections({sid}, Presence.AWAY)
            await self._state.agent_online(profile, Presence.AWAY, self._clock.monotonic())
        else:
            connections.sids.add(sid)
            if connections.grace_timer is not None:
                connections.grace_timer.cancel()
                connections.grace_timer = None
                await self._state.agent_online(profile, connections.presence_before_drop,
                                               self._clock.monotonic())
                self.schedule_assignment()
        self._broadcaster.changed()

    async def set_status(self, agent_id: str, presence: Presence) -> None:
        if presence is Presence.DISCONNECTED:
            raise BadRequest("status must be available or away")
        await self._state.set_presence(agent_id, presence)
        self._broadcaster.changed()
        if presence is Presence.AVAILABLE:
            await self.assign_waiting()

    async def agent_disconnected(self, agent_id: str, sid: str) -> None:
        connections = self._connections.get(agent_id)
        if connections is None:
            return
        connections.sids.discard(sid)
        if connections.sids:
            return
        slot = await self._state.agent(agent_id)
        if slot is None:
            self._connections.pop(agent_id, None)
            return
        connections.presence_before_drop = slot.presence
        await self._state.set_presence(agent_id, Presence.DISCONNECTED)
        if connections.sids:  # back while the routing state answered
            await self._state.set_presence(agent_id, connections.presence_before_drop)
            return
        log.info("agent connection lost, grace period started",
                 extra={"agent_id": agent_id, "held": slot.load, "grace_s": self._grace_s})
        loop = asyncio.get_running_loop()
        connections.grace_timer = loop.call_later(
            self._grace_s, lambda: self._spawn(self._grace_expired(agent_id)))
        self._broadcaster.changed()

    async def _grace_expired(self, agent_id: str) -> None:
        connections = self._connections.get(agent_id)
        if connections is None or connections.sids:
            return
        try:
            if await self._back_elsewhere(agent_id):
                del self._connections[agent_id]
                return
            held = await self._state.remove_agent(agent_id)
        except Unavailable:
            log.warning("routing state unreachable: agent removal retried",
                        extra={"agent_id": agent_id})
            connections.grace_timer = asyncio.get_running_loop().call_later(
                self._grace_s, lambda: self._spawn(self._grace_expired(agent_id)))
            return
        del self._connections[agent_id]
        log.info("agent gone after grace period", extra={"agent_id": agent_id,
                                                         "requeued": len(held)})
        for conversation_id in held:
            conversation = self._store.get(conversation_id)
            if conversation is not None:
                await self._requeue(conversation, reason="agent_disconnected")
            else:
                await self._tell_home(conversation_id, "routing.requeue")
        self._broadcaster.changed()
        await self.assign_waiting()

    async def _back_elsewhere(self, agent_id: str) -> bool:
        """Whether an officer whose grace ran out here reconnected to another node."""
        if self._homes is None:
            return False
        slot = await self._state.agent(agent_id)
        return slot is not None and slot.presence is not Presence.DISCONNECTED

    def node_gone(self, node_id: str) -> None:
        """Another node died: its officers leave, what they held waits again (first)."""
        self._spawn(self._take_over(node_id))

    async def _take_over(self, node_id: str) -> None:
        try:
            requeued = await self._state.take_over(node_id, self._clock.monotonic())
        except Unavailable:
            log.warning("routing state unreachable: a gone node's officers stay",
                        extra={"node_id": node_id})
            return
        log.info("officers of a gone node taken over",
                 extra={"node_id": node_id, "requeued": len(requeued)})
        now = self._clock.monotonic()
        for conversation_id in requeued:
            conversation = self._store.get(conversation_id)
            if conversation is not None:  # opened here, its officer was there
                await self._requeued_here(conversation, now)
            else:
                await self._tell_home(conversation_id, "routing.requeued")
        self._broadcaster.changed()
        if self._homes is not None:  # what the dead node held comes here or elsewhere
            await self._homes.adopt_from(node_id)
        await self.assign_waiting()

    # --- queue and assignment -----------------------------------------------

    async def enqueue(self, conversation: Conversation, *, returning: bool = False) -> None:
        now = self._clock.monotonic()
        await self._state.enqueue(
            conversation.id,
            service=conversation.service,
            topic=conversation.topic,
            language=conversation.language,
            priority=conversation.priority,
            now=now,
            returning=returning,
        )
        self._mark_queued(conversation, now)

    def _mark_queued(self, conversation: Conversation, now: float) -> None:
        self._enqueued_at[conversation.id] = now
        conversation.status = Status.QUEUED
        conversation.agent_id = None
        self._broadcaster.changed()

    def schedule_assignment(self) -> None:
        """Assign soon, after the current handler has answered its client.

        A pass already running re-checks the queue before it ends, so a conversation
        opened (or a slot freed) while it awaits is never left waiting.
        """
        self._assign_again = True
        if self._assigning is None or self._assigning.done():
            self._assigning = asyncio.get_running_loop().create_task(self._assign_until_idle())

    async def _assign_until_idle(self) -> None:
        while self._assign_again:
            self._assign_again = False
            try:
                await self.assign_waiting()
            except Unavailable:
                log.warning("routing state unreachable: assignment waits for the next change")

    async def assign_waiting(self) -> None:
        """Apply every assignment possible now; their evidence records are written together."""
        written = [await self._apply(assignment)
                   for assignment in await self._state.assign(self._clock.monotonic())]
        for record in written:
            if record is not None:
                await _logged_if_failed(record, "assignment")

    async def _apply(self, assignment: Assignment, *, hops: int = 0
                     ) -> Awaitable[LoggedRecord] | None:
        """Hand the conversation over and tell both sides; returns its pending record.
        A conversation another node holds is handed over there (``hops``: how many
        nodes this assignment already went through; a few at most, as homes move)."""
        conversation = self._store.get(assignment.conversation_id)
        if conversation is None and self._homes is not None:
            where = await self._homes.locate(assignment.conversation_id)
            if isinstance(where, str):
                if hops < MAX_HOPS:
                    await self._apply_elsewhere(where, assignment, hops + 1)
                else:
                    log.warning("assignment not handed over: its conversation keeps moving",
                                extra={"conversation_id": assignment.conversation_id})
                return None
            conversation = where
        slot = await self._state.agent(assignment.agent_id)
        if conversation is None or slot is None:
            await self._state.release(assignment.conversation_id)
            return None
        conversation.status = Status.ASSIGNED
        conversation.agent_id = assignment.agent_id
        conversation.assigned_at_s = self._clock.monotonic()
        if conversation.service is None:
            conversation.service = slot.profile.service
        waited = conversation.assigned_at_s - self._enqueued_at.pop(conversation.id,
                                                                   conversation.assigned_at_s)
        self._metrics.assignment_waited(waited, conversation.priority.value)
        log.info("conversation assigned", extra={
            "conversation_id": conversation.id, "agent_id": slot.profile.agent_id,
            "priority": conversation.priority.value, "waited_ms": round(waited * 1000)})
        self._broadcaster.forget(conversation.id)
        self._broadcaster.changed()
        record = self._evidence.append(self._entry(
            conversation, RecordKind.ASSIGNED, Actor.system(),
            {"agent_id": slot.profile.agent_id, "agent_name": slot.profile.display_name,
             "service": slot.profile.service.value, "waited_ms": round(waited * 1000)}))
        await self._notifier.assigned(conversation, slot.profile, list(conversation.messages))
        return record

    async def _apply_elsewhere(self, node: str, assignment: Assignment, hops: int) -> None:
        """The assignment stands in the shared state; if its home does not answer, the
        survivor that takes the conversation over tells the officer."""
        assert self._homes is not None
        try:
            await self._homes.call(node, "routing.apply", {
                "conversation_id": assignment.conversation_id,
                "agent_id": assignment.agent_id, "hops": hops})
        except Unavailable:
            log.warning("assignment not handed to the conversation's node", extra={
                "conversation_id": assignment.conversation_id, "node_id": node})

    async def _serve_apply(self, payload: Any) -> bool:
        record = await self._apply(Assignment(str(payload["conversation_id"]),
                                              str(payload["agent_id"])),
                                   hops=int(payload.get("hops", 1)))
        if record is not None:
            await _logged_if_failed(record, "assignment")
        return record is not None

    async def _tell_home(self, conversation_id: str, method: str) -> None:
        """Ask the node that holds a conversation to requeue it (``routing.requeue``) or
        to tell its sides it was requeued (``routing.requeued``)."""
        if self._homes is None:
            return
        try:
            where = await self._homes.locate(conversation_id)
            if isinstance(where, str):
                await self._homes.call(where, method, {"conversation_id": conversation_id})
            elif where is not None:
                await self._officer_gone_here(method, where)
        except Unavailable:
            log.warning("conversation's node not told of its officer's departure",
                        extra={"conversation_id": conversation_id, "method": method})

    async def _officer_gone_here(self, method: str, conversation: Conversation) -> None:
        if method == "routing.requeue":
            await self._requeue(conversation, reason="agent_disconnected")
        else:
            await self._requeued_here(conversation, self._clock.monotonic())

    async def _serve_requeue(self, payload: Any) -> bool:
        conversation = self._store.get(str(payload["conversation_id"]))
        if conversation is not None:
            await self._requeue(conversation, reason="agent_disconnected")
        return conversation is not None

    async def _serve_requeued(self, payload: Any) -> bool:
        conversation = self._store.get(str(payload["conversation_id"]))
        if conversation is not None:
            await self._requeued_here(conversation, self._clock.monotonic())
        return conversation is not None

    async def _requeued_here(self, conversation: Conversation, now: float) -> None:
        """The shared state already put it back in line: mark it and tell both sides."""
        previous = conversation.agent_id
        self._mark_queued(conversation, now)
        await self._tell_requeued(conversation, previous, "agent_disconnected")

    async def adopted(self, conversation: Conversation) -> None:
        """A conversation taken over from a dead node: assigned if a live officer holds
        it in the shared state (told again), waiting if it is in line, else requeued;
        its routing entry is this node's from now on (a restart of the dead node
        forgets only what is still its own)."""
        agent_id = await self._state.agent_of(conversation.id)
        slot = await self._state.agent(agent_id) if agent_id is not None else None
        if slot is not None:
            conversation.status = Status.ASSIGNED
            conversation.agent_id = slot.profile.agent_id
            conversation.assigned_at_s = self._clock.monotonic()
            await self._state.adopt(conversation.id, slot.profile.agent_id)
            await self._notifier.assigned(conversation, slot.profile,
                                          list(conversation.messages))
        elif (waiting := await self._state.dequeue(conversation.id)) is not None:
            await self.enqueue(conversation, returning=waiting.returning)
        else:
            await self._requeue(conversation, reason="node_gone")
        self.schedule_assignment()

    async def release(self, conversation: Conversation) -> None:
        """A conversation ended: free its slot or its place in line, and serve the next."""
        await self._state.dequeue(conversation.id)
        self._enqueued_at.pop(conversation.id, None)
        self._broadcaster.forget(conversation.id)
        if await self._state.release(conversation.id) is not None:
            self.schedule_assignment()
        self._broadcaster.changed()

    async def requeue_recovered(self, conversation: Conversation) -> None:
        await self._requeue(conversation, reason="gateway_restarted")

    async def _requeue(self, conversation: Conversation, *, reason: str) -> None:
        previous = conversation.agent_id
        await self._state.release(conversation.id)
        await self._state.dequeue(conversation.id)  # shared state may hold it still
        await self.enqueue(conversation, returning=True)
        await self._tell_requeued(conversation, previous, reason)

    async def _tell_requeued(self, conversation: Conversation, previous: str | None,
                             reason: str) -> None:
        if previous is not None:
            await self._notifier.transferred_away(conversation, previous)
            await self._officer_released(conversation, previous, reason)
        place = await self._broadcaster.place_of(conversation)
        await self._notifier.queued(conversation, place)
        await self._evidence.append(self._entry(
            conversation, RecordKind.REQUEUED, Actor.system(),
            {"reason": reason, "previous_agent_id": previous}))

    # --- transfer -----------------------------------------------------------

    async def transfer(self, actor: Actor, conversation: Conversation,
                       target: TransferTarget) -> None:
        if conversation.status is not Status.ASSIGNED:
            raise Conflict("only an assigned conversation can be transferred")
        if target.agent_id is not None:
            await self._check_named_target(conversation, target.agent_id)
        elif target.topic is not None:
            if target.topic not in TOPICS_BY_ID:
                raise BadRequest("unknown topic")
            conversation.topic = target.topic
        elif target.service is not None:
            conversation.service = target.service
        previous = conversation.agent_id
        assert previous is not None
        await self._state.release(conversation.id)
        await self.enqueue(conversation, returning=True)
        named = (await self._state.assign_to(conversation.id, target.agent_id,
                                             self._clock.monotonic())
                 if target.agent_id is not None else None)
        written = self._evidence.append(self._entry(
            conversation, RecordKind.TRANSFERRED, actor,
            {"from_agent_id": previous, "to": _target_data(target)}))
        await self._notifier.transferred_away(conversation, previous)
        await self._officer_released(conversation, previous, "transferred")
        if named is not None:
            handed = await self._apply(named)
            await written
            if handed is not None:
                await _logged_if_failed(handed, "assignment")
            return
        place = await self._broadcaster.place_of(conversation)
        await self._notifier.queued(conversation, place)
        await written
        await self.assign_waiting()

    async def _check_named_target(self, conversation: Conversation, agent_id: str) -> None:
        if agent_id == conversation.agent_id:
            raise Conflict("the conversation is already with that agent")
        slot = await self._state.agent(agent_id)
        if slot is None:
            raise NotFound("no such agent is connected")
        if not slot.takes_new_work:
            raise Conflict("that agent cannot take a conversation now")

    # --- plumbing -----------------------------------------------------------

    def _entry(self, conversation: Conversation, kind: str, actor: Actor,
               data: dict[str, object]) -> EvidenceEntry:
        return EvidenceEntry(
            conversation_id=conversation.id,
            kind=kind,
            actor_role=actor.role.value,
            actor_id=actor.id,
            at=self._clock.now(),
            data=data,
        )

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_failure)

    async def start(self) -> None:
        await self._state.start()

    async def close(self) -> None:
        for connections in self._connections.values():
            if connections.grace_timer is not None:
                connections.grace_timer.cancel()
        for task in list(self._background):
            task.cancel()
        if self._assigning is not None:
            await asyncio.gather(self._assigning, return_exceptions=True)
        await self._state.close()


async def _logged_if_failed(record: Awaitable[LoggedRecord], what: str) -> None:
    """A record of something already done (an assignment stands even if its record
    could not be written): the failure is logged, not turned into the caller's error."""
    try:
        await record
    except Exception:
        log.exception("evidence write failed", extra={"record": what})


def _log_failure(task: "asyncio.Task[None]") -> None:
    if task.cancelled() or task.exception() is None:
        return
    error = task.exception()
    if isinstance(error, Unavailable):
        log.warning("routing state unreachable: background routing step not done")
    else:
        log.error("background routing step failed", exc_info=error)


def _target_data(target: TransferTarget) -> dict[str, str]:
    if target.agent_id is not None:
        return {"agent_id": target.agent_id}
    if target.topic is not None:
        return {"topic": target.topic}
    assert target.service is not None
    return {"service": target.service.value}
