"""Schedules and appointments in PostgreSQL (several nodes): the same rows as
``adapters/sqlite/appointment_store.py``, and the same partial unique index on live
bookings' slots, so a slot booked on one node at the instant another books it is held
by one booking only (the other gets ``Conflict``). Its tables come with the schema
migration of video appointments (``adapters/postgres/schema.py``)."""

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from rtc_gateway.adapters.postgres.schema import migrate
from rtc_gateway.domain.errors import Conflict, Unavailable
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.video_appointments import Appointment, AppointmentStatus, UnitSchedule

_encode = msgspec.json.Encoder().encode
_schedule = msgspec.json.Decoder(UnitSchedule).decode
_appointment = msgspec.json.Decoder(Appointment).decode
_LIVE = AppointmentStatus.BOOKED.value


class PostgresAppointmentStore:
    """Implements :class:`rtc_gateway.ports.appointment_store.AppointmentStore`."""

    def __init__(self, dsn: str, pool_size: int = 2) -> None:
        self.dsn = dsn
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=self._pool_size)
        async with self._pool.acquire() as connection:
            await migrate(connection)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def put_schedule(self, schedule: UnitSchedule) -> None:
        await self._write(
            "INSERT INTO appointment_schedules (unit_id, force, body) VALUES ($1, $2, $3) "
            "ON CONFLICT (unit_id) DO UPDATE SET body = excluded.body",
            schedule.unit_id, schedule.force.value, _encode(schedule))

    async def schedule(self, unit_id: str) -> UnitSchedule | None:
        rows = await self._rows("SELECT body FROM appointment_schedules WHERE unit_id = $1",
                                unit_id)
        return _schedule(rows[0]) if rows else None

    async def schedules(self, force: Force) -> list[UnitSchedule]:
        rows = await self._rows(
            "SELECT body FROM appointment_schedules WHERE force = $1 ORDER BY unit_id",
            force.value)
        return [_schedule(body) for body in rows]

    async def add(self, appointment: Appointment) -> None:
        await self._write(
            "INSERT INTO appointments (id, slot_id, unit_id, citizen_id, status, start, body)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)", *self._columns(appointment))

    async def replace(self, appointment: Appointment) -> None:
        await self._write(
            "UPDATE appointments SET slot_id = $2, unit_id = $3, citizen_id = $4, "
            "status = $5, start = $6, body = $7 WHERE id = $1", *self._columns(appointment))

    async def get(self, appointment_id: str) -> Appointment | None:
        rows = await self._rows("SELECT body FROM appointments WHERE id = $1", appointment_id)
        return _appointment(rows[0]) if rows else None

    async def of_citizen(self, citizen_id: str) -> list[Appointment]:
        return await self._appointments(
            "SELECT body FROM appointments WHERE citizen_id = $1 ORDER BY start, id",
            citizen_id)

    async def of_unit(self, unit_id: str, after: datetime, until: datetime) -> list[Appointment]:
        return await self._appointments(
            "SELECT body FROM appointments WHERE unit_id = $1 AND status = $2 AND start >= $3"
            " AND start < $4 ORDER BY start, id", unit_id, _LIVE, after, until)

    async def taken(self, unit_id: str, after: datetime, until: datetime) -> set[str]:
        return {a.slot_id for a in await self.of_unit(unit_id, after, until)}

    async def live_until(self, until: datetime) -> list[Appointment]:
        return await self._appointments(
            "SELECT body FROM appointments WHERE status = $1 AND start < $2 ORDER BY start, id",
            _LIVE, until)

    @staticmethod
    def _columns(appointment: Appointment) -> tuple[Any, ...]:
        return (appointment.id, appointment.slot_id, appointment.unit_id,
                appointment.citizen_id, appointment.status.value, appointment.start,
                _encode(appointment))

    def _connected(self) -> asyncpg.Pool:
        if self._pool is None:
            raise Unavailable("the appointment store is not open")
        return self._pool

    async def _write(self, sql: str, *params: Any) -> None:
        try:
            await self._connected().execute(sql, *params)
        except asyncpg.UniqueViolationError:
            raise Conflict("this slot is already taken") from None
        except (OSError, asyncpg.PostgresConnectionError) as error:
            raise Unavailable("the appointment store cannot be reached") from error

    async def _rows(self, sql: str, *params: Any) -> list[bytes]:
        try:
            return [bytes(row[0]) for row in await self._connected().fetch(sql, *params)]
        except (OSError, asyncpg.PostgresConnectionError) as error:
            raise Unavailable("the appointment store cannot be reached") from error

    async def _appointments(self, sql: str, *params: Any) -> list[Appointment]:
        return [_appointment(body) for body in await self._rows(sql, *params)]
