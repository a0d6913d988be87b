"""The appointment stores refuse a second live booking of a slot, even from another
connection to the same file (another node or process) at the same instant."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from rtc_gateway.adapters.memory.appointment_store import MemoryAppointmentStore
from rtc_gateway.adapters.postgres.appointment_store import PostgresAppointmentStore
from rtc_gateway.adapters.sqlite.appointment_store import SqliteAppointmentStore
from rtc_gateway.domain import video_appointments as rules
from rtc_gateway.domain.errors import Conflict
from rtc_gateway.domain.video_appointments import Slot

START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
SLOT = Slot(rules.slot_id("police-lyon", START, None), "police-lyon", START,
            START + timedelta(minutes=30))


def booking(number: int, slot: Slot = SLOT) -> rules.Appointment:
    return rules.book(f"a{number}", slot, f"c{number}", START - timedelta(days=1),
                      case_id=None, email=None, phone=None, identity={})


Store = SqliteAppointmentStore | PostgresAppointmentStore


async def race_for_one_slot(nodes: list[Store]) -> None:
    """Four nodes, three bookings each, all at once: one booking holds the slot."""
    results = await asyncio.gather(*(node.add(booking(i)) for i, node in
                                     enumerate(nodes * 3)), return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not None), results


async def test_postgres_nodes_racing_for_one_slot_get_one_booking(fresh_database: str) -> None:
    nodes: list[Store] = [PostgresAppointmentStore(fresh_database) for _ in range(4)]
    await asyncio.gather(*(node.open() for node in nodes))
    try:
        await race_for_one_slot(nodes)
        live = await nodes[1].of_unit("police-lyon", START, START + timedelta(hours=1))
        assert len(live) == 1
        await nodes[2].replace(rules.cancel(live[0], START - timedelta(hours=3)))
        await nodes[3].add(booking(99))
        assert [a.id for a in await nodes[0].live_until(START + timedelta(days=1))] == ["a99"]
    finally:
        for node in nodes:
            await node.close()


async def test_sqlite_nodes_racing_for_one_slot_get_one_booking(tmp_path: Path) -> None:
    nodes: list[Store] = [SqliteAppointmentStore(tmp_path / "appointments.db")
                          for _ in range(4)]
    for node in nodes:
        await node.open()
    try:
        await race_for_one_slot(nodes)
        assert (tmp_path / "appointments.db").stat().st_mode & 0o777 == 0o600
        live = await nodes[0].of_unit("police-lyon", START, START + timedelta(hours=1))
        assert len(live) == 1
        winner = live[0]
        await nodes[1].replace(rules.cancel(winner, START - timedelta(hours=3)))
        await nodes[2].add(booking(99))
        assert await nodes[3].taken("police-lyon", START, START + timedelta(hours=1)) == {
            SLOT.id}
    finally:
        for node in nodes:
            await node.close()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_a_move_onto_a_taken_slot_is_refused(kind: str, tmp_path: Path) -> None:
    await move_onto_a_taken_slot(MemoryAppointmentStore() if kind == "memory"
                                 else SqliteAppointmentStore(tmp_path / "a.db"))


async def test_a_move_onto_a_taken_slot_is_refused_in_postgres(fresh_database: str) -> None:
    await move_onto_a_taken_slot(PostgresAppointmentStore(fresh_database))


async def move_onto_a_taken_slot(
        store: MemoryAppointmentStore | SqliteAppointmentStore | PostgresAppointmentStore
) -> None:
    await store.open()
    later = msgspec.structs.replace(SLOT, id=rules.slot_id("police-lyon", START +
                                                           timedelta(hours=1), None),
                                    start=START + timedelta(hours=1))
    try:
        await store.add(booking(1))
        await store.add(booking(2, later))
        with pytest.raises(Conflict):
            await store.add(booking(3))
        moved = rules.move(booking(2, later), SLOT, START - timedelta(hours=5))
        with pytest.raises(Conflict):
            await store.replace(moved)
        assert (await store.get("a2")) == booking(2, later)
        assert [a.id for a in await store.live_until(START + timedelta(days=1))] == [
            "a1", "a2"]
    finally:
        await store.close()
