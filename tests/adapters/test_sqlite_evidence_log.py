"""SqliteEvidenceLog on a real SQLite file: order, chains, group commit, restarts,
two writers, checkpoints, key rotation."""

import asyncio
import hashlib
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from rtc_gateway.adapters.sqlite.evidence_audit import audit_log
from rtc_gateway.adapters.sqlite.evidence_log import (
    EvidenceLogClosed,
    InvalidEntry,
    SqliteEvidenceLog,
)
from rtc_gateway.evidence.checkpoint import open_checkpoint
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.key_store import read_statements, rotate_key
from rtc_gateway.evidence.merkle import MerkleTree, leaf_hash
from rtc_gateway.evidence.records import parse_record
from rtc_gateway.ports.evidence_log import EvidenceEntry, LoggedRecord, RecordKind
from tests.evidence.support import ORIGIN, ManualClock, make_log

CLI = Path(__file__).parents[1] / "evidence" / "evidence_cli.py"


def message(cid: str, seq: int, clock: ManualClock, text: str = "bonjour") -> EvidenceEntry:
    clock.advance(timedelta(milliseconds=3))
    return EvidenceEntry(
        cid,
        RecordKind.MESSAGE,
        "citizen",
        f"cit-{cid}",
        clock.now(),
        seq=seq,
        client_msg_id=f"{cid}-{seq}",
        text=text,
    )


@pytest.fixture(params=["thread", "process"])
async def log(tmp_path: Path,
              request: pytest.FixtureRequest) -> "asyncio.AsyncGenerator[SqliteEvidenceLog, None]":
    opened = make_log(tmp_path, writer=request.param)
    await opened.start()
    yield opened
    await opened.close()


def keys_of(log: SqliteEvidenceLog) -> list:  # type: ignore[type-arg]
    return follow_chain(log.verifier_key(), log.rotation_statements())


