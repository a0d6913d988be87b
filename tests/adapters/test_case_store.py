"""Every case store (memory, SQLite, PostgreSQL): the same behaviour; the SQLite one's
file, and numbers that never repeat across processes or nodes."""

import asyncio
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rtc_gateway.adapters.memory.case_store import MemoryCaseStore
from rtc_gateway.adapters.postgres.case_store import PostgresCaseStore
from rtc_gateway.adapters.sqlite.case_store import SqliteCaseStore
from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus, add_message, format_reference
from rtc_gateway.domain.forces import Force
from rtc_gateway.ports.case_store import CaseStore, StaffScope
from tests.support.databases import throwaway_database

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def case(number: int, *, citizen: str = "cit-a", force: Force = Force.POLICE,
         unit: str | None = "police-paris", kind: CaseKind = CaseKind.PRE_COMPLAINT) -> Case:
    at = T0 + timedelta(minutes=number)
    return Case(f"case-{number}", format_reference(kind, 2026, number), kind,
                CaseStatus.RECEIVED, at, at, citizen, False, force, unit,
                {"what": "vol", "goods": [{"label": "vélo", "value_eur": 300}]})


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CaseStore]:
    chosen: CaseStore
    if request.param == "memory":
        chosen = MemoryCaseStore()
    elif request.param == "sqlite":
        chosen = SqliteCaseStore(tmp_path / "cases.db")
    else:
        async with throwaway_database(request.getfixturevalue("database_url"),
                                      "cases") as url:
            chosen = PostgresCaseStore(url)
            await chosen.open()
            yield chosen
            await chosen.close()
        return
    await chosen.open()
    yield chosen
    await chosen.close()


async def test_put_get_replace(store: CaseStore) -> None:
    first = case(1)
    await store.put(first)
    assert await store.get("case-1") == first
    changed = add_message(first, "citizen", "précision", T0)
    await store.put(changed)
    assert await store.get("case-1") == changed
    assert await store.get("nope") is None


async def test_lists_by_citizen_and_scope(store: CaseStore) -> None:
    await store.put(case(1))
    await store.put(case(2, citizen="cit-b", unit="police-lyon"))
    await store.put(case(3, force=Force.GENDARMERIE, unit=None))
    await store.put(case(4, kind=CaseKind.COMPLAINT))
    assert [c.id for c in await store.of_citizen("cit-a")] == ["case-4", "case-3", "case-1"]
    assert [c.id for c in await store.in_scope(StaffScope(Force.POLICE), 10)] == [
        "case-4", "case-2", "case-1"]
    assert [c.id for c in await store.in_scope(StaffScope(Force.GENDARMERIE), 10)] == [
        "case-3"]
    await store.put(case(5, unit=None))
    assert [c.id for c in await store.in_scope(StaffScope(Force.POLICE, "police-paris"), 10)
            ] == ["case-5", "case-4", "case-1"]
    assert [c.id for c in await store.in_scope(
        StaffScope(Force.POLICE, only_unit="police-lyon"), 10)] == ["case-2"]
    assert [c.id for c in await store.in_scope(
        StaffScope(Force.POLICE, kind=CaseKind.COMPLAINT), 10)] == ["case-4"]
    assert [c.id for c in await store.in_scope(
        StaffScope(Force.POLICE, status=CaseStatus.CLOSED), 10)] == []
    assert [c.id for c in await store.in_scope(StaffScope(Force.POLICE), 1)] == ["case-5"]


async def test_numbers_per_kind_and_year(store: CaseStore) -> None:
    assert [await store.next_number(CaseKind.PRE_COMPLAINT, 2026) for _ in range(3)] == [1, 2, 3]
    assert await store.next_number(CaseKind.COMPLAINT, 2026) == 1
    assert await store.next_number(CaseKind.PRE_COMPLAINT, 2027) == 1


async def test_sqlite_file_is_private_and_numbers_never_repeat(tmp_path: Path) -> None:
    path = tmp_path / "data" / "cases.db"
    stores = [SqliteCaseStore(path), SqliteCaseStore(path)]
    for each in stores:
        await each.open()
    numbers = await asyncio.gather(*(stores[i % 2].next_number(CaseKind.COMPLAINT, 2026)
                                     for i in range(40)))
    assert sorted(numbers) == list(range(1, 41))
    for each in stores:
        await each.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened = SqliteCaseStore(path)
    await reopened.open()
    assert await reopened.next_number(CaseKind.COMPLAINT, 2026) == 41
    await reopened.close()


async def test_of_kind_oldest_first_and_delete(store: CaseStore) -> None:
    for number in (3, 1, 2):
        await store.put(case(number))
    await store.put(case(4, kind=CaseKind.COMPLAINT))
    assert [c.id for c in await store.of_kind(CaseKind.PRE_COMPLAINT)] == [
        "case-1", "case-2", "case-3"]
    await store.delete("case-2")
    await store.delete("no-such-case")
    assert await store.get("case-2") is None
    assert [c.id for c in await store.of_kind(CaseKind.PRE_COMPLAINT)] == ["case-1", "case-3"]
    assert [c.id for c in await store.of_kind(CaseKind.COMPLAINT)] == ["case-4"]


async def test_postgres_numbers_never_repeat_across_nodes(fresh_database: str) -> None:
    nodes = [PostgresCaseStore(fresh_database), PostgresCaseStore(fresh_database)]
    await asyncio.gather(*(node.open() for node in nodes))  # both migrate at once
    try:
        numbers = await asyncio.gather(*(nodes[i % 2].next_number(CaseKind.COMPLAINT, 2026)
                                         for i in range(40)))
        assert sorted(numbers) == list(range(1, 41))
        await nodes[0].put(case(1))
        assert await nodes[1].get("case-1") == case(1), "a case put on one node is on all"
    finally:
        for node in nodes:
            await node.close()


async def test_delete_forgets_the_case(store: CaseStore) -> None:
    await store.put(case(1))
    await store.put(case(2))
    await store.delete("case-1")
    await store.delete("case-none")
    assert await store.get("case-1") is None
    assert [c.id for c in await store.of_citizen("cit-a")] == ["case-2"]
