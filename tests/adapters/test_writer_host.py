"""The evidence writer in its own process: the same results as on a thread, and a
writer that dies loses only the batch it held."""

import asyncio
import os
import signal
from pathlib import Path

import pytest

from rtc_gateway.adapters.sqlite.evidence_audit import audit_log
from rtc_gateway.adapters.sqlite.evidence_writer import PendingEntry
from rtc_gateway.adapters.sqlite.writer_host import EvidenceWriteFailed, ProcessWriterHost, write
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.evidence.signed_note import VerifierKey
from rtc_gateway.security.keys import load_private_key
from tests.evidence.support import ORIGIN


def entry(seq: int, text: str = "bonjour", conversation: str = "conv-1") -> PendingEntry:
    return PendingEntry(conversation, "message", "citizen", "cit-1",
                        "2026-11-30T08:00:00.000Z", seq, f"m{seq}", text, None)


def host_for(data_dir: Path) -> ProcessWriterHost:
    paths = EvidencePaths.of(data_dir)
    return ProcessWriterHost(str(paths.db), str(paths.key), ORIGIN)


@pytest.mark.parametrize("noticed_first", [False, True])
async def test_a_killed_writer_is_started_again_and_the_log_goes_on(
        tmp_path: Path, noticed_first: bool) -> None:
    """Killed between batches, the writer is replaced at the next batch; a batch sent
    to a writer already dead fails as a whole and its senders retry."""
    host = host_for(tmp_path)
    assert await host.open() == 0
    first = await write(host, [entry(1), entry(2)], want_checkpoint=False)
    assert [p[:2] for p in first.placed] == [(0, 1), (1, 2)]  # type: ignore[index]
    pid = host.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    if noticed_first:
        await asyncio.sleep(0.3)
    try:
        again = await write(host, [entry(3)], want_checkpoint=True)
    except EvidenceWriteFailed:
        assert not noticed_first, "a writer known to be dead is replaced, not reported"
        again = await write(host, [entry(3)], want_checkpoint=True)
    assert host.pid != pid
    assert again.placed[0][:2] == (2, 3)  # type: ignore[index]
    assert again.note is not None and again.size == 3
    await host.close()
    key = VerifierKey.of(ORIGIN, load_private_key(EvidencePaths.of(tmp_path).key))
    assert audit_log(EvidencePaths.of(tmp_path).db, [key]).records == 3


async def test_an_entry_that_cannot_cross_the_pipe_fails_alone(tmp_path: Path) -> None:
    host = host_for(tmp_path)
    await host.open()
    result = await write(host, [entry(1), entry(2, "a\ud800"), entry(1, conversation="conv-2")],
                              want_checkpoint=False)
    assert isinstance(result.placed[1], str) and "cannot be logged" in result.placed[1]
    assert [p[0] for p in (result.placed[0], result.placed[2])] == [0, 1]  # type: ignore[index]
    await host.close()


async def test_close_ends_the_process(tmp_path: Path) -> None:
    host = host_for(tmp_path)
    await host.open()
    pid = host.pid
    await host.close()
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_batches_sent_before_the_first_is_answered_get_their_own_answers(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Requests follow each other down the pipe; each caller gets its own batch's
    answer, even when a caller stops waiting for its answer half-way."""
    host = host_for(tmp_path)
    await host.open()
    first = asyncio.ensure_future(write(host, [entry(1), entry(2)], want_checkpoint=False))
    abandoned = asyncio.ensure_future(write(host, [entry(3)], want_checkpoint=False))
    third = asyncio.ensure_future(write(host, [entry(4), entry(5), entry(6)],
                                             want_checkpoint=True))
    await asyncio.sleep(0)
    abandoned.cancel()
    results = await asyncio.gather(first, third)
    assert [p[:2] for p in results[0].placed] == [(0, 1), (1, 2)]  # type: ignore[index]
    assert [p[:2] for p in results[1].placed] == [(3, 4), (4, 5), (5, 6)]  # type: ignore[index]
    assert results[1].size == 6 and results[1].note is not None
    assert abandoned.cancelled()
    assert "evidence reply handler failed" not in caplog.text
    await host.close()


async def test_batches_and_answers_keep_their_order_across_a_restart(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Batches submitted while a dead writer is being replaced wait for the new one
    and are written in the order they were submitted."""
    host = host_for(tmp_path)
    await host.open()
    await write(host, [entry(1)], want_checkpoint=False)
    pid = host.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.3)
    results = await asyncio.gather(*(write(host, [entry(seq)], want_checkpoint=False)
                                     for seq in (2, 3, 4)))
    assert [result.placed[0][:2] for result in results] == \
        [(1, 2), (2, 3), (3, 4)]  # type: ignore[index]
    assert "evidence reply handler failed" not in caplog.text
    await host.close()
