"""Conversation use cases: open, post, read, typing, history, list, close.

Ordering: a message's ``seq`` is taken and its evidence record queued in one
synchronous step, so the log holds each conversation's messages in seq order however
the transport interleaves concurrent sends. A message is acknowledged and relayed only
once its record is durable.
"""

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from rtc_gateway.domain.access import may_act_on
from rtc_gateway.domain.conversation import Conversation, Location, Status, idempotency_key
from rtc_gateway.domain.errors import BadRequest, Conflict, Forbidden, NotFound, Unavailable
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.message import Message, Sender
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.topics import DISCREET_ALERT, TOPICS_BY_ID
from rtc_gateway.domain.wait_estimate import HandlingTimes, QueuePlace
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.conversation_store import ConversationStore
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, LoggedRecord, RecordKind
from rtc_gateway.ports.metrics import ServiceMetrics
from rtc_gateway.ports.notifier import Notifier
from rtc_gateway.services.conversation_homes import ConversationHomesService
from rtc_gateway.services.queue_broadcast import QueueBroadcaster
from rtc_gateway.services.routing import RoutingService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OpenRequest:
    topic: str
    service: Force | None
    """``None`` means "auto": from the location if given, else the first free force."""
    priority: Priority
    discreet: bool
    language: str
    location: Location | None = None
    text: str | None = None
    client_msg_id: str | None = None


