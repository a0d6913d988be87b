"""Audit of a whole SQLite evidence log: recompute every hash, chain and checkpoint.

Used after a crash and by tests; reads the database only.
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from rtc_gateway.evidence.checkpoint import open_checkpoint
from rtc_gateway.evidence.merkle import Frontier, leaf_hash
from rtc_gateway.evidence.records import parse_record, text_commitment
from rtc_gateway.evidence.signed_note import NoteError, VerifierKey


class AuditFault(Exception):
    """The first inconsistency found in the log."""


@dataclass(frozen=True, slots=True)
class AuditReport:
    records: int
    conversations: int
    checkpoints: int
    erased_texts: int


def audit_log(db_path: Path, keys: list[VerifierKey]) -> AuditReport:
    """Raise :class:`AuditFault` at the first fault; ``keys`` may sign checkpoints."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30.0)
    try:
        con.execute("BEGIN")
        return _audit(con, keys)
    finally:
        con.close()


def _audit(con: sqlite3.Connection, keys: list[VerifierKey]) -> AuditReport:
    checkpoints = con.execute("SELECT size, root, note FROM checkpoints ORDER BY size").fetchall()
    roots_wanted: dict[int, bytes] = {}
    for size, root, _ in checkpoints:
        if roots_wanted.setdefault(int(size), bytes(root)) != bytes(root):
            raise AuditFault(f"two checkpoints of {size} records have different roots")
    frontier = Frontier()
    tails: dict[str, tuple[int, bytes]] = {}
    seqs: dict[str, int] = {}
    erased = 0
    completed: list[tuple[int, int, bytes]] = []
    _check_root(frontier, roots_wanted)
    rows = con.execute(
        "SELECT idx, conversation_id, conversation_index, seq, record, leaf_hash, text, salt"
        " FROM records ORDER BY idx"
    )
    for idx, cid, ci, seq, blob, stored_leaf, text, salt in rows:
        if idx != frontier.size:
            raise AuditFault(f"log index {frontier.size} is missing (next is {idx})")
        leaf = leaf_hash(bytes(blob))
        if leaf != bytes(stored_leaf):
            raise AuditFault(f"record {idx}: stored leaf hash does not match its bytes")
        try:
            record = parse_record(bytes(blob))
        except ValueError as error:
            raise AuditFault(f"record {idx}: {error}") from error
        last_index, last_leaf = tails.get(cid, (0, None))
        if record.conversation_id != cid or record.conversation_index != ci or ci != last_index + 1:
            raise AuditFault(f"record {idx}: conversation index {ci} after {last_index}")
        if record.prev != last_leaf:
            raise AuditFault(f"record {idx}: chain of conversation {cid} broken")
        if record.kind == "message":
            if seq != seqs.get(cid, 0) + 1 or record.seq != seq:
                raise AuditFault(f"record {idx}: message seq {seq} after {seqs.get(cid, 0)}")
            seqs[cid] = seq
        if text is None:
            erased += record.text_sha256 is not None
        elif salt is None or text_commitment(bytes(salt), text) != record.text_sha256:
            raise AuditFault(f"record {idx}: text does not match its commitment")
        tails[cid] = (ci, leaf)
        frontier.append(leaf, completed)
        _check_root(frontier, roots_wanted)
    stored_nodes = con.execute("SELECT height, idx, hash FROM nodes ORDER BY height, idx")
    if sorted((h, i, bytes(v)) for h, i, v in stored_nodes) != sorted(completed):
        raise AuditFault("the stored subtree roots do not match the records")
    (stored_frontier,) = con.execute("SELECT frontier FROM tree WHERE id = 1").fetchone()
    if bytes(stored_frontier) != frontier.to_bytes():
        raise AuditFault("the stored tree frontier does not match the records")
    for size, _, note in checkpoints:
        if size > frontier.size:
            raise AuditFault(f"a checkpoint of {size} records is beyond the log's end")
        try:
            open_checkpoint(note, keys)
        except NoteError as error:
            raise AuditFault(f"checkpoint of {size} records: {error}") from error
    return AuditReport(frontier.size, len(tails), len(checkpoints), erased)


def _check_root(frontier: Frontier, wanted: dict[int, bytes]) -> None:
    expected = wanted.get(frontier.size)
    if expected is not None and expected != frontier.root():
        raise AuditFault(f"checkpoint of {frontier.size} records has another root than the log")
