"""PostgresEvidenceLog on a real PostgreSQL server: the same records, chains, group commit,
checkpoints and proofs as on SQLite, and one log for several nodes."""

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from rtc_gateway.adapters.evidence_batch import (
    EvidenceLogClosed,
    InvalidEntry,
    StorageUnavailable,
)
from rtc_gateway.adapters.postgres.evidence_log import PostgresEvidenceLog, SigningKeyMismatch
from rtc_gateway.adapters.postgres.schema import MIGRATIONS, SchemaTooNew, migrate
from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.evidence.checkpoint import open_checkpoint
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.merkle import MerkleTree, leaf_hash, verify_consistency
from rtc_gateway.evidence.records import parse_record
from rtc_gateway.ports.evidence_log import EvidenceEntry, LoggedRecord, RecordKind
from tests.adapters.test_sqlite_evidence_log import message
from tests.evidence.support import ORIGIN, ManualClock
from tests.support.services import postgres_cluster


def make_pg_log(dsn: str, key_dir: Path, clock: ManualClock | None = None,
                interval: float = 0, node: str = "node-a") -> PostgresEvidenceLog:
    return PostgresEvidenceLog(dsn, key_dir / "log-signing.key", ORIGIN, clock or ManualClock(),
                               interval, node_id=node)


@pytest.fixture
async def log(fresh_database: str, tmp_path: Path) -> AsyncIterator[PostgresEvidenceLog]:
    opened = make_pg_log(fresh_database, tmp_path)
    await opened.start()
    yield opened
    await opened.close()


def keys_of(log: PostgresEvidenceLog) -> list:  # type: ignore[type-arg]
    return follow_chain(log.verifier_key(), log.rotation_statements())


async def test_call_order_is_log_order_and_chains_link(log: PostgresEvidenceLog) -> None:
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
        assert s.salt is not None
        assert parsed.text_sha256 == hashlib.sha256(s.salt + b"bonjour").hexdigest()
        previous = s.leaf_hash
    read_back = await log.conversation_records("c1")
    assert [(r.index, r.seq, r.text, r.at) for r in read_back] == [
        (r.index, r.seq, r.text, r.at) for r in records if r.conversation_id == "c1"
    ]
    assert [r.seq for r in await log.messages_after("c2", 7)] == [8, 9, 10]


