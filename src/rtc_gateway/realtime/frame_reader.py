"""Client-to-server WebSocket frames (RFC 6455 §5), read off a connection's bytes.

Whole messages come out: fragments are joined, payloads unmasked, control frames passed
on between them. Anything the RFC forbids ends the stream with a :class:`ProtocolViolation`
(``violation``) carrying the close code to answer it with; the messages read before it
still come out. A message over the size limit is refused as soon as its header says
so, before its payload is buffered, and so is one split into more fragments than
``max_fragments`` (endless empty continuations would otherwise grow without bound).
"""

from __future__ import annotations

from collections.abc import Callable

from rtc_gateway.realtime.frames import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT

NORMAL_CLOSURE = 1000
PROTOCOL_ERROR = 1002
INVALID_DATA = 1007
MESSAGE_TOO_BIG = 1009
MAX_FRAGMENTS = 1024
"""Fragments one message may have (its size limit still applies)."""
_DATA = (TEXT, BINARY)
_CONTROL = (CLOSE, PING, PONG)

Message = tuple[int, bytes]
"""``(opcode, payload)``: a whole TEXT or BINARY message, or a control frame."""


class ProtocolViolation(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class FrameReader:
    __slots__ = ("_buffer", "_fragment_opcode", "_fragments", "_fragments_size",
                 "_max_fragments", "_max_message", "violation")

    def __init__(self, max_message_bytes: int, max_fragments: int = MAX_FRAGMENTS) -> None:
        self._max_message = max_message_bytes
        self._max_fragments = max_fragments
        self._buffer = b""
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0
        self._fragments_size = 0
        self.violation: ProtocolViolation | None = None
        """Set once the client broke the protocol; nothing after it is read."""

    def feed(self, data: bytes) -> list[Message]:
        """Every message completed by ``data``; an incomplete frame waits for more."""
        if self.violation is not None:
            return []
        messages: list[Message] = []
        try:
            self._read(self._buffer + data if self._buffer else data, messages)
        except ProtocolViolation as violation:
            self.violation = violation
            self._buffer = b""
        return messages

    def _read(self, buffer: bytes, messages: list[Message]) -> None:
        position, end = 0, len(buffer)
        while end - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            if first & 0x70:
                raise ProtocolViolation(PROTOCOL_ERROR, "reserved bits set")
            if not second & 0x80:
                raise ProtocolViolation(PROTOCOL_ERROR, "client frames must be masked")
            length, header = second & 0x7F, 6
            if length == 126:
                if end - position < 4:
                    break
                length, header = int.from_bytes(buffer[position + 2:position + 4], "big"), 8
            elif length == 127:
                if end - position < 10:
                    break
                length, header = int.from_bytes(buffer[position + 2:position + 10], "big"), 14
            opcode, fin = first & 0x0F, bool(first & 0x80)
            self._check(opcode, fin, length)
            start = position + header
            if end - start < length:
                break
            payload = unmask(buffer[start - 4:start], buffer[start:start + length])
            position = start + length
            message = self._assemble(opcode, fin, payload)
            if message is not None:
                messages.append(message)
        self._buffer = buffer[position:]

    def _check(self, opcode: int, fin: bool, length: int) -> None:
        if opcode in _CONTROL:
            if length > 125 or not fin:
                raise ProtocolViolation(PROTOCOL_ERROR, "control frames are short and whole")
        elif opcode in _DATA:
            if self._fragments_size or self._fragment_opcode:
                raise ProtocolViolation(PROTOCOL_ERROR, "a message began inside another")
        elif opcode != CONTINUATION:
            raise ProtocolViolation(PROTOCOL_ERROR, f"unknown opcode {opcode}")
        elif not self._fragment_opcode:
            raise ProtocolViolation(PROTOCOL_ERROR, "a continuation with nothing to continue")
        if opcode in _CONTROL:
            return
        if self._fragments_size + length > self._max_message:
            raise ProtocolViolation(MESSAGE_TOO_BIG, "message too big")
        if not fin and len(self._fragments) >= self._max_fragments:
            raise ProtocolViolation(MESSAGE_TOO_BIG, "too many fragments")

    def _assemble(self, opcode: int, fin: bool, payload: bytes) -> Message | None:
        if opcode in _CONTROL or (fin and opcode != CONTINUATION):
            return opcode, payload
        if opcode != CONTINUATION:
            self._fragment_opcode = opcode
        self._fragments.append(payload)
        self._fragments_size += len(payload)
        if not fin:
            return None
        whole = (self._fragment_opcode, b"".join(self._fragments))
        self._fragments = []
        self._fragment_opcode = self._fragments_size = 0
        return whole


def _unmask_in_python(mask: bytes, payload: bytes) -> bytes:
    """XOR with the 4-byte key, done as one big-integer operation."""
    size = len(payload)
    if not size:
        return b""
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(
        size, "little")


def unmask(mask: bytes, payload: bytes) -> bytes:
    """``payload`` XOR the 4-byte ``mask``: websockets' C implementation, 5 to 150 times
    faster than Python's big integers (``docs/performance.md``), when it is built."""
    return _apply_mask(payload, mask)


def _python_apply_mask(data: bytes, mask: bytes) -> bytes:
    return _unmask_in_python(mask, data)


_apply_mask: Callable[[bytes, bytes], bytes]
try:
    from websockets.speedups import apply_mask as _apply_mask
except ImportError:  # pragma: no cover - websockets without its C extension
    _apply_mask = _python_apply_mask


def close_answer(payload: bytes) -> int:
    """The status code to answer a client's close frame with (RFC 6455 §5.5.1, §7.4):
    its own code if valid, 1000 when it has none; never 1005 or 1006 on the wire."""
    if not payload:
        return NORMAL_CLOSURE
    if len(payload) == 1:
        return PROTOCOL_ERROR
    code = int.from_bytes(payload[:2], "big")
    if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
        return PROTOCOL_ERROR
    try:
        payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        return INVALID_DATA
    return code
