"""Reading client frames: unmasking, fragments, control frames, and what the RFC forbids."""

import os
import random
import struct

import pytest

from rtc_gateway.realtime.frame_reader import (
    MESSAGE_TOO_BIG,
    PROTOCOL_ERROR,
    FrameReader,
    close_answer,
    unmask,
)
from rtc_gateway.realtime.frames import BINARY, CLOSE, CONTINUATION, PING, TEXT


def client_frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True,
                 rsv: int = 0) -> bytes:
    first = (0x80 if fin else 0) | rsv | opcode
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, (0x80 if masked else 0) | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, (0x80 if masked else 0) | 126, length)
    else:
        header = struct.pack("!BBQ", first, (0x80 if masked else 0) | 127, length)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 125, 126, 65535, 65536])
def test_messages_of_every_length_class_are_unmasked(size: int) -> None:
    payload = os.urandom(size)
    assert FrameReader(1 << 20).feed(client_frame(BINARY, payload)) == [(BINARY, payload)]


def test_unmask_is_its_own_inverse() -> None:
    mask, payload = b"\x01\x02\x03\x04", b"hello, officer"
    assert unmask(mask, unmask(mask, payload)) == payload
    assert unmask(mask, b"") == b""


def test_frames_split_anywhere_come_out_whole_and_in_order() -> None:
    stream = (client_frame(TEXT, "42[\"é\"]".encode()) + client_frame(PING, b"p")
              + client_frame(BINARY, b"\x00" * 300))
    reader = FrameReader(4096)
    messages = []
    for position in range(len(stream)):
        messages += reader.feed(stream[position:position + 1])
    assert messages == [(TEXT, "42[\"é\"]".encode()), (PING, b"p"), (BINARY, b"\x00" * 300)]


def test_a_fragmented_message_is_joined_around_a_control_frame() -> None:
    reader = FrameReader(4096)
    assert reader.feed(client_frame(TEXT, b"42[\"he", fin=False)) == []
    assert reader.feed(client_frame(PING, b"") + client_frame(CONTINUATION, b"llo\"", fin=False)) \
        == [(PING, b"")]
    assert reader.feed(client_frame(CONTINUATION, b"]")) == [(TEXT, b"42[\"hello\"]")]
    assert reader.feed(client_frame(TEXT, b"2")) == [(TEXT, b"2")], "the reader starts afresh"


@pytest.mark.parametrize(("frames", "code"), [
    (client_frame(TEXT, b"x", masked=False), PROTOCOL_ERROR),
    (client_frame(TEXT, b"x", rsv=0x40), PROTOCOL_ERROR),
    (client_frame(0x3, b"x"), PROTOCOL_ERROR),
    (client_frame(CONTINUATION, b"x"), PROTOCOL_ERROR),
    (client_frame(PING, b"x" * 126), PROTOCOL_ERROR),
    (client_frame(CLOSE, b"\x03\xe8", fin=False), PROTOCOL_ERROR),
    (client_frame(TEXT, b"a", fin=False) + client_frame(TEXT, b"b"), PROTOCOL_ERROR),
    (client_frame(TEXT, b"x" * 101), MESSAGE_TOO_BIG),
    (client_frame(TEXT, b"x" * 60, fin=False) + client_frame(CONTINUATION, b"x" * 60),
     MESSAGE_TOO_BIG),
])
def test_what_the_rfc_forbids_is_refused_with_its_close_code(frames: bytes, code: int) -> None:
    reader = FrameReader(100)
    before = client_frame(TEXT, b"42[\"sent before\"]")
    assert reader.feed(before + frames) == [(TEXT, b"42[\"sent before\"]")], \
        "what came before the violation is still read"
    assert reader.violation is not None and reader.violation.code == code
    assert reader.feed(client_frame(TEXT, b"2")) == [], "nothing after it is"


def test_an_oversized_message_is_refused_from_its_header_alone() -> None:
    header_only = client_frame(BINARY, b"x" * 70000)[:14]
    reader = FrameReader(65536)
    assert reader.feed(header_only) == []
    assert reader.violation is not None and reader.violation.code == MESSAGE_TOO_BIG


def test_any_bytes_in_any_chunks_give_messages_or_a_close_code() -> None:
    """Whatever a client sends, the reader answers with messages or a violation, never
    another exception (it faces the internet)."""
    draw = random.Random(6455)
    valid = (client_frame(TEXT, b"42[\"x\"]") + client_frame(PING, b"")
             + client_frame(BINARY, b"\x01" * 200, fin=False) + client_frame(CONTINUATION, b"!"))
    for _ in range(3000):
        stream = bytearray(valid)
        for _ in range(draw.randrange(0, 4)):
            stream[draw.randrange(len(stream))] = draw.randrange(256)
        if draw.random() < 0.3:
            stream = bytearray(draw.randbytes(draw.randrange(1, 300)))
        reader = FrameReader(256)
        position = 0
        while position < len(stream):
            step = draw.randrange(1, 40)
            for opcode, payload in reader.feed(bytes(stream[position:position + step])):
                assert opcode in (TEXT, BINARY, CLOSE, PING, 0xA)
                assert len(payload) <= 256
            position += step
        if reader.violation is not None:
            assert reader.violation.code in (PROTOCOL_ERROR, MESSAGE_TOO_BIG)


def test_a_message_in_too_many_fragments_is_refused_as_too_big() -> None:
    reader = FrameReader(1 << 20, max_fragments=10)
    frames = client_frame(TEXT, b"", fin=False) + client_frame(CONTINUATION, b"", fin=False) * 20
    assert reader.feed(frames) == []
    assert reader.violation is not None and reader.violation.code == MESSAGE_TOO_BIG
    within = FrameReader(1 << 20, max_fragments=10)
    frames = client_frame(TEXT, b"a", fin=False) + client_frame(CONTINUATION, b"b", fin=False) \
        * 8 + client_frame(CONTINUATION, b"c")
    assert within.feed(frames) == [(TEXT, b"a" + b"b" * 8 + b"c")]


@pytest.mark.parametrize(("payload", "answer"), [
    (b"", 1000), (b"\x03", 1002), (struct.pack("!H", 1000), 1000),
    (struct.pack("!H", 1001) + "à bientôt".encode(), 1001),
    (struct.pack("!H", 4999), 4999), (struct.pack("!H", 1014), 1014),
    (struct.pack("!H", 1000) + b"\xff", 1007),
    *[(struct.pack("!H", code), 1002)
      for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)],
])
def test_a_close_frame_is_answered_as_rfc_6455_says(payload: bytes, answer: int) -> None:
    assert close_answer(payload) == answer


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 125, 4000, 65537])
def test_the_c_masking_is_the_python_masking(size: int) -> None:
    from rtc_gateway.realtime.frame_reader import _unmask_in_python
    payload, mask = os.urandom(size), os.urandom(4)
    assert unmask(mask, payload) == _unmask_in_python(mask, payload)
