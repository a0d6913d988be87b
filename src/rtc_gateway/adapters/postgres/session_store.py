"""Citizens' pending logins and verified sessions in PostgreSQL: a session created on
one node works on every node, and a logout (or a revocation) on one ends it on all.

Each login and session is one row (msgspec JSON of the domain object) with its expiry;
lookups ignore expired rows, and each node deletes expired rows at most once a minute
as it writes. A pending login is keyed by the SHA-256 of its ``state`` and removed by
the same statement that reads it, so it is taken once across every node. Session ids
are already hashes of the cookie values (``services/identity``). ``citizen_session_links``
says which session vouches for a citizen id (the newest link wins, as in memory).
"""

import hashlib
from dataclasses import replace
from datetime import datetime

import msgspec

from rtc_gateway.adapters.postgres.database import PostgresDatabase
from rtc_gateway.domain.identity import PendingLogin, VerifiedSession
from rtc_gateway.ports.clock import Clock

PURGE_EVERY_S = 60.0
_encode = msgspec.json.Encoder().encode
_decode_login = msgspec.json.Decoder(PendingLogin).decode
_decode_session = msgspec.json.Decoder(VerifiedSession).decode
_LINK = """
INSERT INTO citizen_session_links (citizen_id, session_id)
SELECT unnest($1::text[]), $2
ON CONFLICT (citizen_id) DO UPDATE SET session_id = excluded.session_id
"""


def _state_key(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


class PostgresSessionStore:
    """Implements :class:`rtc_gateway.ports.session_store.SessionStore` on PostgreSQL."""

    def __init__(self, dsn: str, clock: Clock) -> None:
        self._db = PostgresDatabase(dsn, "session")
        self._clock = clock
        self._last_purge = float("-inf")

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    async def put_login(self, login: PendingLogin) -> None:
        with self._db.answering():
            await self._purge_now_and_then()
            await self._db.pool.execute(
                "INSERT INTO citizen_logins (state_hash, body, expires_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (state_hash) DO UPDATE SET body = excluded.body,"
                " expires_at = excluded.expires_at",
                _state_key(login.state), _encode(login), login.expires_at)

    async def take_login(self, state: str, now: datetime) -> PendingLogin | None:
        with self._db.answering():
            body = await self._db.pool.fetchval(
                "DELETE FROM citizen_logins WHERE state_hash = $1 RETURNING body",
                _state_key(state))
            if body is None:
                return None
            login = _decode_login(bytes(body))
            return login if login.expires_at > now else None

    async def put_session(self, session: VerifiedSession) -> None:
        with self._db.answering():
            await self._purge_now_and_then()
            async with self._db.pool.acquire() as connection, connection.transaction():
                await connection.execute(
                    "INSERT INTO citizen_sessions (session_id, body, expires_at)"
                    " VALUES ($1, $2, $3) ON CONFLICT (session_id) DO UPDATE SET"
                    " body = excluded.body, expires_at = excluded.expires_at",
                    session.session_id, _encode(session), session.expires_at)
                await connection.execute(
                    _LINK, sorted(session.citizen_ids | {session.citizen_id}), session.session_id)

    async def get_session(self, session_id: str, now: datetime) -> VerifiedSession | None:
        with self._db.answering():
            body = await self._db.pool.fetchval(
                "SELECT body FROM citizen_sessions WHERE session_id = $1 AND expires_at > $2",
                session_id, now)
            return None if body is None else _decode_session(bytes(body))

    async def link_citizen(self, session_id: str, citizen_id: str,
                           now: datetime) -> VerifiedSession | None:
        with self._db.answering():
            async with self._db.pool.acquire() as connection, connection.transaction():
                body = await connection.fetchval(
                    "SELECT body FROM citizen_sessions WHERE session_id = $1 AND expires_at > $2"
                    " FOR UPDATE", session_id, now)
                if body is None:
                    return None
                session = _decode_session(bytes(body))
                linked = replace(session, citizen_ids=session.citizen_ids | {citizen_id})
                await connection.execute(
                    "UPDATE citizen_sessions SET body = $2 WHERE session_id = $1",
                    session_id, _encode(linked))
                await connection.execute(_LINK, [citizen_id], session_id)
                return linked

    async def session_of_citizen(self, citizen_id: str,
                                 now: datetime) -> VerifiedSession | None:
        with self._db.answering():
            body = await self._db.pool.fetchval(
                "SELECT s.body FROM citizen_session_links l JOIN citizen_sessions s"
                " ON s.session_id = l.session_id WHERE l.citizen_id = $1 AND s.expires_at > $2",
                citizen_id, now)
            return None if body is None else _decode_session(bytes(body))

    async def delete_session(self, session_id: str) -> VerifiedSession | None:
        with self._db.answering():
            body = await self._db.pool.fetchval(
                "DELETE FROM citizen_sessions WHERE session_id = $1 RETURNING body", session_id)
            return None if body is None else _decode_session(bytes(body))

    async def _purge_now_and_then(self) -> None:
        """Drop expired logins and sessions (their links go with them), at most once a
        minute per node."""
        if self._clock.monotonic() - self._last_purge < PURGE_EVERY_S:
            return
        self._last_purge = self._clock.monotonic()
        now = self._clock.now()
        async with self._db.pool.acquire() as connection, connection.transaction():
            await connection.execute("DELETE FROM citizen_logins WHERE expires_at <= $1", now)
            await connection.execute("DELETE FROM citizen_sessions WHERE expires_at <= $1",
                                     now)
