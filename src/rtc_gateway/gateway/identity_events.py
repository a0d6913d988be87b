"""Verified identity on the ``/citizen`` namespace: the handshake's session cookie and
``identity:link`` (step-up of an anonymous chat), and what the agent is told."""

from collections.abc import Awaitable, Callable, Sequence

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.domain.identity import VerifiedSession
from rtc_gateway.domain.message import Message
from rtc_gateway.gateway import schemas
from rtc_gateway.gateway.acks import Ack, ok
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.gateway.history import HistoryPager
from rtc_gateway.gateway.notifier import SocketNotifier
from rtc_gateway.gateway.rooms import AGENT_NAMESPACE, agent_room
from rtc_gateway.realtime.server import RealtimeServer
from rtc_gateway.security.cookies import SESSION_COOKIE, cookie_value_of
from rtc_gateway.services.identity.step_up import StepUp

SessionOfCitizen = Callable[[str], Awaitable[VerifiedSession | None]]


class VerifiedAwareNotifier(SocketNotifier):
    """The services' notifier, which also tells an agent that a citizen is verified: at
    the step-up, and when the agent is given a conversation of an already verified one."""

    def __init__(self, server: RealtimeServer, pages: HistoryPager) -> None:
        super().__init__(server, pages)
        self._server = server
        self._session_of: SessionOfCitizen | None = None

    def watch_identity(self, session_of: SessionOfCitizen) -> None:
        self._session_of = session_of

    async def assigned(self, conversation: Conversation, agent: AgentProfile,
                       messages: Sequence[Message]) -> None:
        await super().assigned(conversation, agent, messages)
        if self._session_of is not None:
            try:
                session = await self._session_of(conversation.citizen_id)
            except Unavailable:  # the name is an extra: the assignment stands without it
                return
            if session is not None:
                self._tell_agent(agent.agent_id, conversation, session.identity.display_name)

    async def same_person(self, citizen_id: str) -> Sequence[str]:
        """Every citizen id the live verified session of ``citizen_id`` vouches for (the
        one it logged in with, and the chats stepped up with it), so a case's news
        reaches all the person's sockets; ``citizen_id`` alone without such a session,
        or while a shared session store does not answer."""
        if self._session_of is None:
            return (citizen_id,)
        try:
            session = await self._session_of(citizen_id)
        except Unavailable:
            return (citizen_id,)
        if session is None or not session.vouches_for(citizen_id):
            return (citizen_id,)
        return sorted(session.citizen_ids | {session.citizen_id})

    async def citizen_verified(self, conversation: Conversation, display_name: str) -> None:
        if conversation.agent_id is not None:
            self._tell_agent(conversation.agent_id, conversation, display_name)

    def _tell_agent(self, agent_id: str, conversation: Conversation, display_name: str) -> None:
        self._server.emit("conversation:updated", {
            "conversation_id": conversation.id, "citizen_verified": True,
            "citizen_name": display_name,
        }, room=agent_room(agent_id), namespace=AGENT_NAMESPACE)


class IdentityEvents:
    """Keeps each citizen socket's session cookie (from its handshake) until it goes."""

    def __init__(self, step_up: StepUp) -> None:
        self._step_up = step_up
        self._cookies: dict[str, str] = {}

    def register(self, dispatcher: EventDispatcher) -> None:
        dispatcher.route("identity:link", schemas.Empty, self.link)

    async def session_at_connect(self, cookie_header: str | None) -> VerifiedSession | None:
        return await self._step_up.session_of_cookie(
            cookie_value_of(cookie_header, SESSION_COOKIE))

    def connected(self, sid: str, cookie_header: str | None) -> None:
        value = cookie_value_of(cookie_header, SESSION_COOKIE)
        if value is not None:
            self._cookies[sid] = value

    def disconnected(self, sid: str) -> None:
        self._cookies.pop(sid, None)

    async def is_verified(self, citizen_id: str) -> bool:
        """False too while a shared session store does not answer: the connect goes on
        unverified rather than failing."""
        try:
            return await self._step_up.is_verified(citizen_id)
        except Unavailable:
            return False

    async def link(self, connection: Connection, payload: schemas.Empty) -> Ack:
        session = await self._step_up.link(connection.actor.id,
                                           self._cookies.get(connection.sid))
        return ok(verified=session is not None)
