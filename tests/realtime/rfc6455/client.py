"""A raw-socket RFC 6455 client for the conformance cases: it sends any frame, legal or
not, and reads exactly what the server answers."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
Frame = tuple[bool, int, bytes]
"""``(fin, opcode, payload)``."""


def masked(payload: bytes, mask: bytes) -> bytes:
    size = len(payload)
    if not size:
        return b""
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0,
          mask: bool = True) -> bytes:
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    bit = 0x80 if mask else 0
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, bit | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, bit | 127, length)
    if not mask:
        return header + payload
    key = os.urandom(4)
    return header + key + masked(payload, key)


def close_payload(code: int | None, reason: bytes = b"") -> bytes:
    return b"" if code is None else struct.pack("!H", code) + reason


class Peer:
    """One client connection; every wait is bounded."""

    def __init__(self, port: int, timeout: float = 3.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        self._buffer = b""
        head = self._read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def close_socket(self) -> None:
        self.sock.close()

    def send(self, opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0,
             mask: bool = True, chunk: int | None = None) -> None:
        self.send_raw(frame(opcode, payload, fin=fin, rsv=rsv, mask=mask), chunk=chunk)

    def send_raw(self, data: bytes, *, chunk: int | None = None) -> None:
        try:
            if chunk is None:
                self.sock.sendall(data)
                return
            for start in range(0, len(data), chunk):
                self.sock.sendall(data[start:start + chunk])
                time.sleep(0.001)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may fail the connection before all is sent

    def _fill(self) -> bool:
        try:
            data = self.sock.recv(1 << 20)
        except ConnectionResetError:
            data = b""
        self._buffer += data
        return bool(data)

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            if not self._fill():
                raise EOFError(self._buffer)
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _read(self, size: int) -> bytes | None:
        while len(self._buffer) < size:
            if not self._fill():
                return None
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def receive(self) -> Frame | None:
        """The next frame, or ``None`` when the server closed the TCP connection."""
        header = self._read(2)
        if header is None:
            return None
        first, second = header
        assert not second & 0x80, "server frames are never masked"
        length = second & 0x7F
        if length == 126:
            raw = self._read(2)
            assert raw is not None
            length = struct.unpack("!H", raw)[0]
        elif length == 127:
            raw = self._read(8)
            assert raw is not None
            length = struct.unpack("!Q", raw)[0]
        payload = self._read(length) if length else b""
        assert payload is not None, "connection closed inside a frame"
        return bool(first & 0x80), first & 0x0F, payload

    def message(self) -> tuple[int, bytes]:
        """The next whole data message (the server may fragment it); control frames
        other than pongs fail the expectation."""
        opcode, parts = None, []
        while True:
            received = self.receive()
            assert received is not None, "closed instead of a message"
            fin, kind, payload = received
            assert kind not in (CLOSE, PING), (kind, payload[:40])
            if kind == PONG:
                raise AssertionError("unexpected pong")
            opcode = kind if opcode is None else opcode
            parts.append(payload)
            if fin:
                return opcode, b"".join(parts)

    def expect_echo(self, opcode: int, payload: bytes) -> None:
        kind, data = self.message()
        if (kind, data) != (opcode, payload):
            raise AssertionError(f"echo: opcode {kind} of {len(data)} bytes, expected "
                                 f"opcode {opcode} of {len(payload)}")

    def expect_pong(self, payload: bytes) -> None:
        received = self.receive()
        assert received == (True, PONG, payload), received

    def expect_close(self, codes: set[int | None], *, answer: bool = True) -> None:
        """The server's next frame is a close with one of ``codes`` (``None``: no code);
        it is answered (unless the client closed first), then the server hangs up."""
        received = self.receive()
        assert received is not None, "TCP dropped without a close frame"
        fin, opcode, payload = received
        assert (fin, opcode) == (True, CLOSE), (opcode, payload[:40])
        assert len(payload) != 1
        code = struct.unpack("!H", payload[:2])[0] if payload else None
        assert code in codes, code
        assert code not in (1005, 1006, 1015), "reserved codes never go on the wire"
        if answer:
            self.send_raw(frame(CLOSE, payload[:2]))
        self.expect_hang_up()

    def expect_hang_up(self) -> None:
        """Nothing more comes after the server's close frame, then TCP closes."""
        received = self.receive()
        if received is not None:
            raise AssertionError(f"opcode {received[1]} after the close")
