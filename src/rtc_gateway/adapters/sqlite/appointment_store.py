"""Schedules and appointments in one SQLite file of the data directory
(``appointments.db``, 0600).

No double booking: a partial unique index on ``slot_id`` over live bookings. Every
process and node writing the file goes through it, so of two bookings of one slot made
at the same instant the database keeps one and the other gets ``Conflict``.
"""

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from rtc_gateway.adapters.sqlite.private_database import PrivateDatabase
from rtc_gateway.domain.errors import Conflict
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.video_appointments import Appointment, AppointmentStatus, UnitSchedule

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    unit_id TEXT PRIMARY KEY,
    force TEXT NOT NULL,
    body BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY,
    slot_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    citizen_id TEXT NOT NULL,
    status TEXT NOT NULL,
    start TEXT NOT NULL,
    body BLOB NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS appointments_live_slot ON appointments (slot_id)
    WHERE status = 'booked';
CREATE INDEX IF NOT EXISTS appointments_by_citizen ON appointments (citizen_id, start);
CREATE INDEX IF NOT EXISTS appointments_by_unit ON appointments (unit_id, start);
"""

_encode = msgspec.json.Encoder().encode
_schedule = msgspec.json.Decoder(UnitSchedule).decode
_appointment = msgspec.json.Decoder(Appointment).decode
_LIVE = AppointmentStatus.BOOKED.value


def _at(instant: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqliteAppointmentStore:
    """Implements :class:`rtc_gateway.ports.appointment_store.AppointmentStore` on SQLite."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._db = PrivateDatabase(db_path, SCHEMA, "appointments")

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    async def put_schedule(self, schedule: UnitSchedule) -> None:
        await self._db.run(lambda: self._write(
            "INSERT INTO schedules (unit_id, force, body) VALUES (?, ?, ?) "
            "ON CONFLICT (unit_id) DO UPDATE SET body = excluded.body",
            (schedule.unit_id, schedule.force.value, _encode(schedule))))

    async def schedule(self, unit_id: str) -> UnitSchedule | None:
        rows = await self._db.run(lambda: self._rows(
            "SELECT body FROM schedules WHERE unit_id = ?", (unit_id,)))
        return _schedule(rows[0]) if rows else None

    async def schedules(self, force: Force) -> list[UnitSchedule]:
        rows = await self._db.run(lambda: self._rows(
            "SELECT body FROM schedules WHERE force = ? ORDER BY unit_id", (force.value,)))
        return [_schedule(body) for body in rows]

    async def add(self, appointment: Appointment) -> None:
        await self._db.run(lambda: self._write(
            "INSERT INTO appointments (id, slot_id, unit_id, citizen_id, status, start, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", self._columns(appointment)))

    async def replace(self, appointment: Appointment) -> None:
        await self._db.run(lambda: self._write(
            "UPDATE appointments SET slot_id = ?, unit_id = ?, citizen_id = ?, status = ?, "
            "start = ?, body = ? WHERE id = ?",
            (*self._columns(appointment)[1:], appointment.id)))

    async def get(self, appointment_id: str) -> Appointment | None:
        rows = await self._db.run(lambda: self._rows(
            "SELECT body FROM appointments WHERE id = ?", (appointment_id,)))
        return _appointment(rows[0]) if rows else None

    async def of_citizen(self, citizen_id: str) -> list[Appointment]:
        return await self._appointments(
            "SELECT body FROM appointments WHERE citizen_id = ? ORDER BY start, id",
            (citizen_id,))

    async def of_unit(self, unit_id: str, after: datetime, until: datetime) -> list[Appointment]:
        return await self._appointments(
            "SELECT body FROM appointments WHERE unit_id = ? AND status = ? AND start >= ? "
            "AND start < ? ORDER BY start, id", (unit_id, _LIVE, _at(after), _at(until)))

    async def taken(self, unit_id: str, after: datetime, until: datetime) -> set[str]:
        return {a.slot_id for a in await self.of_unit(unit_id, after, until)}

    async def live_until(self, until: datetime) -> list[Appointment]:
        return await self._appointments(
            "SELECT body FROM appointments WHERE status = ? AND start < ? ORDER BY start, id",
            (_LIVE, _at(until)))

    @staticmethod
    def _columns(appointment: Appointment) -> tuple[Any, ...]:
        return (appointment.id, appointment.slot_id, appointment.unit_id,
                appointment.citizen_id, appointment.status.value, _at(appointment.start),
                _encode(appointment))

    async def _appointments(self, sql: str, params: Sequence[Any]) -> list[Appointment]:
        return [_appointment(body) for body in await self._db.run(
            lambda: self._rows(sql, params))]

    def _write(self, sql: str, params: Sequence[Any]) -> None:
        try:
            with self._db.writing() as con:
                con.execute(sql, params)
        except sqlite3.IntegrityError:
            raise Conflict("this slot is already taken") from None

    def _rows(self, sql: str, params: Sequence[Any]) -> list[bytes]:
        return [body for (body,) in self._db.connection().execute(sql, params)]
