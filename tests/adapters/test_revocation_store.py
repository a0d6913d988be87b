"""The SQLite revocation store: versions, values that only grow, two processes' views."""

from pathlib import Path

from rtc_gateway.adapters.sqlite.revocation_store import SqliteRevocationStore
from rtc_gateway.ports.revocations import EntryKind, RevocationEntry
from tests.security.modes import mode


def staff(key: str, value: int, expires: int = 2**62) -> RevocationEntry:
    return RevocationEntry(EntryKind.STAFF, key, value, expires)


async def test_changes_since_a_version_and_values_only_grow(tmp_path: Path) -> None:
    path = tmp_path / "data" / "revocations.db"
    gateway, command_line = SqliteRevocationStore(path), SqliteRevocationStore(path)
    await gateway.open()
    await command_line.open()
    try:
        first = await gateway.changes_since(0)
        assert first.entries == []
        await command_line.put([staff("P-1", 100), RevocationEntry(EntryKind.CITIZEN, "c_1",
                                                                   7, 50)])
        seen = await gateway.changes_since(first.version)
        assert sorted(e.key for e in seen.entries) == ["P-1", "c_1"]
        assert (await gateway.changes_since(seen.version)).entries == []
        await command_line.put([staff("P-1", 40)])
        lowered = await gateway.changes_since(seen.version)
        assert lowered.entries == [staff("P-1", 100)], "an older instant never wins"
        assert await gateway.purge_expired(60) == 1
        assert [e.key for e in (await gateway.changes_since(0)).entries] == ["P-1"]
    finally:
        await gateway.close()
        await command_line.close()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
