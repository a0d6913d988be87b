"""Files attached to a case by its citizen or by staff in charge of it.

An upload is checked against the case before a byte is read (``check``), streamed aside
under the size cap (``receive``), then recognised by its content, stripped of metadata
when asked, kept under its SHA-256 and recorded on the case's evidence chain
(``attach``). Only those who may read the case list and download its files.
"""

import asyncio
import functools
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path

from rtc_gateway.domain.attachments import UnsupportedType, sniff
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import AttachmentMeta, Case
from rtc_gateway.domain.errors import Conflict, NotFound
from rtc_gateway.ports.blob_store import BlobStore, StagedBlob
from rtc_gateway.ports.clock import Clock
from rtc_gateway.services.cases.attachment_content import CheckedContent, check_content
from rtc_gateway.services.cases.cases import Caller, CaseService

DECODES_AT_ONCE = 2
"""Image decodes running together (each holds a whole bitmap in memory)."""


@dataclass(frozen=True, slots=True)
class AttachmentPolicy:
    max_bytes: int
    max_per_case: int
    max_pixels: int


async def _once(data: bytes) -> AsyncIterable[bytes]:
    yield data


class AttachmentService:
    def __init__(self, cases: CaseService, blobs: BlobStore, clock: Clock,
                 policy: AttachmentPolicy) -> None:
        self._cases = cases
        self._blobs = blobs
        self._clock = clock
        self.policy = policy
        self._decodes = asyncio.Semaphore(DECODES_AT_ONCE)

    async def check(self, caller: Caller, case_id: str) -> Case:
        """404 for a case the caller may not see, 409 for one that takes no more files."""
        case = await self._cases.get(caller, case_id)
        if case.is_final:
            raise Conflict(f"the case is {case.status.value}")
        if len(case.attachments) >= self.policy.max_per_case:
            raise Conflict(f"a case holds at most {self.policy.max_per_case} attachments")
        return case

    async def receive(self, chunks: AsyncIterable[bytes]) -> StagedBlob:
        return await self._blobs.stage(chunks, self.policy.max_bytes)

    async def discard(self, staged: StagedBlob) -> None:
        await self._blobs.discard(staged)

    async def attach(self, caller: Caller, case_id: str, staged: StagedBlob,
                     strip_metadata: bool) -> tuple[Case, AttachmentMeta]:
        """Check, keep and record ``staged`` (which is consumed either way)."""
        kept = staged
        try:
            content_type = sniff(staged.head)
            if content_type is None:
                raise UnsupportedType("only JPEG, PNG and PDF files are accepted "
                                      "(recognised by their content)")
            checked = await self._checked(staged, content_type, strip_metadata)
            if checked.stripped is not None:
                kept = await self._blobs.stage(_once(checked.stripped),
                                               2 * self.policy.max_bytes)
            meta = AttachmentMeta(sha256=kept.sha256, content_type=content_type,
                                  size=kept.size, author_role=_role(caller),
                                  at=self._clock.now(),
                                  metadata_stripped=checked.stripped is not None)
            await self._blobs.commit(kept)
            case = await self._cases.attach(caller, case_id, meta, self.policy.max_per_case,
                                            original_sha256=staged.sha256)
            return case, meta
        finally:
            await self._blobs.discard(staged)
            if kept is not staged:
                await self._blobs.discard(kept)

    async def listed(self, caller: Caller, case_id: str) -> tuple[AttachmentMeta, ...]:
        return (await self._cases.get(caller, case_id)).attachments

    async def file(self, caller: Caller, case_id: str,
                   sha256: str) -> tuple[AttachmentMeta, Path]:
        case = await self._cases.get(caller, case_id)
        meta = next((a for a in case.attachments if a.sha256 == sha256), None)
        path = self._blobs.path_of(sha256) if meta is not None else None
        if meta is None or path is None:
            raise NotFound("no such attachment")
        return meta, path

    async def _checked(self, staged: StagedBlob, content_type: str,
                       strip: bool) -> CheckedContent:
        check = functools.partial(check_content, content_type=content_type, strip=strip,
                                  max_pixels=self.policy.max_pixels)
        async with self._decodes:
            return await self._blobs.inspect(staged, check)


def _role(caller: Caller) -> str:
    return "citizen" if isinstance(caller, CitizenCaller) else caller.role.value