async def test_the_same_entries_make_the_same_records_as_on_sqlite(
        log: PostgresEvidenceLog, tmp_path: Path) -> None:
    """Salts are random, so compare what does not depend on them: every member but the
    text commitment, and the chain structure."""
    clock_a, clock_b = ManualClock(), ManualClock()
    sqlite_log = SqliteEvidenceLog(tmp_path / "evidence.db", tmp_path / "sqlite.key", ORIGIN,
                                   clock_b, 0)
    await sqlite_log.start()
    try:
        for n in range(12):
            await asyncio.gather(log.append(message(f"c{n % 2}", n // 2 + 1, clock_a)),
                                 sqlite_log.append(message(f"c{n % 2}", n // 2 + 1, clock_b)))
        for cid in ("c0", "c1"):
            ours = [parse_record(s.record) for s in await log.stored_records(cid)]
            theirs = [parse_record(s.record) for s in await sqlite_log.stored_records(cid)]
            assert [(p.conversation_index, p.seq, p.at, p.kind, p.client_msg_id) for p in ours] \
                == [(p.conversation_index, p.seq, p.at, p.kind, p.client_msg_id) for p in theirs]
    finally:
        await sqlite_log.close()


async def test_group_commit_writes_concurrent_appends_in_few_transactions(
        log: PostgresEvidenceLog) -> None:
    clock = ManualClock()
    before = log.stats()
    appends = [log.append(message("c", i + 1, clock)) for i in range(2000)]
    assert log.stats()["waiting"] == 2000
    await asyncio.gather(*appends)
    after = log.stats()
    assert after["batches"] - before["batches"] <= 5
    assert after["records"] - before["records"] == 2000 and after["waiting"] == 0


async def test_checkpoint_matches_the_leaves(log: PostgresEvidenceLog) -> None:
    clock = ManualClock()
    await asyncio.gather(*(log.append(message("c", i + 1, clock)) for i in range(37)))
    note = await log.checkpoint()
    checkpoint = open_checkpoint(note, keys_of(log))
    assert checkpoint.size == 37
    assert MerkleTree(await log.leaf_hashes(37)).root(37) == checkpoint.root
    latest = await log.latest_checkpoint()
    assert latest is not None and latest.note == note


async def test_a_closing_conversation_signs_a_checkpoint(log: PostgresEvidenceLog) -> None:
    clock = ManualClock()
    log.append(EvidenceEntry("c", RecordKind.CONVERSATION_OPENED, "citizen", "x", clock.now()))
    log.append(EvidenceEntry("d", RecordKind.CONVERSATION_OPENED, "citizen", "y", clock.now()))
    closed = await log.append(EvidenceEntry("c", RecordKind.CLOSED, "agent", "a", clock.now()))
    latest = await log.latest_checkpoint()
    assert latest is not None and latest.size == closed.index + 1
    assert await log.open_conversation_ids() == ["d"]


async def test_an_entry_without_canonical_form_fails_alone(log: PostgresEvidenceLog) -> None:
    clock = ManualClock()
    good = log.append(message("c", 1, clock))
    bad = log.append(message("c", 2, clock, text="\ud800"))
    after = log.append(message("c", 2, clock))
    assert (await good).conversation_index == 1
    with pytest.raises(InvalidEntry):
        await bad
    assert (await after).conversation_index == 2


async def test_a_message_out_of_sequence_is_refused(log: PostgresEvidenceLog) -> None:
    clock = ManualClock()
    assert (await log.append(message("c", 1, clock))).seq == 1
    with pytest.raises(InvalidEntry, match="out of sequence"):
        await log.append(message("c", 3, clock))
    assert (await log.append(message("c", 2, clock))).seq == 2


async def test_restart_continues_the_log_and_close_flushes(
        fresh_database: str, tmp_path: Path) -> None:
    clock = ManualClock()
    first = make_pg_log(fresh_database, tmp_path, clock)
    await first.start()
    pending = [first.append(message("c", i + 1, clock)) for i in range(10)]
    await first.close()
    assert all(f.done() and not f.exception() for f in pending)
    with pytest.raises(EvidenceLogClosed):
        first.append(message("c", 11, clock))
    second = make_pg_log(fresh_database, tmp_path, clock)
    await second.start()
    record = await second.append(message("c", 11, clock))
    assert (record.index, record.conversation_index) == (10, 11)
    stored = await second.stored_records("c")
    assert parse_record(stored[-1].record).prev == stored[-2].leaf_hash
    await second.close()


async def test_two_nodes_writing_one_conversation_keep_one_chain_and_order(
        fresh_database: str, tmp_path: Path) -> None:
    """A citizen on one node and its officer on another: one chain, one global order."""
    clock = ManualClock()
    a = make_pg_log(fresh_database, tmp_path, clock, node="node-a")
    b = make_pg_log(fresh_database, tmp_path, clock, node="node-b")
    await asyncio.gather(a.start(), b.start())
    try:
        for seq in range(1, 41):
            writer = a if seq % 2 else b
            await writer.append(message("shared", seq, clock))
        together = [a.append(message(f"own-a{i}", 1, clock)) for i in range(50)] + \
                   [b.append(message(f"own-b{i}", 1, clock)) for i in range(50)]
        records = await asyncio.gather(*together)
        assert sorted(r.index for r in records) == list(range(40, 140))
        stored = await a.stored_records("shared")
        assert [parse_record(s.record).seq for s in stored] == list(range(1, 41))
        for before, after in itertools.pairwise(stored):
            assert parse_record(after.record).prev == before.leaf_hash
        tree = MerkleTree(await b.leaf_hashes(140))
        assert await a.root_at(140) == tree.root(140)
        with pytest.raises(InvalidEntry, match="out of sequence"):
            await b.append(message("shared", 40, clock))  # a stale number from another node
    finally:
        await asyncio.gather(a.close(), b.close())


async def test_proofs_from_stored_subtrees_match_the_full_tree(log: PostgresEvidenceLog) -> None:
    clock = ManualClock()
    for round_ in range(3):  # several transactions, sizes across 256 and 512 boundaries
        await asyncio.gather(*(log.append(message(f"c{n % 7}", n // 7 + 1, clock))
                               for n in range(round_ * 200, round_ * 200 + 200)))
    size = 600
    tree = MerkleTree(await log.leaf_hashes(size))
    for at_size in (1, 255, 256, 257, 511, 512, 513, 600):
        assert await log.root_at(at_size) == tree.root(at_size)
    indexes = [0, 1, 255, 256, 300, 511, 512, 599]
    assert await log.inclusion_proofs(indexes, size) == [
        tree.inclusion_proof(i, size) for i in indexes]
    olds = [1, 7, 256, 300, 512, 600]
    assert await log.consistency_proofs(olds, size) == [
        tree.consistency_proof(m, size) for m in olds]


async def test_periodic_signing_moves_to_another_node_when_its_holder_goes(
        fresh_database: str, tmp_path: Path) -> None:
    clock = ManualClock()
    a = make_pg_log(fresh_database, tmp_path, clock, interval=0.2, node="node-a")
    b = make_pg_log(fresh_database, tmp_path, clock, interval=0.2, node="node-b")
    await a.start()
    await b.start()
    try:
        for _ in range(50):
            await asyncio.sleep(0.1)
            if a.leader or b.leader:
                break
        assert a.leader != b.leader, "exactly one node signs periodically"
        holder, other = (a, b) if a.leader else (b, a)
        await other.append(message("c", 1, clock))
        await holder.close()  # its session ends: the advisory lock is free
        first = await other.latest_checkpoint()  # the holder's last one, on closing
        for _ in range(50):
            await asyncio.sleep(0.1)
            if other.leader:
                break
        assert other.leader, "the role moved within seconds"
        await other.append(message("c", 2, clock))
        await other.append(message("c", 3, clock))
        for _ in range(50):
            latest = await other.latest_checkpoint()
            if latest is not None and latest.size == 3:
                break
            clock.advance(timedelta(seconds=1))  # the signing interval passes
            await asyncio.sleep(0.1)
        assert latest is not None and latest.size == 3
        assert first is not None
        proof = (await other.consistency_proofs([first.size], 3))[0]
        verify_consistency(first.size, 3, first.root, latest.root, proof)
    finally:
        await a.close()
        await b.close()


async def test_appends_fail_while_postgres_is_down_and_resume_after(tmp_path: Path) -> None:
    clock = ManualClock()
    with postgres_cluster() as cluster:
        log = make_pg_log(cluster.url, tmp_path, clock)
        await log.start()
        try:
            await log.append(message("c", 1, clock))
            cluster.stop()
            with pytest.raises(StorageUnavailable):
                await log.append(message("c", 2, clock))
            cluster.start()
            record = await eventually_appended(log, message("c", 2, clock))
            assert record.seq == 2 and record.conversation_index == 2
            assert [r.seq for r in await log.messages_after("c", 0)] == [1, 2]
        finally:
            await log.close()


async def eventually_appended(log: PostgresEvidenceLog, entry: EvidenceEntry) -> LoggedRecord:
    """What a client does after ``unavailable``: send the same message again, a little later."""
    for _ in range(50):
        try:
            return await log.append(entry)
        except StorageUnavailable:
            await asyncio.sleep(0.1)
    raise AssertionError("the log did not recover within 5 s")


async def test_migrations_run_once_from_many_nodes_and_a_newer_schema_is_refused(
        fresh_database: str) -> None:
    connections = [await asyncpg.connect(fresh_database) for _ in range(4)]
    try:
        versions = await asyncio.gather(*(migrate(c) for c in connections))
        assert versions == [len(MIGRATIONS)] * 4
        applied = await connections[0].fetch("SELECT version FROM schema_migrations")
        assert [row[0] for row in applied] == list(range(1, len(MIGRATIONS) + 1))
        await connections[0].execute("INSERT INTO schema_migrations (version) VALUES (999)")
        with pytest.raises(SchemaTooNew):
            await migrate(connections[1])
    finally:
        for connection in connections:
            await connection.close()


async def test_a_node_with_another_signing_key_is_refused_before_it_signs(
        fresh_database: str, tmp_path: Path) -> None:
    first = make_pg_log(fresh_database, tmp_path / "a")
    await first.start()
    await first.append(message("c1", 1, ManualClock()))
    await first.close()
    stranger = make_pg_log(fresh_database, tmp_path / "b", node="node-b")
    with pytest.raises(SigningKeyMismatch, match="the same keys"):
        await stranger.start()
    with pytest.raises(EvidenceLogClosed):
        stranger.append(message("c1", 2, ManualClock()))
    same_keys = make_pg_log(fresh_database, tmp_path / "a", node="node-c")
    await same_keys.start()
    await same_keys.append(message("c1", 2, ManualClock()))
    await same_keys.close()
    connection = await asyncpg.connect(fresh_database)
    try:
        notes = [row[0] for row in await connection.fetch(
            "SELECT note FROM evidence_checkpoints ORDER BY id")]
    finally:
        await connection.close()
    keys = keys_of(same_keys)
    assert len(notes) == 2 and all(open_checkpoint(note, keys) for note in notes)
