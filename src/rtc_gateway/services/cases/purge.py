"""The purge of pre-complaints whose appointment was not honoured.

Thirty days after its appointment (``domain.appointments.PURGE_AFTER``), a pre-complaint
its unit has not closed (closing it says the citizen came and signed) is purged: an
evidence record of the case says so, when and why, with no personal data; the texts of
the case's records (the facts, the declared identity, the messages) are erased from the
log (their commitments stay, so it still verifies); then the case leaves the store.
The gateway runs :meth:`PreComplaintPurge.run` every ``case_purge_interval_s``, each
time followed by the sweep of attachment files no case references any more
(``attachment_sweep.py``); ``rtc-gateway purge-pre-complaints`` runs both once.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from rtc_gateway.domain.appointments import PURGE_AFTER, purge_due
from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.domain.roles import Actor
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.ports.case_store import CaseStore
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, RecordKind
from rtc_gateway.ports.text_erasure import TextEraser
from rtc_gateway.services.cases.attachment_sweep import AttachmentSweep

log = logging.getLogger(__name__)
REASON = "appointment_not_honoured"


class PreComplaintPurge:
    def __init__(self, store: CaseStore, evidence: EvidenceLog, clock: Clock,
                 lock: Callable[[str], asyncio.Lock] | None = None,
                 eraser: TextEraser | None = None,
                 sweep: AttachmentSweep | None = None) -> None:
        self._store = store
        self._evidence = evidence
        self._clock = clock
        self._lock = lock
        """``CaseService.lock``: a purge waits for a change under way to the same case."""
        self._eraser = eraser
        self._sweep = sweep
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> list[str]:
        """Purge every pre-complaint due now; the references purged."""
        purged = []
        for candidate in await self._store.of_kind(CaseKind.PRE_COMPLAINT):
            if purge_due(candidate, self._clock.now()) and await self._purge(candidate.id):
                purged.append(candidate.reference)
        if purged:
            log.info("pre-complaints purged", extra={"count": len(purged)})
        if self._sweep is not None:
            await self._sweep.run()
        return purged

    def start(self, interval_s: float) -> None:
        """Run the purge now and then every ``interval_s`` seconds (0: never)."""
        if interval_s > 0 and self._task is None:
            self._task = asyncio.create_task(self._every(interval_s))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _every(self, interval_s: float) -> None:
        while True:
            try:
                await self.run()
            except Exception:  # the next round tries again
                log.exception("pre-complaint purge failed")
            await asyncio.sleep(interval_s)

    async def _purge(self, case_id: str) -> bool:
        if self._lock is None:
            return await self._purge_unlocked(case_id)
        async with self._lock(case_id):
            return await self._purge_unlocked(case_id)

    async def _purge_unlocked(self, case_id: str) -> bool:
        case = await self._store.get(case_id)  # again: it may have changed meanwhile
        now = self._clock.now()
        if case is None or not purge_due(case, now):
            return False
        await self._evidence.append(purge_entry(case, now))
        if self._eraser is not None:
            await self._eraser.erase_text_of(case.id)
        await self._store.delete(case.id)
        return True


def purge_entry(case: Case, now: datetime) -> EvidenceEntry:
    system = Actor.system()
    return EvidenceEntry(
        conversation_id=case.id, kind=RecordKind.CASE_PURGED, actor_role=system.role.value,
        actor_id=system.id, at=now,
        data={"reference": case.reference, "reason": REASON,
              "status": case.status.value,
              "appointment_at": (format_utc(case.appointment_at)
                                 if case.appointment_at else None),
              "purge_after_days": PURGE_AFTER.days})