async def test_call_order_is_log_order_and_chains_link(log: SqliteEvidenceLog) -> None:
    clock = ManualClock()
    futures = [log.append(message(f"c{i % 3}", i // 3 + 1, clock)) for i in range(30)]
    records: list[LoggedRecord] = list(await asyncio.gather(*futures))
    assert [r.index for r in records] == list(range(30))
    stored = await log.stored_records("c1")
    assert [s.conversation_index for s in stored] == list(range(1, 11))
    previous = None
    for s in stored:
        parsed = parse_record(s.record)
        assert parsed.prev == previous
        assert s.leaf_hash == leaf_hash(s.record)
        assert parsed.text_sha256 == hashlib.sha256(s.salt + b"bonjour").hexdigest()  # type: ignore[operator]
        previous = s.leaf_hash
    assert len({s.salt for s in stored}) == 10
    read_back = await log.conversation_records("c1")
    assert [(r.index, r.seq, r.text, r.at) for r in read_back] == [
        (r.index, r.seq, r.text, r.at) for r in records if r.conversation_id == "c1"
    ]
    assert [r.seq for r in await log.messages_after("c2", 7)] == [8, 9, 10]


async def test_group_commit_writes_concurrent_appends_in_few_transactions(
    log: SqliteEvidenceLog,
) -> None:
    clock = ManualClock()
    before = log.stats()
    appends = [log.append(message("c", i + 1, clock)) for i in range(2000)]
    assert log.stats()["waiting"] == 2000
    await asyncio.gather(*appends)
    after = log.stats()
    assert after["batches"] - before["batches"] <= 5
    assert after["records"] - before["records"] == 2000 and after["waiting"] == 0
    before_batches = log.batches_committed
    for i in range(5):
        await log.append(message("d", i + 1, clock))
    assert log.batches_committed - before_batches == 5


async def test_checkpoint_matches_the_leaves(log: SqliteEvidenceLog) -> None:
    clock = ManualClock()
    await asyncio.gather(*(log.append(message("c", i + 1, clock)) for i in range(37)))
    note = await log.checkpoint()
    checkpoint = open_checkpoint(note, keys_of(log))
    assert checkpoint.size == 37
    assert MerkleTree(await log.leaf_hashes(37)).root(37) == checkpoint.root
    latest = await log.latest_checkpoint()
    assert latest is not None and latest.note == note


async def test_a_closing_conversation_signs_a_checkpoint(log: SqliteEvidenceLog) -> None:
    clock = ManualClock()
    log.append(EvidenceEntry("c", RecordKind.CONVERSATION_OPENED, "citizen", "x", clock.now()))
    log.append(EvidenceEntry("d", RecordKind.CONVERSATION_OPENED, "citizen", "y", clock.now()))
    closed = await log.append(EvidenceEntry("c", RecordKind.CLOSED, "agent", "a", clock.now()))
    latest = await log.latest_checkpoint()
    assert latest is not None and latest.size == closed.index + 1
    assert await log.open_conversation_ids() == ["d"]


async def test_periodic_checkpoints_while_the_log_grows(tmp_path: Path) -> None:
    log = make_log(tmp_path, interval=0.05)
    await log.start()
    try:
        clock = ManualClock()
        await log.append(message("c", 1, clock))
        for _ in range(100):
            latest = await log.latest_checkpoint()
            if latest is not None:
                break
            await asyncio.sleep(0.02)
        assert latest is not None and latest.size == 1
    finally:
        await log.close()


async def test_an_entry_without_canonical_form_fails_alone(log: SqliteEvidenceLog) -> None:
    clock = ManualClock()
    good = log.append(message("c", 1, clock))
    bad = log.append(message("c", 2, clock, text="\ud800"))
    worse = log.append(
        EvidenceEntry("c", "x", "system", "s", clock.now(), data={"v": float("nan")})
    )
    after = log.append(message("c", 2, clock))
    assert (await good).conversation_index == 1
    with pytest.raises(InvalidEntry):
        await bad
    with pytest.raises(InvalidEntry):
        await worse
    assert (await after).conversation_index == 2


async def test_a_message_after_one_that_failed_is_refused_until_numbered_again(
        log: SqliteEvidenceLog) -> None:
    clock = ManualClock()
    assert (await log.append(message("c", 1, clock))).seq == 1
    queued = [log.append(message("c", 2, clock, text="brisé \ud800")),
              log.append(message("c", 3, clock)), log.append(message("other", 1, clock))]
    outcomes = await asyncio.gather(*queued, return_exceptions=True)
    assert isinstance(outcomes[0], InvalidEntry)
    assert isinstance(outcomes[1], InvalidEntry) and "out of sequence" in str(outcomes[1])
    assert isinstance(outcomes[2], LoggedRecord), "other conversations are not affected"
    assert (await log.append(message("c", 2, clock))).seq == 2
    assert [r.seq for r in await log.messages_after("c", 0)] == [1, 2]


async def test_restart_continues_the_log_and_close_flushes(tmp_path: Path) -> None:
    clock = ManualClock()
    first = make_log(tmp_path, clock)
    await first.start()
    pending = [first.append(message("c", i + 1, clock)) for i in range(10)]
    await first.close()
    assert all(f.done() and not f.exception() for f in pending)
    with pytest.raises(EvidenceLogClosed):
        first.append(message("c", 11, clock))
    second = make_log(tmp_path, clock)
    await second.start()
    record = await second.append(message("c", 11, clock))
    assert (record.index, record.conversation_index) == (10, 11)
    stored = await second.stored_records("c")
    assert parse_record(stored[-1].record).prev == stored[-2].leaf_hash
    await second.close()
    report = audit_log(EvidencePaths.of(tmp_path).db, keys_of_path(tmp_path))
    assert report.records == 11


def keys_of_path(data_dir: Path) -> list:  # type: ignore[type-arg]
    from rtc_gateway.evidence.signed_note import VerifierKey
    from rtc_gateway.security.keys import load_private_key

    key_path = EvidencePaths.of(data_dir).key
    current = VerifierKey.of(ORIGIN, load_private_key(key_path))
    return follow_chain(current, read_statements(key_path, current))


async def test_two_writers_on_one_database_keep_one_log(tmp_path: Path) -> None:
    clock = ManualClock()
    a, b = make_log(tmp_path, clock), make_log(tmp_path, clock)
    await a.start()
    await b.start()
    seq = 0
    own = {id(a): 0, id(b): 0}
    for round_ in range(20):
        writer = a if round_ % 2 else b
        batch = []
        for _ in range(round_ % 4 + 1):
            seq += 1
            batch.append(writer.append(message("shared", seq, clock)))
        other = b if writer is a else a
        own[id(other)] += 1
        batch.append(other.append(message(f"own-{id(other)}", own[id(other)], clock)))
        await asyncio.gather(*batch)
    await a.checkpoint()
    await b.checkpoint()
    await a.close()
    await b.close()
    report = audit_log(EvidencePaths.of(tmp_path).db, keys_of_path(tmp_path))
    assert report.records == seq + 20


async def test_an_export_from_another_process_while_serving(tmp_path: Path) -> None:
    clock = ManualClock()
    server = make_log(tmp_path, clock)
    await server.start()
    await asyncio.gather(*(server.append(message("c", i + 1, clock)) for i in range(50)))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLI),
        "export",
        "--data-dir",
        str(tmp_path),
        "--conversation",
        "c",
        "--out",
        str(tmp_path / "c.zip"),
        "--reason",
        "PV-1",
        "--actor",
        "op-1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    appended = [server.append(message("c", 51 + i, clock)) for i in range(50)]
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    more = await asyncio.gather(*appended)
    more.append(await server.append(message("c", 101, clock)))
    await server.close()
    records = await _records_after_close(tmp_path)
    kinds = [parse_record(r).kind for r in records]
    assert kinds.count("export") == 1
    assert kinds.count("message") == 101
    report = audit_log(EvidencePaths.of(tmp_path).db, keys_of_path(tmp_path))
    assert report.records == 102


async def _records_after_close(data_dir: Path) -> list[bytes]:
    con = sqlite3.connect(EvidencePaths.of(data_dir).db)
    try:
        return [bytes(r[0]) for r in con.execute("SELECT record FROM records ORDER BY idx")]
    finally:
        con.close()


async def test_key_rotation_while_running(tmp_path: Path) -> None:
    clock = ManualClock()
    log = make_log(tmp_path, clock)
    await log.start()
    await log.append(message("c", 1, clock))
    before = open_checkpoint(await log.checkpoint(), keys_of(log))
    old_key = log.verifier_key()
    await asyncio.sleep(0.01)
    new_key = rotate_key(EvidencePaths.of(tmp_path).key, ORIGIN, clock.now())
    await log.append(message("c", 2, clock))
    note = await log.checkpoint()
    assert log.verifier_key() == new_key
    assert open_checkpoint(note, [new_key]).size == before.size + 1
    assert keys_of(log) == [old_key, new_key]
    await log.close()


async def test_the_log_refuses_another_origin(tmp_path: Path) -> None:
    log = make_log(tmp_path)
    await log.start()
    await log.close()
    paths = EvidencePaths.of(tmp_path)
    other = SqliteEvidenceLog(paths.db, paths.key, "another/origin", ManualClock(), 0)
    with pytest.raises(ValueError, match="origin"):
        await other.start()


async def test_proofs_from_stored_subtrees_match_the_full_tree(tmp_path: Path) -> None:
    clock = ManualClock()
    log = make_log(tmp_path, clock)
    await log.start()
    for round_ in range(3):  # several transactions, sizes across 256 and 512 boundaries
        await asyncio.gather(
            *(log.append(message(f"c{n % 7}", n // 7 + 1, clock))
              for n in range(round_ * 200, round_ * 200 + 200))
        )
    size = 600
    tree = MerkleTree(await log.leaf_hashes(size))
    for at_size in (1, 255, 256, 257, 511, 512, 513, 600):
        assert await log.root_at(at_size) == tree.root(at_size)
    indexes = [0, 1, 255, 256, 300, 511, 512, 599]
    assert await log.inclusion_proofs(indexes, size) == [
        tree.inclusion_proof(i, size) for i in indexes
    ]
    olds = [1, 7, 256, 300, 512, 600]
    assert await log.consistency_proofs(olds, size) == [
        tree.consistency_proof(m, size) for m in olds
    ]
    await log.close()
    con = sqlite3.connect(EvidencePaths.of(tmp_path).db)
    try:
        heights = con.execute("SELECT height, count(*) FROM nodes GROUP BY height").fetchall()
        assert heights == [(8, 2)]
        # without the stored roots (a log from before they existed) proofs still hold
        con.execute("DELETE FROM nodes")
        con.commit()
    finally:
        con.close()
    again = make_log(tmp_path, clock)
    await again.start()
    assert await again.inclusion_proofs(indexes, size) == [
        tree.inclusion_proof(i, size) for i in indexes
    ]
    await again.close()


async def test_a_backlog_over_the_limit_is_reported_until_it_drains(
        log: SqliteEvidenceLog) -> None:
    clock = ManualClock()
    changes: list[bool] = []
    log.watch_backlog(8, changes.append)
    first = [log.append(message("c1", seq, clock)) for seq in range(1, 9)]
    assert changes == [], "eight waiting is not over a limit of eight"
    more = [log.append(message("c1", seq, clock)) for seq in range(9, 13)]
    assert changes == [True], "reported once, however many more come"
    await asyncio.gather(*first, *more)
    assert changes == [True, False], "reported again once no more than six wait"
    await log.append(message("c1", 13, clock))
    assert changes == [True, False]
