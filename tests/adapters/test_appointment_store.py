"""The appointment stores refuse a second live booking of a slot, even from another
connection to the same file (another node or process) at the same instant."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from rtc_gateway.adapters.memory.appointment_store import MemoryAppointmentStore
from rtc_gateway.adapters.sqlite.appointment_store import SqliteAppointmentStore
from rtc_gateway.domain import appointments as rules
from rtc_gateway.domain.appointments import Slot
from rtc_gateway.domain.errors import Conflict

START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
SLOT = Slot(rules.slot_id("police-lyon", START, None), "police-lyon", START,
            START + timedelta(minutes=30))


def booking(number: int, slot: Slot = SLOT) -> rules.Appointment:
    return rules.book(f"a{number}", slot, f"c{number}", START - timedelta(days=1),
                      case_id=None, email=None, phone=None, identity={})


async def test_sqlite_nodes_racing_for_one_slot_get_one_booking(tmp_path: Path) -> None:
    nodes = [SqliteAppointmentStore(tmp_path / "appointments.db") for _ in range(4)]
    for node in nodes:
        await node.open()
    try:
        results = await asyncio.gather(*(node.add(booking(i)) for i, node in
                                         enumerate(nodes * 3)), return_exceptions=True)
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, Conflict) for r in results if r is not None)
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
    store = (MemoryAppointmentStore() if kind == "memory"
             else SqliteAppointmentStore(tmp_path / "a.db"))
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
