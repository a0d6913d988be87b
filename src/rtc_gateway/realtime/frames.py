"""Server-to-client WebSocket frames (RFC 6455 §5.2), built once and written as bytes.

A frame for a room is built once and the same bytes are written to every member's
transport, without a coroutine or a lock per recipient. Server frames are never masked;
compression is never negotiated.
"""

import struct

CONTINUATION = 0x0
TEXT = 0x1
BINARY = 0x2
CLOSE = 0x8
PING = 0x9
PONG = 0xA
_FIN = 0x80
_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")
_CLOSE_CODE = struct.Struct("!H")


def websocket_frame(payload: bytes, opcode: int) -> bytes:
    first = _FIN | opcode
    length = len(payload)
    if length < 126:
        return _SHORT.pack(first, length) + payload
    if length < 65536:
        return _MEDIUM.pack(first, 126, length) + payload
    return _LONG.pack(first, 127, length) + payload


def close_frame(code: int) -> bytes:
    return websocket_frame(_CLOSE_CODE.pack(code), CLOSE)

