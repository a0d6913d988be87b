"""The PostgreSQL revocation store: the SQLite store's contract, shared by two nodes."""

import asyncio

from rtc_gateway.adapters.postgres.revocation_store import PostgresRevocationStore
from rtc_gateway.ports.revocations import EntryKind, RevocationEntry
from tests.adapters.test_revocation_store import staff
from tests.support.databases import throwaway_database


async def test_changes_since_a_version_and_values_only_grow(database_url: str) -> None:
    async with throwaway_database(database_url, "revocations") as url:
        gateway, command_line = PostgresRevocationStore(url), PostgresRevocationStore(url)
        await asyncio.gather(gateway.open(), command_line.open())
        try:
            first = await gateway.changes_since(0)
            assert first.entries == []
            await command_line.put([staff("P-1", 100),
                                    RevocationEntry(EntryKind.CITIZEN, "c_1", 7, 50)])
            seen = await gateway.changes_since(first.version)
            assert sorted(e.key for e in seen.entries) == ["P-1", "c_1"]
            assert (await gateway.changes_since(seen.version)).entries == []
            await command_line.put([staff("P-1", 40)])
            lowered = await gateway.changes_since(seen.version)
            assert lowered.entries == [staff("P-1", 100)], "an older instant never wins"
            await gateway.put([staff("P-2", 5), staff("P-2", 9, expires=70)])
            assert [e for e in (await command_line.changes_since(lowered.version)).entries
                    ] == [staff("P-2", 9, expires=2**62)], "one key twice in a batch"
            assert await gateway.purge_expired(60) == 1
            assert sorted(e.key for e in (await gateway.changes_since(0)).entries) == [
                "P-1", "P-2"]
        finally:
            await gateway.close()
            await command_line.close()


async def test_concurrent_writers_never_hide_a_write_from_a_reader(database_url: str) -> None:
    """Versions commit in order: a reader following ``changes_since`` sees every write."""
    async with throwaway_database(database_url, "revocations") as url:
        writers = [PostgresRevocationStore(url) for _ in range(3)]
        reader = PostgresRevocationStore(url)
        await asyncio.gather(reader.open(), *(w.open() for w in writers))
        seen: set[str] = set()
        version = 0

        async def follow() -> None:
            nonlocal version
            changes = await reader.changes_since(version)
            version = changes.version
            seen.update(e.key for e in changes.entries)

        async def write(n: int) -> None:
            await writers[n % 3].put([staff(f"P-{n}", n + 1)])
            await follow()

        try:
            await asyncio.gather(*(write(n) for n in range(60)))
            await follow()
            assert seen == {f"P-{n}" for n in range(60)}
        finally:
            for store in (reader, *writers):
                await store.close()
