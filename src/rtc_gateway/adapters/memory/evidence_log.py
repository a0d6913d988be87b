"""A non-durable evidence log for fast service tests: same port, records kept in a list."""

import asyncio
import hashlib
from collections.abc import Callable, Sequence

import msgspec

from rtc_gateway.ports.evidence_log import EvidenceEntry, LoggedRecord, RecordKind


class MemoryEvidenceLog:
    """Also the relay-alone baseline of the load tests, so its append stays cheap: the
    loop is looked up once (``get_running_loop`` is a system call on 3.11) and the
    stand-in leaf hash is the index's, not the entry's ``repr``."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self.records: list[LoggedRecord] = []
        self._chain_length: dict[str, int] = {}
        self._last_seq: dict[str, int] = {}
        self.fail_appends = False

    async def start(self) -> None:
        pass

    def stats(self) -> dict[str, int]:
        """Every append is its own batch, settled at once."""
        return {"batches": len(self.records), "records": len(self.records), "waiting": 0}

    def watch_backlog(self, limit: int, changed: Callable[[bool], None]) -> None:
        """Every append is settled at once: never a backlog."""

    def append(self, entry: EvidenceEntry) -> "asyncio.Future[LoggedRecord]":
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        future: asyncio.Future[LoggedRecord] = self._loop.create_future()
        if self.fail_appends:
            future.set_exception(OSError("evidence log unavailable"))
            return future
        if entry.kind == RecordKind.MESSAGE and entry.seq is not None:
            if entry.seq != self._last_seq.get(entry.conversation_id, 0) + 1:
                future.set_exception(ValueError("message out of sequence"))
                return future
            self._last_seq[entry.conversation_id] = entry.seq
        position = self._chain_length.get(entry.conversation_id, 0) + 1
        self._chain_length[entry.conversation_id] = position
        index = len(self.records)
        record = LoggedRecord.of(entry, index=index, conversation_index=position,
                                 at=entry.at, leaf_hash=hashlib.sha256(b"%d" % index).digest())
        self.records.append(record)
        future.set_result(record)
        return future

    async def erase_text_of(self, conversation_id: str) -> int:
        erased = 0
        for position, record in enumerate(self.records):
            if record.conversation_id == conversation_id and record.text is not None:
                self.records[position] = msgspec.structs.replace(record, text=None)
                erased += 1
        return erased

    async def conversation_records(self, conversation_id: str,
                                   kinds: Sequence[str] | None = None) -> list[LoggedRecord]:
        return [r for r in self.records
                if r.conversation_id == conversation_id and (kinds is None or r.kind in kinds)]

    async def messages_after(self, conversation_id: str, after_seq: int) -> list[LoggedRecord]:
        found = [r for r in self.records
                 if r.conversation_id == conversation_id and r.kind == RecordKind.MESSAGE
                 and r.seq is not None and r.seq > after_seq]
        return sorted(found, key=lambda r: r.seq or 0)

    async def open_conversation_ids(self) -> list[str]:
        opened = [r.conversation_id for r in self.records
                  if r.kind == RecordKind.CONVERSATION_OPENED]
        closed = {r.conversation_id for r in self.records if r.kind == RecordKind.CLOSED}
        return [c for c in opened if c not in closed]

    async def checkpoint(self) -> str:
        return f"memory\n{len(self.records)}\n"

    async def close(self) -> None:
        pass
