"""Where the evidence writer runs: a worker thread, or a process of its own.

On a thread, building records (canonical JSON, hashes, SQLite calls) holds the GIL for
about half of what relaying a chat message costs, and the event loop waits for it. In
a writer process that work runs on another core; the event loop only encodes each
batch once and reads back where every record landed.

A batch is handed over with ``submit`` and a callback. For the process, the callback
runs as soon as the writer's answer is read off the pipe, in the same turn of the
event loop: the messages of the batch are released to their senders and recipients
without waiting for a task to be scheduled first.
"""

import asyncio
import logging
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Protocol, TypeVar, cast

import msgspec

from rtc_gateway.adapters.sqlite.evidence_writer import BatchResult, EvidenceWriter, PendingEntry

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
Outcome = BatchResult | Exception
Done = Callable[[Outcome], None]


class EvidenceWriteFailed(RuntimeError):
    """The writer could not write a batch (or is gone); nothing of the batch is durable."""


class WriterHost(Protocol):
    async def open(self) -> int: ...

    def submit(self, entries: list[PendingEntry], want_checkpoint: bool, done: Done) -> None:
        """Write a batch after those already submitted; ``done`` gets its outcome."""

    async def erase(self, cutoff: str, conversation_id: str | None = None) -> int: ...

    async def close(self) -> None: ...


async def write(host: WriterHost, entries: list[PendingEntry],
                want_checkpoint: bool) -> BatchResult:
    """One batch, awaited (tests and one-off callers)."""
    outcome: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
    host.submit(entries, want_checkpoint, partial(_settle, outcome))
    return await outcome


def _settle(future: "asyncio.Future[_T]", outcome: "_T | Exception") -> None:
    """Hand an answer to whoever awaits it, unless they stopped waiting."""
    if future.done():
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


class ThreadWriterHost:
    def __init__(self, writer: EvidenceWriter) -> None:
        self._writer = writer
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="evidence-writer")

    async def open(self) -> int:
        return await self._loop().run_in_executor(self._pool, self._writer.open)

    def submit(self, entries: list[PendingEntry], want_checkpoint: bool, done: Done) -> None:
        written = self._loop().run_in_executor(self._pool, self._writer.write, entries,
                                               want_checkpoint)
        written.add_done_callback(lambda future: done(_outcome_of(future)))

    async def erase(self, cutoff: str, conversation_id: str | None = None) -> int:
        return await self._loop().run_in_executor(self._pool, self._writer.erase, cutoff,
                                                  conversation_id)

    async def close(self) -> None:
        try:
            await self._loop().run_in_executor(self._pool, self._writer.close)
        finally:
            self._pool.shutdown()

    @staticmethod
    def _loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()


def _outcome_of(future: "asyncio.Future[BatchResult]") -> Outcome:
    error = future.exception()
    if error is None:
        return future.result()
    return error if isinstance(error, Exception) else EvidenceWriteFailed(str(error))


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


ReplyHandler = Callable[[_Reply | Exception], None]


class _ChildPipes(asyncio.SubprocessProtocol):
    """Reads the child's replies as they arrive and hands each, in order, to the handler
    of the oldest request still unanswered; the child gone fails every one left."""

    def __init__(self) -> None:
        self._buffer = b""
        self._unanswered: deque[ReplyHandler] = deque()
        self._decoder = msgspec.msgpack.Decoder(_Reply)
        self.gone = False
        self.exited: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def expect(self, handler: ReplyHandler) -> None:
        self._unanswered.append(handler)

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        assert isinstance(data, bytes)
        buffer = self._buffer + data
        start = 0
        while len(buffer) - start >= _HEADER:
            end = start + _HEADER + int.from_bytes(buffer[start:start + _HEADER], "big")
            if len(buffer) < end:
                break
            reply = self._decoder.decode(buffer[start + _HEADER:end])
            start = end
            _hand(self._unanswered.popleft(), reply)
        self._buffer = buffer[start:]

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        """Its output has ended: every reply it wrote has been read."""
        if fd == 1:
            self._fail_all()

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    def _fail_all(self) -> None:
        self.gone = True
        while self._unanswered:
            _hand(self._unanswered.popleft(),
                  EvidenceWriteFailed("the evidence writer process exited"))


def _hand(handler: ReplyHandler, reply: _Reply | Exception) -> None:
    try:
        handler(reply)
    except Exception:
        logger.exception("evidence reply handler failed")


class _Child:
    """One running writer process and its pipes."""

    def __init__(self, transport: asyncio.SubprocessTransport, pipes: _ChildPipes) -> None:
        self.transport = transport
        self.pipes = pipes

    @property
    def alive(self) -> bool:
        return self.transport.get_returncode() is None and not self.pipes.gone

    def send(self, frame: bytes, handler: ReplyHandler) -> None:
        stdin = cast(asyncio.WriteTransport | None, self.transport.get_pipe_transport(0))
        if stdin is None or stdin.is_closing():
            handler(EvidenceWriteFailed("the evidence writer process exited"))
            return
        self.pipes.expect(handler)
        stdin.write(len(frame).to_bytes(_HEADER, "big") + frame)

    async def request(self, frame: bytes) -> _Reply:
        answered: asyncio.Future[_Reply] = asyncio.get_running_loop().create_future()
        self.send(frame, partial(_settle, answered))
        return await answered

    async def finish(self) -> None:
        """Close its input (it exits) and wait for it."""
        stdin = self.transport.get_pipe_transport(0)
        if stdin is not None:
            stdin.close()
        await self.pipes.exited
        self.transport.close()


