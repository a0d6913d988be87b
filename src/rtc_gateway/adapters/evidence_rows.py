"""Reading a stored record back as the services see it: what every log adapter shares."""

import json
from typing import Any

from rtc_gateway.domain.timestamps import parse_utc
from rtc_gateway.ports.evidence_log import LoggedRecord

RECORD_COLUMNS = "idx, conversation_id, conversation_index, kind, seq, record, leaf_hash, text"
"""The columns :func:`logged_record` reads, in its order."""


def logged_record(row: tuple[Any, ...] | Any) -> LoggedRecord:
    """A row of :data:`RECORD_COLUMNS` as a :class:`LoggedRecord`."""
    index, cid, conversation_index, kind, seq, blob, leaf, text = row
    record = json.loads(bytes(blob))
    actor = record["actor"]
    return LoggedRecord(
        index=index,
        conversation_id=cid,
        conversation_index=conversation_index,
        kind=kind,
        actor_role=actor["role"],
        actor_id=actor["id"],
        at=parse_utc(record["at"]),
        seq=seq,
        client_msg_id=record["client_msg_id"],
        text=text,
        data=record["data"],
        leaf_hash=bytes(leaf),
    )
