"""Where the evidence writer runs: a worker thread, or a process of its own.

On a thread, building records (canonical JSON, hashes, SQLite calls) holds the GIL for
about half of what relaying a chat message costs, and the event loop waits for it. In
a writer process that work runs on another core; the event loop only encodes each
batch once and reads back where every record landed.
"""

import asyncio
import logging
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import msgspec

from rtc_gateway.adapters.sqlite.evidence_writer import BatchResult, EvidenceWriter, PendingEntry

logger = logging.getLogger(__name__)


class EvidenceWriteFailed(RuntimeError):
    """The writer could not write a batch (or is gone); nothing of the batch is durable."""


class WriterHost(Protocol):
    async def open(self) -> int: ...

    async def write(self, entries: list[PendingEntry], want_checkpoint: bool) -> BatchResult: ...

    async def erase(self, cutoff: str) -> int: ...

    async def close(self) -> None: ...


class ThreadWriterHost:
    def __init__(self, writer: EvidenceWriter) -> None:
        self._writer = writer
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="evidence-writer")

    async def open(self) -> int:
        return await self._loop().run_in_executor(self._pool, self._writer.open)

    async def write(self, entries: list[PendingEntry], want_checkpoint: bool) -> BatchResult:
        return await self._loop().run_in_executor(self._pool, self._writer.write, entries,
                                                  want_checkpoint)

    async def erase(self, cutoff: str) -> int:
        return await self._loop().run_in_executor(self._pool, self._writer.erase, cutoff)

    async def close(self) -> None:
        try:
            await self._loop().run_in_executor(self._pool, self._writer.close)
        finally:
            self._pool.shutdown()

    @staticmethod
    def _loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()


_HEADER = 4
_encoder = msgspec.msgpack.Encoder()


class _Reply(msgspec.Struct, array_like=True):
    ok: bool
    value: msgspec.Raw
    """Decoded by the caller, which knows its type."""


class _WriteReply(msgspec.Struct, array_like=True):
    placed: list[tuple[int, int, bytes] | str]
    note: str | None
    size: int
    last_checkpoint_size: int


class _Child:
    """One running writer process: requests go down its stdin; a reader task takes its
    replies off stdout, in order, and answers the oldest waiting request with each."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._waiting: deque[asyncio.Future[_Reply]] = deque()
        self._decoder = msgspec.msgpack.Decoder(_Reply)
        self._reader = asyncio.get_running_loop().create_task(self._read_replies())

    @property
    def alive(self) -> bool:
        return self.process.returncode is None and not self._reader.done()

    async def request(self, frame: bytes) -> _Reply:
        """Send at once; the reply may come after other requests sent meanwhile."""
        stdin = self.process.stdin
        assert stdin is not None
        reply: asyncio.Future[_Reply] = asyncio.get_running_loop().create_future()
        self._waiting.append(reply)
        try:
            stdin.write(len(frame).to_bytes(_HEADER, "big") + frame)
            await stdin.drain()
        except ConnectionError:
            pass  # the reader sees the child gone and fails every waiting request
        return await reply

    async def _read_replies(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                size = int.from_bytes(await stdout.readexactly(_HEADER), "big")
                reply = self._decoder.decode(await stdout.readexactly(size))
                waiting = self._waiting.popleft()
                if not waiting.done():
                    waiting.set_result(reply)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if self.process.returncode is None:
                self.process.kill()
            await self.process.wait()
            while self._waiting:
                waiting = self._waiting.popleft()
                if not waiting.done():
                    waiting.set_exception(
                        EvidenceWriteFailed("the evidence writer process exited"))

    async def finish(self) -> None:
        """Close its input (it exits) and wait for it."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.close()
        await self._reader


class ProcessWriterHost:
    """The writer in a child process (``python -m ...writer_process``), over its pipes.

    Requests are length-prefixed msgpack frames, sent as soon as they are made; the
    child handles them in order and a batch can be on its way while the previous one
    commits. The child ignores SIGINT and SIGTERM (a terminal's Ctrl-C reaches the
    whole process group) and exits when asked or when its input closes, so the gateway
    can flush it while shutting down and it never outlives a killed gateway. A child
    that died is started again at the next request; the batches it held fail, so their
    senders retry.
    """

    def __init__(self, db_path: str, key_path: str, origin: str) -> None:
        self._open_args = [db_path, key_path, origin]
        self._child: _Child | None = None
        self._starting = asyncio.Lock()
        self._write_decoder = msgspec.msgpack.Decoder(_WriteReply)
        self._int_decoder = msgspec.msgpack.Decoder(int)
        self._text_decoder = msgspec.msgpack.Decoder(str)

    async def open(self) -> int:
        async with self._starting:
            return await self._start()

    @property
    def pid(self) -> int | None:
        return None if self._child is None else self._child.process.pid

    async def write(self, entries: list[PendingEntry], want_checkpoint: bool) -> BatchResult:
        try:
            request = _encoder.encode(["write", entries, want_checkpoint])
        except (TypeError, ValueError, OverflowError):
            return await self._write_valid_ones(entries, want_checkpoint)
        reply = self._write_decoder.decode(await self._call_encoded(request))
        return BatchResult(list(reply.placed), reply.note, reply.size,
                           reply.last_checkpoint_size)

    async def _write_valid_ones(self, entries: list[PendingEntry],
                                want_checkpoint: bool) -> BatchResult:
        """Entries that cannot cross the pipe (a lone surrogate) fail alone, as they
        would fail alone in the writer."""
        refusals: dict[int, str] = {}
        for position, entry in enumerate(entries):
            try:
                _encoder.encode(entry)
            except (TypeError, ValueError, OverflowError) as error:
                refusals[position] = f"entry cannot be logged: {error}"
        valid = [entry for position, entry in enumerate(entries) if position not in refusals]
        result = await self.write(valid, want_checkpoint)
        placed = iter(result.placed)
        merged = [refusals[position] if position in refusals else next(placed)
                  for position in range(len(entries))]
        return BatchResult(merged, result.note, result.size, result.last_checkpoint_size)

    async def erase(self, cutoff: str) -> int:
        return self._int_decoder.decode(await self._call("erase", cutoff))

    async def close(self) -> None:
        async with self._starting:
            child, self._child = self._child, None
            if child is None or not child.alive:
                return
            try:
                self._value(await child.request(_encoder.encode(["close"])))
            finally:
                await child.finish()

    async def _start(self) -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rtc_gateway.adapters.sqlite.writer_process",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        child = self._child = _Child(process)
        opened = await child.request(_encoder.encode(["open", *self._open_args]))
        return self._int_decoder.decode(self._value(opened))

    async def _call(self, op: str, *args: Any) -> msgspec.Raw:
        return await self._call_encoded(_encoder.encode([op, *args]))

    async def _call_encoded(self, request: bytes) -> msgspec.Raw:
        child = self._child
        if child is None or not child.alive:
            async with self._starting:
                child = self._child
                if child is None or not child.alive:
                    logger.warning("evidence writer process gone; starting another",
                                   extra={"exit_code": None if child is None
                                          else child.process.returncode})
                    await self._start()
                    child = self._child
                    assert child is not None
        return self._value(await child.request(request))

    def _value(self, reply: _Reply) -> msgspec.Raw:
        if not reply.ok:
            raise EvidenceWriteFailed(self._text_decoder.decode(reply.value))
        return reply.value
