"""Events citizens and agents share: send, read, typing, resume, list, close."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.message import Sender
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Role
from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.history import HistoryPager
from rtc_gateway.gateway.presence_wire import presence_wire
from rtc_gateway.gateway.wire import conversation_wire, message_wire
from rtc_gateway.services.conversations import ConversationService
from rtc_gateway.services.presence import PresenceService
from rtc_gateway.services.routing import RoutingService

FIRST_WORDS = 80
Elsewhere = Callable[[Connection], Awaitable[list[dict[str, Any]]]]


class ConversationEvents:
    def __init__(self, conversations: ConversationService, routing: RoutingService,
                 pages: HistoryPager, presence: PresenceService | None = None) -> None:
        self._conversations = conversations
        self._routing = routing
        self._pages = pages
        self._presence = presence
        self._elsewhere: Elsewhere | None = None

    def register(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("message:send", schemas.SendMessage, self.send)
        dispatcher.route("message:read", schemas.ReadUpTo, self.read)
        dispatcher.route("typing", schemas.Typing, self.typing, cost=0.5)
        dispatcher.route("conversation:resume", schemas.Resume, self.resume, cost=2.0)
        dispatcher.route("conversation:history", schemas.History, self.history, cost=2.0)
        dispatcher.route("conversation:list", schemas.Empty, self.list, cost=2.0)
        dispatcher.route("conversation:close", schemas.ConversationRef, self.close)

    async def view(self, conversation: Conversation, actor_role: Role) -> dict[str, Any]:
        staff_view = actor_role is not Role.CITIZEN
        wire = conversation_wire(
            conversation,
            agent=await self._routing.profile_of(conversation.agent_id),
            place=await self._conversations.queue_place(conversation),
            staff_view=staff_view,
            **(self._staff_extras(conversation) if staff_view else {}),
        )
        if staff_view:
            wire["first_words"] = first_words(conversation)
        return wire

    def _staff_extras(self, conversation: Conversation) -> dict[str, Any]:
        """The citizen's presence, and since when a waiting conversation waits."""
        extras: dict[str, Any] = {}
        presence = self._presence.of(conversation.citizen_id) if self._presence else None
        if presence is not None:
            extras["citizen_presence"] = presence_wire(presence)
        queued_for = self._routing.queued_for_s(conversation.id)
        if queued_for is not None:
            extras["waiting_since"] = datetime.now(UTC) - timedelta(seconds=queued_for)
        return extras

    async def send(self, connection: Connection, payload: schemas.SendMessage) -> Ack:
        message = await self._conversations.post(
            connection.actor, payload.conversation_id, payload.client_msg_id, payload.text,
            origin=connection.sid)
        return ok(message=message_wire(message))

    async def read(self, connection: Connection, payload: schemas.ReadUpTo) -> Ack:
        await self._conversations.mark_read(connection.actor, payload.conversation_id,
                                            payload.seq, origin=connection.sid)
        return ok()

    async def typing(self, connection: Connection, payload: schemas.Typing) -> Ack:
        await self._conversations.typing(connection.actor, payload.conversation_id,
                                         payload.typing, origin=connection.sid)
        return ok()

    async def resume(self, connection: Connection, payload: schemas.Resume) -> Ack:
        conversation, messages = self._conversations.messages_of(
            connection.actor, payload.conversation_id)
        page = self._pages.after(messages, payload.after_seq, payload.limit)
        return ok(conversation=await self.view(conversation, connection.actor.role),
                  messages=page.messages, has_more=page.has_more)

    async def history(self, connection: Connection, payload: schemas.History) -> Ack:
        _, messages = self._conversations.messages_of(connection.actor,
                                                      payload.conversation_id)
        page = self._pages.before(messages, payload.before_seq, payload.limit)
        return ok(messages=page.messages, has_more=page.has_more)

    def list_elsewhere_with(self, elsewhere: Elsewhere) -> None:
        """With several nodes: how the conversations other nodes hold join the list."""
        self._elsewhere = elsewhere

    async def list(self, connection: Connection, payload: schemas.Empty) -> Ack:
        conversations = self._conversations.list_for(connection.actor)
        views = [await self.view(c, connection.actor.role) for c in conversations]
        if self._elsewhere is not None:
            views.extend(await self._elsewhere(connection))
            views.sort(key=_listed_order)
        return ok(conversations=views)

    async def close(self, connection: Connection, payload: schemas.ConversationRef) -> Ack:
        conversation, _reason = await self._conversations.close(
            connection.actor, payload.conversation_id)
        return ok(conversation=await self.view(conversation, connection.actor.role))


def first_words(conversation: Conversation) -> str | None:
    """The start of the citizen's first message: what tells look-alike chats apart."""
    for message in conversation.messages:
        if message.sender is Sender.CITIZEN:
            text = " ".join(message.text.split())
            return text if len(text) <= FIRST_WORDS else text[:FIRST_WORDS].rsplit(" ", 1)[0] + "…"
    return None


def _listed_order(view: dict[str, Any]) -> tuple[int, str]:
    """The order of ``list_for``: most urgent first, then oldest (UTC text sorts)."""
    return Priority(view["priority"]).rank, str(view["opened_at"])
