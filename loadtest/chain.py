"""Check the durable reference relay's log (``loadtest/reference/journal.js``).

Each line is ``<hash> <prev> <record>``: ``record`` is a message's JSON, ``prev`` the hash
of the previous record of the same conversation (64 zeros for its first) and ``hash`` the
hex SHA-256 of ``prev``'s 32 bytes followed by ``record``'s bytes, exactly as written.
A conversation's records must also number ``seq`` 1, 2, 3... with no ``client_msg_id``
twice (it is null for an opening text sent without one): a reordered, removed, altered
or duplicated record is reported.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENESIS = bytes(32)
MAX_ERRORS = 20


@dataclass
class ChainHead:
    hash: bytes = GENESIS
    seq: int = 0
    client_msg_ids: set[str] = field(default_factory=set)


@dataclass
class ChainReport:
    records: int = 0
    conversations: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "conversations": self.conversations,
                "ok": self.ok, "errors": self.errors}


def _parse_line(line: bytes) -> tuple[bytes, bytes, bytes, dict[str, Any]]:
    fields = line.split(b" ", 2)
    if len(fields) != 3:
        raise ValueError("not three fields")
    claimed, prev = bytes.fromhex(fields[0].decode()), bytes.fromhex(fields[1].decode())
    if len(claimed) != 32 or len(prev) != 32:
        raise ValueError("hashes are not 32 bytes")
    record = json.loads(fields[2])
    if not isinstance(record, dict) or not isinstance(record.get("conversation_id"), str) \
            or not isinstance(record.get("seq"), int) \
            or not isinstance(record.get("client_msg_id", 0), str | None):
        raise ValueError("record lacks conversation_id, seq or client_msg_id")
    return claimed, prev, fields[2], record


def _check_record(heads: dict[str, ChainHead], line: bytes) -> str | None:
    """Advance the record's conversation head; return what is wrong with the line, if anything.

    The head moves to the line's own hash and seq even when the line is wrong, so one
    removed or altered record is reported once, not again at every later record.
    """
    try:
        claimed, prev, raw, record = _parse_line(line)
    except ValueError as error:
        return f"unreadable: {error}"
    conversation, seq, msg_id = record["conversation_id"], record["seq"], record["client_msg_id"]
    head = heads.setdefault(conversation, ChainHead())
    problem = None
    if prev != head.hash:
        problem = f"{conversation} seq {seq}: prev is not the last hash of the conversation"
    elif hashlib.sha256(prev + raw).digest() != claimed:
        problem = f"{conversation} seq {seq}: hash does not match the record"
    elif seq != head.seq + 1:
        problem = f"{conversation}: seq {seq} after {head.seq}"
    elif msg_id is not None and msg_id in head.client_msg_ids:
        problem = f"{conversation}: client_msg_id {msg_id!r} twice"
    head.hash, head.seq = claimed, seq
    if msg_id is not None:
        head.client_msg_ids.add(msg_id)
    return problem


def verify_chain(path: Path) -> ChainReport:
    """Read the whole log; the report lists at most MAX_ERRORS problems, by line number."""
    data = path.read_bytes()
    report = ChainReport()
    if data and not data.endswith(b"\n"):
        report.errors.append("the last record is cut short (no final newline)")
        data = data[:data.rfind(b"\n") + 1]
    heads: dict[str, ChainHead] = {}
    for number, line in enumerate(data[:-1].split(b"\n") if data else [], start=1):
        problem = _check_record(heads, line)
        if problem is None:
            report.records += 1
        elif len(report.errors) < MAX_ERRORS:
            report.errors.append(f"line {number}: {problem}")
    report.conversations = len(heads)
    return report


def check_journal(path: Path, result: dict[str, Any]) -> None:
    """Add the durable relay's chain check to ``result``; a broken chain fails the run."""
    report = verify_chain(path).as_dict()
    result["journal"] = report
    problems = list(report["errors"])
    if "acked" in result and report["records"] < result["acked"]:
        problems.append(f"{result['acked']} messages acked but {report['records']} in the log")
    if problems:
        failures, note = result.get("failures"), f"journal: {problems[:5]}"
        result["failures"] = [*failures, note] if isinstance(failures, list) else [note]