class ProcessWriterHost:
    """The writer in a child process (``python -m ...writer_process``), over its pipes.

    Requests are length-prefixed msgpack frames, sent as soon as they are made; the
    child handles them in order, so a batch can be on its way while the previous one
    commits. The child ignores SIGINT and SIGTERM (a terminal's Ctrl-C reaches the
    whole process group) and exits when asked or when its input closes, so the gateway
    can flush it while shutting down and it never outlives a killed gateway. A child
    that died is started again at the next request, requests made meanwhile waiting
    in order; the batches the dead one held fail, so their senders retry.
    """

    def __init__(self, db_path: str, key_path: str, origin: str) -> None:
        self._open_args = [db_path, key_path, origin]
        self._child: _Child | None = None
        self._starting = asyncio.Lock()
        self._held: list[tuple[bytes, ReplyHandler]] | None = None
        """Requests made while a new child starts, sent once it has."""
        self._restarts: set[asyncio.Task[None]] = set()
        self._write_decoder = msgspec.msgpack.Decoder(_WriteReply)
        self._int_decoder = msgspec.msgpack.Decoder(int)
        self._text_decoder = msgspec.msgpack.Decoder(str)

    async def open(self) -> int:
        async with self._starting:
            return await self._start()

    @property
    def pid(self) -> int | None:
        return None if self._child is None else self._child.transport.get_pid()

    def submit(self, entries: list[PendingEntry], want_checkpoint: bool, done: Done) -> None:
        try:
            frame = _encoder.encode(["write", entries, want_checkpoint])
        except (TypeError, ValueError, OverflowError):
            self._submit_valid_ones(entries, want_checkpoint, done)
            return
        self._send(frame, lambda reply: done(self._batch_outcome(reply)))

    def _batch_outcome(self, reply: _Reply | Exception) -> Outcome:
        if isinstance(reply, Exception):
            return reply
        if not reply.ok:
            return EvidenceWriteFailed(self._text_decoder.decode(reply.value))
        written = self._write_decoder.decode(reply.value)
        return BatchResult(list(written.placed), written.note, written.size,
                           written.last_checkpoint_size)

    def _submit_valid_ones(self, entries: list[PendingEntry], want_checkpoint: bool,
                           done: Done) -> None:
        """Entries that cannot cross the pipe (a lone surrogate) fail alone, as they
        would fail alone in the writer."""
        refusals: dict[int, str] = {}
        for position, entry in enumerate(entries):
            try:
                _encoder.encode(entry)
            except (TypeError, ValueError, OverflowError) as error:
                refusals[position] = f"entry cannot be logged: {error}"
        valid = [entry for position, entry in enumerate(entries) if position not in refusals]

        def merged(outcome: Outcome) -> None:
            if isinstance(outcome, Exception):
                done(outcome)
                return
            placed = iter(outcome.placed)
            done(BatchResult([refusals[position] if position in refusals else next(placed)
                              for position in range(len(entries))],
                             outcome.note, outcome.size, outcome.last_checkpoint_size))

        self.submit(valid, want_checkpoint, merged)

    async def erase(self, cutoff: str, conversation_id: str | None = None) -> int:
        return self._int_decoder.decode(await self._call("erase", cutoff, conversation_id))

    async def close(self) -> None:
        await asyncio.gather(*self._restarts, return_exceptions=True)
        async with self._starting:
            child, self._child = self._child, None
            if child is None or not child.alive:
                return
            try:
                self._value(await child.request(_encoder.encode(["close"])))
            finally:
                await child.finish()

    async def _start(self) -> int:
        loop = asyncio.get_running_loop()
        transport, pipes = await loop.subprocess_exec(
            _ChildPipes, sys.executable, "-m", "rtc_gateway.adapters.sqlite.writer_process",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=None)
        child = self._child = _Child(transport, pipes)
        opened = await child.request(_encoder.encode(["open", *self._open_args]))
        return self._int_decoder.decode(self._value(opened))

    async def _call(self, op: str, *args: Any) -> msgspec.Raw:
        answered: asyncio.Future[_Reply] = asyncio.get_running_loop().create_future()
        self._send(_encoder.encode([op, *args]), partial(_settle, answered))
        return self._value(await answered)

    def _send(self, frame: bytes, handler: ReplyHandler) -> None:
        child = self._child
        if self._held is None and child is not None and child.alive:
            child.send(frame, handler)
            return
        if self._held is None:
            self._held = []
            restart = asyncio.get_running_loop().create_task(self._restart())
            self._restarts.add(restart)
            restart.add_done_callback(self._restarts.discard)
        self._held.append((frame, handler))

    async def _restart(self) -> None:
        try:
            async with self._starting:
                child = self._child
                if child is None or not child.alive:
                    logger.warning("evidence writer process gone; starting another",
                                   extra={"exit_code": None if child is None
                                          else child.transport.get_returncode()})
                    await self._start()
        except Exception as error:
            held, self._held = self._held or [], None
            for _, handler in held:
                _hand(handler, EvidenceWriteFailed(f"the evidence writer cannot start: {error}"))
            return
        held, self._held = self._held or [], None
        child = self._child
        assert child is not None
        for frame, handler in held:
            child.send(frame, handler)

    def _value(self, reply: _Reply) -> msgspec.Raw:
        if not reply.ok:
            raise EvidenceWriteFailed(self._text_decoder.decode(reply.value))
        return reply.value
