"""The cases, modelled on the Autobahn testsuite's sections 1-7 and 9 (framing, pings and
pongs, reserved bits, opcodes, fragmentation, UTF-8, close handling, limits), written
for this project. Each case drives a :class:`Peer` and asserts what RFC 6455 requires."""

from __future__ import annotations

import os
from collections.abc import Callable

from tests.realtime.rfc6455.client import (
    BINARY,
    CLOSE,
    CONTINUATION,
    PING,
    PONG,
    TEXT,
    Peer,
    close_payload,
    frame,
)
from tests.realtime.rfc6455.servers import MAX_MESSAGE

Case = Callable[[Peer], None]
CASES: dict[str, Case] = {}
FAIL = {1002}
"""The connection is failed: RFC 6455 §7.1.7, a close with 1002 (protocol error)."""
NORMAL = {1000, None}


def case(name: str, run: Case) -> None:
    assert name not in CASES
    CASES[name] = run


def closes_normally(peer: Peer) -> None:
    peer.send(CLOSE, close_payload(1000))
    peer.expect_close({1000}, answer=False)


# 1 Framing: text and binary messages of every length class, whole or dribbled

for size in (0, 125, 126, 127, 128, 65535, 65536):
    for opcode, label in ((TEXT, "text"), (BINARY, "binary")):
        def echo(peer: Peer, size: int = size, opcode: int = opcode) -> None:
            payload = b"*" * size if opcode == TEXT else os.urandom(size)
            peer.send(opcode, payload)
            peer.expect_echo(opcode, payload)
            closes_normally(peer)
        case(f"1 {label} {size} bytes", echo)

        def dribbled(peer: Peer, size: int = size, opcode: int = opcode) -> None:
            payload = b"*" * size if opcode == TEXT else os.urandom(size)
            peer.send(opcode, payload, chunk=max(1, size // 8) if size > 200 else 1)
            peer.expect_echo(opcode, payload)
            closes_normally(peer)
        if size in (0, 125, 65536):
            case(f"1 {label} {size} bytes in small TCP writes", dribbled)


# 2 Pings and pongs

for payload, label in ((b"", "empty"), (b"Hello, world!", "text"),
                       (bytes(range(16)) * 2, "binary"), (b"*" * 125, "125 bytes")):
    def pinged(peer: Peer, payload: bytes = payload) -> None:
        peer.send(PING, payload)
        peer.expect_pong(payload)
        closes_normally(peer)
    case(f"2 ping {label}", pinged)


def ping_too_long(peer: Peer) -> None:
    peer.send(PING, b"*" * 126)
    peer.expect_close(FAIL)


def ping_dribbled(peer: Peer) -> None:
    peer.send(PING, b"*" * 125, chunk=1)
    peer.expect_pong(b"*" * 125)
    closes_normally(peer)


def unsolicited_pong(peer: Peer) -> None:
    peer.send(PONG, b"unsolicited")
    peer.send(PING, b"then a ping")
    peer.expect_pong(b"then a ping")
    closes_normally(peer)


def ten_pings(peer: Peer) -> None:
    for n in range(10):
        peer.send(PING, b"ping %d" % n)
    for n in range(10):
        peer.expect_pong(b"ping %d" % n)
    closes_normally(peer)


def ten_pings_dribbled(peer: Peer) -> None:
    peer.send_raw(b"".join(frame(PING, b"ping %d" % n) for n in range(10)), chunk=1)
    for n in range(10):
        peer.expect_pong(b"ping %d" % n)
    closes_normally(peer)


case("2 ping of 126 bytes", ping_too_long)
case("2 ping in small TCP writes", ping_dribbled)
case("2 unsolicited pong, then a ping", unsolicited_pong)
case("2 ten pings", ten_pings)
case("2 ten pings in one-byte TCP writes", ten_pings_dribbled)


# 3 Reserved bits (no extension is negotiated, so any set bit fails the connection)

for rsv in range(1, 8):
    for opcode, label in ((TEXT, "text"), (BINARY, "binary"), (PING, "ping"),
                          (CLOSE, "close")):
        if label == "close" and rsv not in (1, 4, 7):
            continue

        def reserved(peer: Peer, rsv: int = rsv, opcode: int = opcode) -> None:
            peer.send(TEXT, b"before")
            payload = close_payload(1000) if opcode == CLOSE else b"reserved"
            peer.send(opcode, payload, rsv=rsv)
            peer.send(PING, b"after")
            peer.expect_echo(TEXT, b"before")
            peer.expect_close(FAIL)
        case(f"3 rsv {rsv} on {label}", reserved)


# 4 Opcodes: reserved data (3-7) and control (11-15) opcodes fail the connection

for opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
    def unknown(peer: Peer, opcode: int = opcode) -> None:
        peer.send(TEXT, b"before")
        peer.send(opcode, b"" if opcode % 2 else b"payload")
        peer.send(PING, b"after")
        peer.expect_echo(TEXT, b"before")
        peer.expect_close(FAIL)
    case(f"4 opcode {opcode}", unknown)


# 5 Fragmentation

def fragmented_control(opcode: int) -> Case:
    def run(peer: Peer) -> None:
        peer.send(opcode, b"frag", fin=False)
        peer.send(CONTINUATION, b"ment")
        peer.expect_close(FAIL)
    return run


def fragments(opcode: int, parts: list[bytes], *, pings: bool = False,
              chunk: int | None = None) -> Case:
    def run(peer: Peer) -> None:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            peer.send(opcode if index == 0 else CONTINUATION, part, fin=last, chunk=chunk)
            if pings and not last:
                peer.send(PING, b"between %d" % index, chunk=chunk)
        if pings:
            for index in range(len(parts) - 1):
                peer.expect_pong(b"between %d" % index)
        peer.expect_echo(opcode, b"".join(parts))
        closes_normally(peer)
    return run


def continuation_first(fin: bool, *, after_text: bool = False) -> Case:
    def run(peer: Peer) -> None:
        if after_text:
            peer.send(TEXT, b"whole")
        peer.send(CONTINUATION, b"orphan", fin=fin)
        peer.send(TEXT, b"never echoed")
        if after_text:
            peer.expect_echo(TEXT, b"whole")
        peer.expect_close(FAIL)
    return run


def new_message_inside(opcode: int) -> Case:
    def run(peer: Peer) -> None:
        peer.send(TEXT, b"first ", fin=False)
        peer.send(opcode, b"second")
        peer.expect_close(FAIL)
    return run


case("5 fragmented ping", fragmented_control(PING))
case("5 fragmented pong", fragmented_control(PONG))
case("5 fragmented close", fragmented_control(CLOSE))
case("5 text in two fragments", fragments(TEXT, [b"frag", b"ment"]))
case("5 binary in two fragments", fragments(BINARY, [b"\x00\x01", b"\x02\x03"]))
case("5 text in two fragments, ping between", fragments(TEXT, [b"frag", b"ment"], pings=True))
case("5 text in two fragments, one-byte TCP writes",
     fragments(TEXT, [b"frag", b"ment"], pings=True, chunk=1))
case("5 text in empty fragments", fragments(TEXT, [b"", b"", b""]))
case("5 text in ten fragments, pings between", fragments(TEXT, [b"%d" % n for n in range(10)],
                                                        pings=True))
case("5 continuation with nothing to continue", continuation_first(True))
case("5 unfinished continuation with nothing to continue", continuation_first(False))
case("5 continuation after a whole text", continuation_first(True, after_text=True))
case("5 a text starting inside a text", new_message_inside(TEXT))
case("5 a binary starting inside a text", new_message_inside(BINARY))


# 6 UTF-8: valid text is echoed whole or fragmented anywhere; invalid text fails with 1007

VALID = {
    "empty": b"",
    "ascii": b"Hello-World",
    "greek": "κόσμε".encode(),
    "mixed": "Hello-µ@ßöäüàá-UTF-8!!".encode(),
    "U+0080": b"\xc2\x80", "U+07FF": b"\xdf\xbf", "U+0800": b"\xe0\xa0\x80",
    "U+D7FF": b"\xed\x9f\xbf", "U+E000": b"\xee\x80\x80", "U+FFFD": b"\xef\xbf\xbd",
    "U+FFFF": b"\xef\xbf\xbf", "U+10000": b"\xf0\x90\x80\x80",
    "U+10FFFF": b"\xf4\x8f\xbf\xbf", "BOM": b"\xef\xbb\xbf",
}
INVALID = {
    "surrogate in text": b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
    "lone continuation": b"\x80", "lone 0xbf": b"\xbf", "0xfe": b"\xfe", "0xff": b"\xff",
    "overlong slash 2": b"\xc0\xaf", "overlong slash 3": b"\xe0\x80\xaf",
    "overlong slash 4": b"\xf0\x80\x80\xaf", "5-byte form": b"\xf8\x88\x80\x80\xaf",
    "overlong U+007F": b"\xc1\xbf", "truncated 2 of 3": b"\xce\xba\xe1",
    "truncated lead": b"\xc0", "above U+10FFFF": b"\xf4\x90\x80\x80",
    "U+D800": b"\xed\xa0\x80", "U+DFFF": b"\xed\xbf\xbf", "0xf5 lead": b"\xf5\x80\x80\x80",
}


def utf8_valid(payload: bytes, split: int | None) -> Case:
    def run(peer: Peer) -> None:
        if split is None:
            peer.send(TEXT, payload)
        else:
            parts = [payload[i:i + split] for i in range(0, len(payload), split)] or [b""]
            for index, part in enumerate(parts):
                peer.send(TEXT if index == 0 else CONTINUATION, part,
                          fin=index == len(parts) - 1)
        peer.expect_echo(TEXT, payload)
        closes_normally(peer)
    return run


def utf8_invalid(payload: bytes, split: int | None) -> Case:
    def run(peer: Peer) -> None:
        if split is None:
            peer.send(TEXT, payload)
        else:
            parts = [payload[i:i + split] for i in range(0, len(payload), split)]
            for index, part in enumerate(parts):
                peer.send(TEXT if index == 0 else CONTINUATION, part,
                          fin=index == len(parts) - 1)
        peer.expect_close({1007})
    return run


for label, payload in VALID.items():
    case(f"6 valid {label}", utf8_valid(payload, None))
    if len(payload) > 1:
        case(f"6 valid {label}, a fragment per byte", utf8_valid(payload, 1))
for label, payload in INVALID.items():
    case(f"6 invalid {label}", utf8_invalid(payload, None))
    if len(payload) > 1:
        case(f"6 invalid {label}, a fragment per byte", utf8_invalid(payload, 1))


# 7 Close handling

def close_then(extra: Callable[[Peer], None]) -> Case:
    def run(peer: Peer) -> None:
        peer.send(TEXT, b"before")
        peer.send(CLOSE, close_payload(1000))
        extra(peer)
        peer.expect_echo(TEXT, b"before")
        peer.expect_close({1000}, answer=False)
    return run


def close_with(payload: bytes, codes: set[int | None]) -> Case:
    def run(peer: Peer) -> None:
        peer.send(CLOSE, payload)
        peer.expect_close(codes, answer=False)
    return run


def unfinished_then_close(peer: Peer) -> None:
    peer.send(TEXT, b"never ", fin=False)
    peer.send(CLOSE, close_payload(1000))
    peer.expect_close({1000}, answer=False)


def big_text_then_close(peer: Peer) -> None:
    payload = b"*" * (MAX_MESSAGE // 2)
    peer.send(TEXT, payload)
    peer.send(CLOSE, close_payload(1000))
    peer.expect_echo(TEXT, payload)
    peer.expect_close({1000}, answer=False)


case("7 text, close", close_then(lambda peer: None))
case("7 close twice", close_then(lambda peer: peer.send(CLOSE, close_payload(1000))))
case("7 ping after close", close_then(lambda peer: peer.send(PING, b"late")))
case("7 text after close", close_then(lambda peer: peer.send(TEXT, b"late")))
case("7 fragment after close", close_then(lambda peer: peer.send(TEXT, b"late", fin=False)))
case("7 unfinished message, close", unfinished_then_close)
case("7 big text, close", big_text_then_close)
case("7 empty close", close_with(b"", NORMAL))
case("7 one-octet close", close_with(b"\x03", FAIL))
case("7 close with a code", close_with(close_payload(1000), {1000}))
case("7 close with a reason", close_with(close_payload(1000, b"bye"), {1000}))
case("7 close with a 123-byte reason", close_with(close_payload(1000, b"*" * 123), {1000}))
case("7 close of 126 bytes", close_with(close_payload(1000, b"*" * 124), FAIL))
case("7 close reason not UTF-8", close_with(close_payload(1000, INVALID["surrogate in text"]),
                                            {1007}))
for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999):
    case(f"7 valid close code {code}", close_with(close_payload(code), {code, 1000}))
for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
    case(f"7 invalid close code {code}", close_with(close_payload(code), FAIL))


# 9 Limits (scaled to the servers' 256 KiB message limit)

for size in (64 * 1024, 128 * 1024, MAX_MESSAGE):
    for opcode, label in ((TEXT, "text"), (BINARY, "binary")):
        def large(peer: Peer, size: int = size, opcode: int = opcode) -> None:
            payload = b"*" * size if opcode == TEXT else os.urandom(size)
            peer.send(opcode, payload)
            peer.expect_echo(opcode, payload)
            closes_normally(peer)
        case(f"9 {label} of {size // 1024} KiB", large)

for fragment in (64, 256, 1024, 4096, 16384, 65536):
    for opcode, label in ((TEXT, "text"), (BINARY, "binary")):
        payload = b"*" * 65536 if opcode == TEXT else os.urandom(65536)
        case(f"9 64 KiB {label} in {fragment}-byte fragments",
             fragments(opcode, [payload[i:i + fragment] for i in range(0, 65536, fragment)]))


def many_messages(opcode: int, size: int) -> Case:
    def run(peer: Peer) -> None:
        payloads = [(b"%06d" % n + b"*" * size)[:size] for n in range(1000)]
        peer.send_raw(b"".join(frame(opcode, payload) for payload in payloads))
        for payload in payloads:
            peer.expect_echo(opcode, payload)
        closes_normally(peer)
    return run


for size in (16, 256, 4096):
    case(f"9 1000 text messages of {size} bytes", many_messages(TEXT, size))
    case(f"9 1000 binary messages of {size} bytes", many_messages(BINARY, size))


def too_big(fragmented: bool) -> Case:
    def run(peer: Peer) -> None:
        payload = b"*" * (MAX_MESSAGE + 1)
        if fragmented:
            half = len(payload) // 2
            peer.send(TEXT, payload[:half], fin=False)
            peer.send(CONTINUATION, payload[half:])
        else:
            peer.send(TEXT, payload)
        peer.expect_close({1009})
    return run


case("9 text over the limit", too_big(False))
case("9 fragmented text over the limit", too_big(True))
