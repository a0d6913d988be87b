"""The evidence writer process: ``python -m rtc_gateway.adapters.sqlite.writer_process``.

Started by :class:`~rtc_gateway.adapters.sqlite.writer_host.ProcessWriterHost`, which
speaks to it over stdin/stdout: length-prefixed msgpack requests ``[op, *args]``, each
answered by ``[ok, value]``. It holds one :class:`EvidenceWriter` and nothing else.
"""

import contextlib
import ctypes
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from rtc_gateway.adapters.sqlite.evidence_writer import EvidenceWriter, PendingEntry

_HEADER = 4


def _now() -> datetime:
    return datetime.now(UTC)


def _read_frame(stream: BinaryIO) -> bytes | None:
    header = stream.read(_HEADER)
    if len(header) < _HEADER:
        return None
    size = int.from_bytes(header, "big")
    body = stream.read(size)
    return body if len(body) == size else None


def _write_frame(stream: BinaryIO, body: bytes) -> None:
    stream.write(len(body).to_bytes(_HEADER, "big") + body)
    stream.flush()


class _Session:
    def __init__(self) -> None:
        self.writer: EvidenceWriter | None = None

    def handle(self, op: str, args: list[Any]) -> Any:
        if op == "open":
            db_path, key_path, origin = args
            self.writer = EvidenceWriter(Path(db_path), Path(key_path), origin, _now)
            return self.writer.open()
        writer = self.writer
        if writer is None:
            raise RuntimeError("the writer is not open")
        if op == "write":
            entries = msgspec.convert(args[0], list[PendingEntry])
            result = writer.write(entries, bool(args[1]))
            return [result.placed, result.note, result.size, result.last_checkpoint_size]
        if op == "erase":
            return writer.erase(str(args[0]), None if len(args) < 2 or args[1] is None
                                else str(args[1]))
        if op == "close":
            writer.close()
            self.writer = None
            return None
        raise ValueError(f"unknown request {op!r}")


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """On Linux, a killed gateway takes its writer with it at once, as a thread would
    go: a batch in flight is then rolled back, never committed after the fact."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        sys.exit(0)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    encoder = msgspec.msgpack.Encoder()
    session = _Session()
    try:
        while (frame := _read_frame(requests)) is not None:
            op, *args = msgspec.msgpack.decode(frame)
            try:
                reply = [True, session.handle(op, args)]
            except Exception as error:
                reply = [False, f"{type(error).__name__}: {error}"]
            try:
                _write_frame(replies, encoder.encode(reply))
            except BrokenPipeError:
                break
            if op == "close":
                break
    finally:
        if session.writer is not None:
            session.writer.close()


if __name__ == "__main__":
    main()
