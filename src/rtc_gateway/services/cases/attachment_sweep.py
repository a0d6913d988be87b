"""The sweep of attachment files no case references any more.

A file stays in the blob store when the case it was committed for refused it in between
(the case became final, or full), and when the pre-complaint holding it was purged. Files
are kept by content, so one file may belong to several cases: a file is deleted only
when no case in the store lists it and it was last committed longer than the grace ago
(an upload commits its file a moment before the case lists it). The purge job
(``services/cases/purge.py``) runs the sweep after each purge.
"""

import logging
from datetime import timedelta

from rtc_gateway.domain.cases import CaseKind
from rtc_gateway.ports.blob_store import BlobStore
from rtc_gateway.ports.case_store import CaseStore
from rtc_gateway.ports.clock import Clock

log = logging.getLogger(__name__)


class AttachmentSweep:
    def __init__(self, cases: CaseStore, blobs: BlobStore, clock: Clock,
                 grace_s: float) -> None:
        self._cases = cases
        self._blobs = blobs
        self._clock = clock
        self._grace = timedelta(seconds=grace_s)

    async def run(self) -> list[str]:
        """Delete the unreferenced files older than the grace; their hashes."""
        cutoff = self._clock.now() - self._grace
        old = [blob.sha256 for blob in await self._blobs.kept() if blob.committed_at < cutoff]
        if not old:
            return []
        referenced = await self._referenced()  # read after the listing: see the docstring
        swept = [sha256 for sha256 in old if sha256 not in referenced
                 and await self._blobs.delete_unless_since(sha256, cutoff)]
        if swept:
            log.info("unreferenced attachment files deleted",
                     extra={"count": len(swept), "grace_s": self._grace.total_seconds()})
        return swept

    async def _referenced(self) -> set[str]:
        found: set[str] = set()
        for kind in CaseKind:
            for case in await self._cases.of_kind(kind):
                found.update(attachment.sha256 for attachment in case.attachments)
        return found
