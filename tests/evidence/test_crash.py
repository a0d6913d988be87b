"""kill -9 at random moments under load: every acknowledged record survives and the
log still verifies (hashes, chains, seq continuity, frontier, signed checkpoints)."""

import asyncio
import random
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from rtc_gateway.adapters.sqlite.evidence_audit import audit_log
from rtc_gateway.evidence.bundle import export_conversation
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.key_store import read_statements
from rtc_gateway.evidence.signed_note import VerifierKey
from rtc_gateway.evidence.verify import verify_bundle
from rtc_gateway.security.keys import load_private_key

from .support import ORIGIN, make_log

WRITER = Path(__file__).with_name("crash_writer.py")
ROUNDS = 4


async def _run_and_kill(data_dir: Path, rnd: random.Random,
                        writer: str) -> list[tuple[int, str, int]]:
    """Start the writer, let it acknowledge records for a random while, SIGKILL it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WRITER),
        str(data_dir),
        "30",
        writer,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    acked: list[tuple[int, str, int]] = []
    ready = await asyncio.wait_for(process.stdout.readline(), 30)
    assert ready == b"ready\n", (await process.stderr.read()).decode()  # type: ignore[union-attr]

    async def read_acks() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            index, cid, seq = line.split()
            acked.append((int(index), cid.decode(), int(seq)))

    reader = asyncio.create_task(read_acks())
    for _ in range(3000):  # the kill must land under load, after acknowledgements began
        if acked or reader.done():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(rnd.uniform(0.05, 0.5))
    process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.wait(), 30)
    await asyncio.wait_for(reader, 30)
    assert process.returncode == -signal.SIGKILL
    return acked


def _stored(db: Path) -> dict[int, tuple[str, int]]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT idx, conversation_id, seq FROM records").fetchall()
    finally:
        con.close()
    return {idx: (cid, seq) for idx, cid, seq in rows}


def _keys(data_dir: Path) -> list[VerifierKey]:
    key_path = EvidencePaths.of(data_dir).key
    current = VerifierKey.of(ORIGIN, load_private_key(key_path))
    return follow_chain(current, read_statements(key_path, current))


@pytest.mark.slow
@pytest.mark.parametrize("writer", ["thread", "process"])
async def test_sigkill_under_load_loses_no_acknowledged_record(tmp_path: Path,
                                                               writer: str) -> None:
    rnd = random.Random(20261130)
    all_acked: list[tuple[int, str, int]] = []
    for round_ in range(ROUNDS):
        acked = await _run_and_kill(tmp_path, rnd, writer)
        assert acked, f"round {round_}: the writer acknowledged nothing before the kill"
        all_acked.extend(acked)
        stored = _stored(EvidencePaths.of(tmp_path).db)
        missing = [a for a in all_acked if stored.get(a[0]) != (a[1], a[2])]
        assert not missing, f"round {round_}: acknowledged but lost: {missing[:5]}"
        report = audit_log(EvidencePaths.of(tmp_path).db, _keys(tmp_path))
        assert report.records == len(stored) >= len(all_acked)

    log = make_log(tmp_path)
    await log.start()
    out = tmp_path / "conv-3.zip"
    await export_conversation(
        log,
        tmp_path / "recordings",
        "conv-3",
        out,
        reason="crash test",
        actor_role="operator",
        actor_id="test",
        include_media=False,
    )
    await log.close()
    result = verify_bundle(out)
    assert result.ok, result.fault
