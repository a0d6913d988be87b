"""An in-memory stand-in for the evidence log port (the SQLite one is not in the tree yet)."""

from collections.abc import Sequence

from rtc_gateway.ports.evidence_log import EvidenceEntry, LoggedRecord


class MemoryEvidenceLog:
    def __init__(self) -> None:
        self.records: list[LoggedRecord] = []

    async def append(self, entry: EvidenceEntry) -> LoggedRecord:
        chain = [r for r in self.records if r.conversation_id == entry.conversation_id]
        record = LoggedRecord(
            index=len(self.records),
            conversation_id=entry.conversation_id,
            conversation_index=len(chain) + 1,
            kind=entry.kind,
            actor_role=entry.actor_role,
            actor_id=entry.actor_id,
            at=entry.at,
            seq=entry.seq,
            client_msg_id=entry.client_msg_id,
            text=entry.text,
            data=dict(entry.data),
            leaf_hash=b"",
        )
        self.records.append(record)
        return record

    async def conversation_records(
        self, conversation_id: str, kinds: Sequence[str] | None = None
    ) -> list[LoggedRecord]:
        return [
            r
            for r in self.records
            if r.conversation_id == conversation_id and (kinds is None or r.kind in kinds)
        ]

    async def messages_after(self, conversation_id: str, after_seq: int) -> list[LoggedRecord]:
        return []

    async def open_conversation_ids(self) -> list[str]:
        return []

    async def checkpoint(self) -> str:
        return ""

    async def close(self) -> None:
        return None
