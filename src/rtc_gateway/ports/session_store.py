"""Where pending logins and verified sessions live; server-side, so a session can be revoked.

The memory adapter serves one node; a shared store (Redis, PostgreSQL) gives several
nodes the same sessions. Keys are hashes of the cookie values, never the values.
"""

from datetime import datetime
from typing import Protocol

from rtc_gateway.domain.identity import PendingLogin, VerifiedSession


class SessionStore(Protocol):
    async def put_login(self, login: PendingLogin) -> None:
        """Keep a pending login until it is taken or expires."""
        ...

    async def take_login(self, state: str, now: datetime) -> PendingLogin | None:
        """The pending login of ``state``, removed in the same step (single use);
        ``None`` if unknown, already taken or expired."""
        ...

    async def put_session(self, session: VerifiedSession) -> None:
        ...

    async def get_session(self, session_id: str, now: datetime) -> VerifiedSession | None:
        """The unexpired session, or ``None``."""
        ...

    async def link_citizen(self, session_id: str, citizen_id: str,
                           now: datetime) -> VerifiedSession | None:
        """Let the session vouch for ``citizen_id`` too; ``None`` if it is gone."""
        ...

    async def session_of_citizen(self, citizen_id: str,
                                 now: datetime) -> VerifiedSession | None:
        """The live session that vouches for ``citizen_id``, if any."""
        ...

    async def delete_session(self, session_id: str) -> VerifiedSession | None:
        """Revoke a session; later lookups find nothing."""
        ...
