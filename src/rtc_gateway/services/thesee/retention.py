"""The end of a THESEE case's retention: six years after its last change a ``case.purged``
evidence record says so, the texts of the case's records (the filing, the reviewers'
messages) are erased from the log (their commitments stay, so it still verifies), then
the case, its summary and its link keys are deleted."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.thesee.retention import RETENTION, purge_before
from rtc_gateway.ports.case_store import CaseStore
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog
from rtc_gateway.ports.text_erasure import TextEraser
from rtc_gateway.ports.thesee_store import TheseeStore
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.thesee.desk import TheseeRecord

log = logging.getLogger(__name__)
PURGE_INTERVAL_S = 6 * 3600.0
FIRST_PURGE_AFTER_S = 60.0
"""The first run waits for the gateway to have started (its stores open)."""


class Retention:
    def __init__(self, cases: CaseService, case_store: CaseStore, store: TheseeStore,
                 evidence: EvidenceLog, clock: Clock, retention: timedelta = RETENTION,
                 eraser: TextEraser | None = None) -> None:
        self._cases = cases
        self._case_store = case_store
        self._evidence = evidence
        self._store = store
        self._clock = clock
        self._retention = retention
        self._eraser = eraser
        self._task: asyncio.Task[None] | None = None

    async def purge_expired(self) -> list[str]:
        """Purge every case past its retention; the ids purged."""
        purged = []
        for case_id in await self._store.changed_before(purge_before(self._clock.now(),
                                                                     self._retention)):
            async with self._cases.lock(case_id):
                case = await self._case_store.get(case_id)
                if case is not None:
                    await self._evidence.append(EvidenceEntry(
                        conversation_id=case.id, kind=TheseeRecord.PURGED,
                        actor_role=Role.SYSTEM.value, actor_id="gateway",
                        at=self._clock.now(), data={
                            "reference": case.reference, "status": case.status.value,
                            "retention_days": self._retention.days}))
                    if self._eraser is not None:
                        await self._eraser.erase_text_of(case.id)
                    await self._case_store.delete(case_id)
                await self._store.remove(case_id)
                purged.append(case_id)
        return purged

    def start(self, interval_s: float = PURGE_INTERVAL_S) -> None:
        self._task = asyncio.create_task(self._run(interval_s), name="thesee-retention")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, interval_s: float) -> None:
        await asyncio.sleep(FIRST_PURGE_AFTER_S)
        while True:
            try:
                purged = await self.purge_expired()
                if purged:
                    log.info("purged %d THESEE cases at the end of their retention",
                             len(purged))
            except Exception:
                log.exception("THESEE retention run failed")
            await asyncio.sleep(interval_s)
