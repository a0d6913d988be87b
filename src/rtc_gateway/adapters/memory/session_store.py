"""Sessions and pending logins in this process's memory (one node, lost on restart)."""

from collections import OrderedDict
from dataclasses import replace
from datetime import datetime

from rtc_gateway.domain.identity import PendingLogin, VerifiedSession


class MemorySessionStore:
    def __init__(self, max_pending_logins: int = 10_000, max_sessions: int = 100_000) -> None:
        self._logins: OrderedDict[str, PendingLogin] = OrderedDict()
        self._sessions: OrderedDict[str, VerifiedSession] = OrderedDict()
        self._by_citizen: dict[str, str] = {}
        self._max_logins = max_pending_logins
        self._max_sessions = max_sessions

    async def put_login(self, login: PendingLogin) -> None:
        self._logins[login.state] = login
        while len(self._logins) > self._max_logins:
            self._logins.popitem(last=False)

    async def take_login(self, state: str, now: datetime) -> PendingLogin | None:
        login = self._logins.pop(state, None)
        if login is None or login.expires_at <= now:
            return None
        return login

    async def put_session(self, session: VerifiedSession) -> None:
        self._sessions[session.session_id] = session
        self._index(session)
        while len(self._sessions) > self._max_sessions:
            _, oldest = self._sessions.popitem(last=False)
            self._unindex(oldest)

    async def get_session(self, session_id: str, now: datetime) -> VerifiedSession | None:
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if session.expires_at <= now:
            await self.delete_session(session_id)
            return None
        return session

    async def link_citizen(self, session_id: str, citizen_id: str,
                           now: datetime) -> VerifiedSession | None:
        session = await self.get_session(session_id, now)
        if session is None:
            return None
        linked = replace(session, citizen_ids=session.citizen_ids | {citizen_id})
        self._sessions[session_id] = linked
        self._index(linked)
        return linked

    async def session_of_citizen(self, citizen_id: str,
                                 now: datetime) -> VerifiedSession | None:
        session_id = self._by_citizen.get(citizen_id)
        return None if session_id is None else await self.get_session(session_id, now)

    async def delete_session(self, session_id: str) -> VerifiedSession | None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            self._unindex(session)
        return session

    def _index(self, session: VerifiedSession) -> None:
        for citizen_id in session.citizen_ids | {session.citizen_id}:
            self._by_citizen[citizen_id] = session.session_id

    def _unindex(self, session: VerifiedSession) -> None:
        for citizen_id in session.citizen_ids | {session.citizen_id}:
            if self._by_citizen.get(citizen_id) == session.session_id:
                del self._by_citizen[citizen_id]
