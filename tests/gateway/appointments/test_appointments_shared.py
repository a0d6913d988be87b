"""With Redis and PostgreSQL, appointments live in PostgreSQL: a standby taking over
(another data directory, the same URLs and key material) finds every booking and slot
held, and the join links still work."""

import shutil
import uuid
from pathlib import Path

from tests.gateway.appointments.conftest import (
    LYON_UNIT,
    anonymous_citizen,
    publish,
    staff,
    verified_citizen,
)
from tests.gateway.identity.conftest import StartWorld


async def test_a_standby_finds_the_bookings_in_postgresql(
        fresh_database: str, redis_url: str, start_world: StartWorld, tmp_path: Path) -> None:
    """``fresh_database`` first: it is dropped after the gateways have stopped."""
    shared = {"redis_url": redis_url, "database_url": fresh_database}
    first_dir = tmp_path / "node-a"
    first = await start_world(data_dir=first_dir, node_id=f"a-{uuid.uuid4().hex[:6]}",
                              **shared)
    await publish(first)
    slot = (await anonymous_citizen(first).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"][0]
    citizen, _, _ = await verified_citizen(first)
    status, booked = await citizen.post("/api/v1/appointments", {"slot_id": slot["id"]})
    assert status == 201, booked
    assert not (first_dir / "appointments.db").exists()
    await first.gw.runner.cleanup()
    first.gw.clients.clear()

    standby_dir = tmp_path / "node-b"
    shutil.copytree(first_dir / "keys", standby_dir / "keys")
    standby = await start_world(data_dir=standby_dir, node_id=f"b-{uuid.uuid4().hex[:6]}",
                                **shared)
    status, kept = await staff(standby, "p1").get(f"/api/v1/staff/appointments/{booked['id']}")
    assert status == 200 and kept["status"] == "booked"
    free = (await anonymous_citizen(standby).get(
        f"/api/v1/appointments/slots?unit={LYON_UNIT}"))[1]["slots"]
    assert slot["id"] not in {s["id"] for s in free}
    other, _, _ = await verified_citizen(standby)
    assert (await other.post("/api/v1/appointments", {"slot_id": slot["id"]}))[0] == 409
    key = booked["join_url"].split("key=", 1)[1]
    join = f"/api/v1/appointments/{booked['id']}/join"
    assert (await other.post(join, {"key": key}))[0] == 403
    status, joined = await citizen.__class__(standby.gw.url, citizen.token).post(
        join, {"key": key})
    assert status == 200 and joined["appointment"]["id"] == booked["id"]
    records = await standby.gw.gateway.evidence.conversation_records(booked["id"])
    assert records[0].kind == "appointment.booked"
