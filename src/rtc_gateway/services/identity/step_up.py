"""Step-up: a citizen who chats anonymously proves who they are, mid-conversation.

The verified session of the same browser vouches for the chat identity from then on;
each open conversation of that citizen gets an evidence record of the step-up (which
claims, which provider, which level, when; never a token or a claim value), and its
agent is told the citizen is verified.
"""

import logging
from typing import Protocol

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.domain.identity import VerifiedSession
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, RecordKind
from rtc_gateway.ports.session_store import SessionStore
from rtc_gateway.security.cookies import cookie_key

log = logging.getLogger(__name__)


class CitizenConversations(Protocol):
    def list_for(self, actor: Actor) -> list[Conversation]: ...


class VerifiedNotifier(Protocol):
    async def citizen_verified(self, conversation: Conversation, display_name: str) -> None:
        """Tell the conversation's agent its citizen is now verified."""
        ...


class StepUp:
    def __init__(self, store: SessionStore, conversations: CitizenConversations,
                 evidence: EvidenceLog, notifier: VerifiedNotifier, clock: Clock) -> None:
        self._store = store
        self._conversations = conversations
        self._evidence = evidence
        self._notifier = notifier
        self._clock = clock

    async def session_of_cookie(self, cookie_value: str | None) -> VerifiedSession | None:
        if not cookie_value:
            return None
        return await self._store.get_session(cookie_key(cookie_value), self._clock.now())

    async def session_of_citizen(self, citizen_id: str) -> VerifiedSession | None:
        return await self._store.session_of_citizen(citizen_id, self._clock.now())

    async def is_verified(self, citizen_id: str) -> bool:
        return await self.session_of_citizen(citizen_id) is not None

    async def link(self, citizen_id: str, cookie_value: str | None) -> VerifiedSession | None:
        """Let the browser's verified session vouch for ``citizen_id``; ``None`` when the
        browser has no live verified session."""
        session = await self.session_of_cookie(cookie_value)
        if session is None:
            return None
        if session.vouches_for(citizen_id):
            return session
        linked = await self._store.link_citizen(session.session_id, citizen_id,
                                                self._clock.now())
        if linked is None:
            return None
        actor = Actor(Role.CITIZEN, citizen_id)
        for conversation in self._conversations.list_for(actor):
            if not conversation.is_open:
                continue
            await self._record(conversation, linked)
            await self._notifier.citizen_verified(conversation, linked.identity.display_name)
        log.info("citizen stepped up", extra={"citizen_id": citizen_id,
                                              "acr": linked.identity.acr})
        return linked

    async def _record(self, conversation: Conversation, session: VerifiedSession) -> None:
        identity = session.identity
        written = self._evidence.append(EvidenceEntry(
            conversation_id=conversation.id, kind=RecordKind.IDENTITY_VERIFIED,
            actor_role=Role.CITIZEN.value, actor_id=conversation.citizen_id,
            at=self._clock.now(),
            data={"provider": identity.issuer, "acr": identity.acr,
                  "claims": sorted(identity.claims),
                  "verified_at": format_utc(session.verified_at)}))
        try:
            await written
        except Exception as exc:
            raise Unavailable("the evidence log cannot record right now; retry") from exc
