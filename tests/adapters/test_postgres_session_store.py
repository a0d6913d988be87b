"""The PostgreSQL session store: the memory store's behaviour, shared by several nodes;
its (and the case store's) failures when the database does not answer."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest

from rtc_gateway.adapters.postgres.case_store import PostgresCaseStore
from rtc_gateway.adapters.postgres.session_store import PostgresSessionStore
from rtc_gateway.domain.errors import Unavailable
from tests.adapters.test_memory_session_store import LATER, NOW, login, session
from tests.evidence.support import ManualClock
from tests.support.databases import throwaway_database


@pytest.fixture
async def nodes(database_url: str) -> AsyncIterator[tuple[PostgresSessionStore, ...]]:
    """Two nodes' stores on one database (both migrate it at once)."""
    async with throwaway_database(database_url, "sessions") as url:
        clock = ManualClock()
        stores = (PostgresSessionStore(url, clock), PostgresSessionStore(url, clock))
        await asyncio.gather(*(store.open() for store in stores))
        yield stores
        for store in stores:
            await store.close()


async def test_a_login_started_on_one_node_is_taken_once_on_any(
        nodes: tuple[PostgresSessionStore, ...]) -> None:
    a, b = nodes
    await a.put_login(login("st"))
    taken = await asyncio.gather(*(node.take_login("st", NOW) for node in (a, b, a, b)))
    assert [t for t in taken if t is not None] == [login("st")]
    await a.put_login(login("old", expires_at=NOW))
    assert await b.take_login("old", NOW) is None


async def test_a_session_works_on_every_node_and_a_logout_ends_it_everywhere(
        nodes: tuple[PostgresSessionStore, ...]) -> None:
    a, b = nodes
    await a.put_session(session())
    assert await b.get_session("s1", NOW) == session()
    assert await b.get_session("s1", LATER) is None, "expired"
    linked = await b.link_citizen("s1", "c_anon", NOW)
    assert linked is not None and linked.vouches_for("c_anon") and linked.vouches_for("c_1")
    assert await a.session_of_citizen("c_anon", NOW) == linked
    assert await a.get_session("s1", NOW) == linked
    assert await a.delete_session("s1") == linked
    for node in (a, b):
        assert await node.get_session("s1", NOW) is None
        assert await node.session_of_citizen("c_anon", NOW) is None
        assert await node.session_of_citizen("c_1", NOW) is None
    assert await b.link_citizen("s1", "c_other", NOW) is None


async def test_links_made_at_once_on_two_nodes_are_both_kept(
        nodes: tuple[PostgresSessionStore, ...]) -> None:
    a, b = nodes
    await a.put_session(session())
    await asyncio.gather(*(node.link_citizen("s1", f"c_{n}", NOW)
                           for n, node in enumerate((a, b, a, b))))
    stored = await b.get_session("s1", NOW)
    assert stored is not None and stored.citizen_ids == {"c_0", "c_1", "c_2", "c_3"}


async def test_expired_rows_are_purged_as_a_node_writes(database_url: str) -> None:
    async with throwaway_database(database_url, "sessions") as url:
        clock = ManualClock(NOW)
        store = PostgresSessionStore(url, clock)
        await store.open()
        try:
            await store.put_session(session("gone"))
            await store.put_login(login("st"))
            clock.advance(timedelta(hours=2))
            await store.put_session(replace(session("kept", "c_2"),
                                            expires_at=NOW + timedelta(hours=3)))
            connection = await asyncpg.connect(url)
            try:
                sessions = await connection.fetch("SELECT session_id FROM citizen_sessions")
                links = await connection.fetch("SELECT citizen_id FROM citizen_session_links")
                logins = await connection.fetchval("SELECT count(*) FROM citizen_logins")
            finally:
                await connection.close()
            assert [row[0] for row in sessions] == ["kept"]
            assert [row[0] for row in links] == ["c_2"]
            assert logins == 0
        finally:
            await store.close()


async def test_a_database_that_does_not_answer_is_unavailable_not_a_crash(
        database_url: str) -> None:
    async with throwaway_database(database_url, "sessions") as url:
        sessions, cases = PostgresSessionStore(url, ManualClock(NOW)), PostgresCaseStore(url)
        await sessions.open()
        await cases.open()
        admin = await asyncpg.connect(database_url)
        try:
            await admin.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
        finally:
            await admin.close()
        try:
            with pytest.raises(Unavailable, match="session store"):
                await sessions.get_session("s1", NOW)
            with pytest.raises(Unavailable, match="case store"):
                await cases.get("case-1")
        finally:
            await sessions.close()
            await cases.close()
