"""The relay's WebSocket framing, side by side: the gateway's own code against the
maintained sans-I/O implementations, websockets' ``ServerProtocol`` and wsproto.

    .venv/bin/python benchmarks/websocket_framing.py [--messages 20000] [--repeat 5]

For each message size, one relayed message costs one client frame read (masked, fed in
64 KiB reads as TCP delivers them, its text decoded) and two server frames built (the
ack to the sender and the copy to the recipient). Prints microseconds per relayed
message (best of ``--repeat``) and the difference to the gateway's framing, which is
what a change would add to the relay's CPU per message.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import time
from collections.abc import Callable

from rtc_gateway.realtime import frame_reader
from rtc_gateway.realtime.frame_reader import FrameReader
from rtc_gateway.realtime.frames import TEXT, websocket_frame

SIZES = (120, 400, 1500, 4000)
"""A typing event, a chat message, a long one, a message of 4,000 characters."""
READ = 64 * 1024


def client_frames(payload: bytes, count: int) -> bytes:
    frames = []
    for _ in range(count):
        key = os.urandom(4)
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        length = len(payload)
        header = struct.pack("!BB", 0x81, 0x80 | length) if length < 126 \
            else struct.pack("!BBH", 0x81, 0x80 | 126, length)
        frames.append(header + key + masked)
    return b"".join(frames)


def reads(stream: bytes) -> list[bytes]:
    return [stream[i:i + READ] for i in range(0, len(stream), READ)]


def ours(chunks: list[bytes], reply: bytes, count: int) -> None:
    reader = FrameReader(1 << 20)
    seen = 0
    for chunk in chunks:
        for _, payload in reader.feed(chunk):
            payload.decode("utf-8")
            websocket_frame(reply, TEXT)
            websocket_frame(reply, TEXT)
            seen += 1
    assert seen == count


def ours_python_mask(chunks: list[bytes], reply: bytes, count: int) -> None:
    """The gateway's framing as it was, unmasking with Python's big integers."""
    c_mask = frame_reader._apply_mask
    frame_reader._apply_mask = frame_reader._python_apply_mask
    try:
        ours(chunks, reply, count)
    finally:
        frame_reader._apply_mask = c_mask


def websockets_protocol(chunks: list[bytes], reply: bytes, count: int) -> None:
    from websockets.http11 import Request
    from websockets.server import ServerProtocol

    protocol = ServerProtocol(max_size=1 << 20)
    protocol.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          b"Sec-WebSocket-Version: 13\r\n\r\n")
    (request,) = protocol.events_received()
    assert isinstance(request, Request)
    protocol.send_response(protocol.accept(request))
    protocol.data_to_send()
    text = reply.decode()
    seen = 0
    for chunk in chunks:
        protocol.receive_data(chunk)
        for frame in protocol.events_received():
            frame.data.decode("utf-8")  # type: ignore[union-attr]
            protocol.send_text(text.encode())
            protocol.send_text(text.encode())
            seen += 1
        protocol.data_to_send()
    assert seen == count


def wsproto_connection(chunks: list[bytes], reply: bytes, count: int) -> None:
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import TextMessage

    connection = Connection(ConnectionType.SERVER)
    text = reply.decode()
    seen = 0
    for chunk in chunks:
        connection.receive_data(chunk)
        for event in connection.events():
            assert isinstance(event, TextMessage)
            if not event.message_finished:
                continue  # wsproto hands a frame cut by a read over in parts
            connection.send(TextMessage(data=text))
            connection.send(TextMessage(data=text))
            seen += 1
    assert seen == count


CONTENDERS: dict[str, Callable[[list[bytes], bytes, int], None]] = {
    "gateway (own)": ours, "gateway, Python masking": ours_python_mask,
    "websockets ServerProtocol": websockets_protocol,
    "wsproto": wsproto_connection}


def best_of(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()  # CPU time: the machine may be shared
        run()
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    for size in SIZES:
        prefix = b'42/citizen,7["message:new",{"text":"'
        payload = prefix + "é".encode() * ((size - len(prefix) - 3) // 2) + b'"}]'
        payload += b" " * (size - len(payload))
        chunks = reads(client_frames(payload, args.messages))
        row = results[str(size)] = {}
        for name, contender in CONTENDERS.items():
            seconds = best_of(lambda c=contender, f=chunks, p=payload: c(f, p, args.messages),
                              args.repeat)
            row[name] = seconds / args.messages * 1e6
        base = row["gateway (own)"]
        print(f"{size:>5} B  " + "  ".join(
            f"{name}: {us:6.2f} µs ({us - base:+.2f})" for name, us in row.items()))
    print(json.dumps(results))


# Each contender is raced as the relay would use it; none is run for correctness here
# (tests/realtime/rfc6455 does that for the gateway's framing).


if __name__ == "__main__":
    main()
