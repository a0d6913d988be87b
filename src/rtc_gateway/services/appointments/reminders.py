"""Reminders of appointments starting within 24 hours, looked for every
``interval_s`` (each appointment is reminded once, and again after a move)."""

import asyncio
import contextlib
import logging
from typing import Protocol

from rtc_gateway.domain.errors import DomainError

log = logging.getLogger(__name__)


class Reminding(Protocol):
    async def send_due_reminders(self) -> int: ...


class Reminders:
    def __init__(self, appointments: Reminding, interval_s: float) -> None:
        self._appointments = appointments
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self._interval_s > 0:
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                sent = await self._appointments.send_due_reminders()
            except (DomainError, OSError) as error:
                log.warning("appointment reminders failed", extra={"error": str(error)})
            else:
                if sent:
                    log.info("appointment reminders queued", extra={"count": sent})
            await asyncio.sleep(self._interval_s)