class ConversationService:
    def __init__(
        self,
        *,
        store: ConversationStore,
        evidence: EvidenceLog,
        routing: RoutingService,
        broadcaster: QueueBroadcaster,
        notifier: Notifier,
        clock: Clock,
        metrics: ServiceMetrics,
        handling_times: HandlingTimes,
        force_at: Callable[[Location], Force] | None = None,
        max_open_per_citizen: int = 5,
        homes: ConversationHomesService | None = None,
    ) -> None:
        self._store = store
        self._evidence = evidence
        self._routing = routing
        self._broadcaster = broadcaster
        self._notifier = notifier
        self._clock = clock
        self._metrics = metrics
        self._handling_times = handling_times
        self._force_at = force_at
        """A chat's ``service: auto`` with a location (the units' lookup); ``None``: the
        first free force."""
        self._max_open_per_citizen = max_open_per_citizen
        self._homes = homes
        """With several nodes: this node becomes the home of what it opens."""
        self._in_flight: dict[tuple[str, str],
                              tuple[Message, asyncio.Future[LoggedRecord]]] = {}
        """Messages queued but not yet durable, by conversation and idempotency key: a
        retry waits for them."""
        self._close_listeners: list[Callable[[Conversation], Awaitable[None]]] = []
        self._writes_pending: dict[str, int] = {}
        self._resync: set[str] = set()
        self._opening: dict[tuple[str, str], asyncio.Event] = {}
        """Openings in progress by (citizen id, client_msg_id): a retry waits for them."""

    def on_closed(self, listener: Callable[[Conversation], Awaitable[None]]) -> None:
        """Run ``listener`` after a conversation is closed (e.g. to end its video room)."""
        self._close_listeners.append(listener)

    # --- access -------------------------------------------------------------

    def get_for(self, actor: Actor, conversation_id: str) -> Conversation:
        """The conversation if ``actor`` may act on it; otherwise nothing about it leaks."""
        conversation = self._store.get(conversation_id)
        if conversation is None:
            raise NotFound("no such conversation")
        if not may_act_on(actor, conversation):
            raise Forbidden("not your conversation")
        return conversation

    def find(self, conversation_id: str) -> Conversation | None:
        """An open conversation by id, with no access check (for internal callbacks)."""
        return self._store.get(conversation_id)

    async def queue_place(self, conversation: Conversation) -> QueuePlace | None:
        if conversation.status is not Status.QUEUED:
            return None
        return await self._broadcaster.place_of(conversation)

    def restore(self, conversation: Conversation) -> None:
        """Take back a conversation rebuilt from the evidence log after a restart."""
        self._store.add(conversation)

    # --- citizen use cases --------------------------------------------------

    async def open(self, citizen: Actor, request: OpenRequest, origin: str | None) -> Conversation:
        """Open a conversation; a retry with the same ``client_msg_id`` (the first ack was
        lost) gets the conversation the first attempt opened, and its first message once."""
        if request.topic not in TOPICS_BY_ID:
            raise BadRequest("unknown topic")
        retry = (citizen.id, request.client_msg_id) if request.client_msg_id else None
        if retry is not None:
            earlier = await self._opened_before(retry)
            if earlier is not None:
                await self._first_message_again(citizen, earlier, request, origin)
                return earlier
            self._opening[retry] = asyncio.Event()
        try:
            if len(self._store.of_citizen(citizen.id)) >= self._max_open_per_citizen:
                raise Conflict("too many open conversations: close one first")
            conversation = self._new_conversation(citizen, request)
            if self._homes is not None:
                await self._homes.opened(conversation.id)
            await self._record_opening(conversation, citizen, request, origin)
            return conversation
        finally:
            if retry is not None:
                self._opening.pop(retry).set()

    async def opened_with(self, citizen: Actor, client_msg_id: str) -> Conversation | None:
        """The open conversation this citizen opened with ``client_msg_id``, if any: a
        retried opening, which holds no new place under the open-conversation caps."""
        return await self._opened_before((citizen.id, client_msg_id))

    async def _opened_before(self, retry: tuple[str, str]) -> Conversation | None:
        """The open conversation a citizen opened with this client id, once any attempt
        still in progress has settled."""
        while (attempt := self._opening.get(retry)) is not None:
            await attempt.wait()
        citizen_id, client_msg_id = retry
        return next((c for c in self._store.of_citizen(citizen_id)
                     if c.opened_with == client_msg_id), None)

    async def _first_message_again(self, citizen: Actor, conversation: Conversation,
                                   request: OpenRequest, origin: str | None) -> None:
        """Post the opening text unless it is already there (its first write may have
        failed after the conversation was recorded)."""
        if request.text is not None and request.client_msg_id is not None:
            await self.post(citizen, conversation.id, request.client_msg_id, request.text,
                            origin)

    def _new_conversation(self, citizen: Actor, request: OpenRequest) -> Conversation:
        discreet = request.discreet or request.topic == DISCREET_ALERT
        service = request.service
        if service is None and request.location is not None and self._force_at is not None:
            service = self._force_at(request.location)
        return Conversation(
            id="cv_" + secrets.token_urlsafe(12),
            citizen_id=citizen.id,
            topic=request.topic,
            service=service,
            priority=Priority.URGENT if discreet else request.priority,
            discreet=discreet,
            language=request.language,
            opened_at=self._clock.now(),
            location=request.location,
            opened_with=request.client_msg_id,
        )

    async def _record_opening(self, conversation: Conversation, citizen: Actor,
                              request: OpenRequest, origin: str | None) -> None:
        """Log the opening (and the first message in the same batch), then queue it; it is
        queued even if the first message could not be written (a retry posts it)."""
        opened = self._evidence.append(self._opened_entry(conversation, request))
        first = None
        if request.text is not None:
            first = self._queue_message(conversation, citizen, request.client_msg_id,
                                        request.text)
        await self._durable(opened)
        self._store.add(conversation)
        self._metrics.conversation_opened(conversation.priority.value)
        log.info("conversation opened", extra={
            "conversation_id": conversation.id, "citizen_id": citizen.id,
            "topic": conversation.topic, "priority": conversation.priority.value,
            "discreet": conversation.discreet,
            "service": conversation.service.value if conversation.service else "auto"})
        try:
            if first is not None:
                key = (idempotency_key(Sender.CITIZEN.value, citizen.id, request.client_msg_id)
                       if request.client_msg_id is not None else None)
                await self._deliver(conversation, *first, key, origin)
        finally:
            await self._routing.enqueue(conversation)
            self._routing.schedule_assignment()

    async def post(self, actor: Actor, conversation_id: str, client_msg_id: str, text: str,
                   origin: str | None) -> Message:
        started = self._clock.monotonic()
        conversation = self.get_for(actor, conversation_id)
        key = idempotency_key(_sender_of(actor).value, actor.id, client_msg_id)
        known = conversation.sent_before(key)
        if known is not None:
            return known
        in_flight = self._in_flight.get((conversation.id, key))
        if in_flight is not None:
            queued, written = in_flight
            await self._durable(asyncio.shield(written))
            return queued
        if not conversation.is_open:
            raise Conflict("conversation is closed")
        if conversation.id in self._resync:
            raise Unavailable("the evidence log could not record a message; retry")
        message, written = self._queue_message(conversation, actor, client_msg_id, text)
        await self._deliver(conversation, message, written, key, origin)
        self._metrics.message_relayed(self._clock.monotonic() - started)
        return message

    async def post_system(self, conversation_id: str, text: str) -> Message | None:
        """A line from the gateway itself (a call started or ended), recorded and shown
        to both sides like any message; ``None`` when the conversation is no longer open."""
        conversation = self._store.get(conversation_id)
        if conversation is None or not conversation.is_open:
            return None
        message, written = self._queue_message(conversation, Actor.system(), None, text)
        await self._deliver(conversation, message, written, None, None)
        return message

    def _queue_message(self, conversation: Conversation, actor: Actor,
                       client_msg_id: str | None, text: str
                       ) -> tuple[Message, asyncio.Future[LoggedRecord]]:
        """Take the next seq and queue the record, with no await in between."""
        message = Message(conversation.id, conversation.take_next_seq(), _sender_of(actor),
                          text, self._clock.now(), client_msg_id)
        written = self._evidence.append(EvidenceEntry(
            conversation_id=conversation.id,
            kind=RecordKind.MESSAGE,
            actor_role=actor.role.value,
            actor_id=actor.id,
            at=message.sent_at,
            seq=message.seq,
            client_msg_id=client_msg_id,
            text=text,
        ))
        return message, written

    async def _deliver(self, conversation: Conversation, message: Message,
                       written: asyncio.Future[LoggedRecord], key: str | None,
                       origin: str | None) -> None:
        """``key``: the message's idempotency key, ``None`` when it has no client id."""
        flight = (conversation.id, key) if key is not None else None
        if flight is not None:
            self._in_flight[flight] = (message, written)
        self._writes_pending[conversation.id] = self._writes_pending.get(conversation.id, 0) + 1
        try:
            await self._durable(written)
        except Unavailable:
            log.error("evidence write failed", extra={"conversation_id": conversation.id,
                                                      "seq": message.seq})
            self._resync.add(conversation.id)
            raise
        finally:
            if flight is not None:
                self._in_flight.pop(flight, None)
            self._write_settled(conversation)
        conversation.record_delivered(message, key)
        await self._notifier.message(conversation, message, origin)

    def _write_settled(self, conversation: Conversation) -> None:
        """After a failed write, once nothing is in flight, seq resumes after the last
        durable message, so the log never shows a gap."""
        remaining = self._writes_pending[conversation.id] - 1
        if remaining:
            self._writes_pending[conversation.id] = remaining
            return
        del self._writes_pending[conversation.id]
        if conversation.id in self._resync:
            self._resync.discard(conversation.id)
            conversation.last_seq = conversation.messages[-1].seq if conversation.messages else 0

    async def mark_read(self, actor: Actor, conversation_id: str, seq: int,
                        origin: str | None) -> None:
        conversation = self.get_for(actor, conversation_id)
        if seq > conversation.last_seq:
            raise BadRequest("no message with that seq yet")
        await self._notifier.read(conversation, seq, _sender_of(actor).value, origin)

    async def typing(self, actor: Actor, conversation_id: str, typing: bool,
                     origin: str | None) -> None:
        conversation = self.get_for(actor, conversation_id)
        if conversation.is_open:
            await self._notifier.typing(conversation, _sender_of(actor).value, typing, origin)

    def messages_of(self, actor: Actor,
                    conversation_id: str) -> tuple[Conversation, Sequence[Message]]:
        """The conversation and its durable messages in seq order: the evidence log's,
        kept in memory while it is open (rebuilt from the log after a restart)."""
        conversation = self.get_for(actor, conversation_id)
        return conversation, conversation.messages

    def list_for(self, actor: Actor) -> list[Conversation]:
        if actor.role is Role.CITIZEN:
            conversations = self._store.of_citizen(actor.id)
        elif actor.role is Role.SUPERVISOR:
            conversations = list(self._store)
        else:
            conversations = self._store.of_agent(actor.id)
        return sorted(conversations, key=lambda c: (c.priority.rank, c.opened_at))

    async def close(self, actor: Actor, conversation_id: str,
                    reason: str | None = None) -> tuple[Conversation, str]:
        """``reason`` defaults to ``closed_by_<role>``."""
        conversation = self.get_for(actor, conversation_id)
        if not conversation.is_open:
            raise Conflict("conversation is already closed")
        reason = reason or f"closed_by_{actor.role.value}"
        agent_id = conversation.agent_id
        if conversation.assigned_at_s is not None:
            self._handling_times.add(self._clock.monotonic() - conversation.assigned_at_s)
        conversation.status = Status.CLOSED
        self._store.remove(conversation.id)
        if self._homes is not None:
            await self._homes.closed(conversation.id)
        await self._routing.release(conversation)
        closed = self._evidence.append(EvidenceEntry(
            conversation_id=conversation.id, kind=RecordKind.CLOSED,
            actor_role=actor.role.value, actor_id=actor.id, at=self._clock.now(),
            data={"reason": reason}))
        await self._durable(closed)
        await self._notifier.closed(conversation, reason, agent_id)
        log.info("conversation closed", extra={"conversation_id": conversation.id,
                                               "reason": reason, "messages": conversation.last_seq})
        for listener in self._close_listeners:
            await listener(conversation)
        return conversation, reason

    # --- plumbing -----------------------------------------------------------

    def _opened_entry(self, conversation: Conversation, request: OpenRequest) -> EvidenceEntry:
        requested = request.service
        data: dict[str, object] = {
            "topic": conversation.topic,
            "requested_service": requested.value if requested else "auto",
            "service": conversation.service.value if conversation.service else None,
            "priority": conversation.priority.value,
            "discreet": conversation.discreet,
            "language": conversation.language,
        }
        if conversation.location is not None:
            data["location"] = {"lat": f"{conversation.location.lat:.6f}",
                                "lon": f"{conversation.location.lon:.6f}"}
        return EvidenceEntry(
            conversation_id=conversation.id, kind=RecordKind.CONVERSATION_OPENED,
            actor_role=Role.CITIZEN.value, actor_id=conversation.citizen_id,
            at=conversation.opened_at, client_msg_id=request.client_msg_id, data=data)

    @staticmethod
    async def _durable(written: Awaitable[LoggedRecord]) -> LoggedRecord:
        try:
            return await written
        except Exception as exc:
            raise Unavailable("the evidence log cannot record right now; retry") from exc


def _sender_of(actor: Actor) -> Sender:
    if actor.role is Role.SYSTEM:
        return Sender.SYSTEM
    return Sender.CITIZEN if actor.role is Role.CITIZEN else Sender.AGENT


def message_from_record(record: LoggedRecord) -> Message:
    sender = Sender.CITIZEN if record.actor_role == Role.CITIZEN.value else (
        Sender.SYSTEM if record.actor_role == Role.SYSTEM.value else Sender.AGENT)
    assert record.seq is not None
    return Message(record.conversation_id, record.seq, sender, record.text or "",
                   record.at, record.client_msg_id)
