"""Where the evidence writer runs: a worker thread, or a process of its own.

On a thread, building records (canonical JSON, hashes, SQLite calls) holds the GIL for
about half of what relaying a chat message costs, and the event loop waits for it. In
a writer process that work runs on another core; the event loop only encodes each
batch once and reads back where every record landed.
"""

import asyncio
import logging
import sys
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


class ProcessWriterHost:
    """The writer in a child process (``python -m ...writer_process``), over its pipes.

    One request at a time, each a length-prefixed msgpack frame. The child ignores
    SIGINT and SIGTERM (a terminal's Ctrl-C reaches the whole process group) and exits
    when asked or when its input closes, so the gateway can flush it while shutting
    down and it never outlives a killed gateway. A child that died is started again
    at the next request; the batch it held fails, so its senders retry.
    """

    def __init__(self, db_path: str, key_path: str, origin: str) -> None:
        self._open_args = [db_path, key_path, origin]
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._reply_decoder = msgspec.msgpack.Decoder(_Reply)
        self._write_decoder = msgspec.msgpack.Decoder(_WriteReply)
        self._int_decoder = msgspec.msgpack.Decoder(int)
        self._text_decoder = msgspec.msgpack.Decoder(str)

    async def open(self) -> int:
        async with self._lock:
            return await self._start()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

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
        async with self._lock:
            process, self._process = self._process, None
            if process is None or process.returncode is not None:
                return
            try:
                await self._exchange(process, _encoder.encode(["close"]))
            finally:
                assert process.stdin is not None
                process.stdin.close()
                await process.wait()

    async def _start(self) -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rtc_gateway.adapters.sqlite.writer_process",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        self._process = process
        return self._int_decoder.decode(
            await self._exchange(process, _encoder.encode(["open", *self._open_args])))

    async def _call(self, op: str, *args: Any) -> msgspec.Raw:
        return await self._call_encoded(_encoder.encode([op, *args]))

    async def _call_encoded(self, request: bytes) -> msgspec.Raw:
        async with self._lock:
            process = self._process
            if process is None or process.returncode is not None:
                logger.warning("evidence writer process gone; starting another",
                               extra={"exit_code": None if process is None
                                      else process.returncode})
                await self._start()
                process = self._process
                assert process is not None
            return await self._exchange(process, request)

    async def _exchange(self, process: asyncio.subprocess.Process,
                        request: bytes) -> msgspec.Raw:
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(len(request).to_bytes(_HEADER, "big") + request)
            await process.stdin.drain()
            size = int.from_bytes(await process.stdout.readexactly(_HEADER), "big")
            reply = self._reply_decoder.decode(await process.stdout.readexactly(size))
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            if process.returncode is None:
                process.kill()
            await process.wait()
            raise EvidenceWriteFailed("the evidence writer process exited") from error
        if not reply.ok:
            raise EvidenceWriteFailed(self._text_decoder.decode(reply.value))
        return reply.value
