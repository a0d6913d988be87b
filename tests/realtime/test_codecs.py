"""Socket.IO packets as the JSON and msgpack codecs read and write them."""

import msgspec
import pytest

from rtc_gateway.realtime.codecs import JsonCodec, MsgpackCodec
from rtc_gateway.realtime.packets import (
    ACK,
    BINARY_EVENT,
    CONNECT,
    EVENT,
    MalformedPacket,
    Packet,
)


@pytest.mark.parametrize(("text", "packet"), [
    ("0", Packet(CONNECT, "/")),
    ('0/citizen,{"token":"t"}', Packet(CONNECT, "/citizen", {"token": "t"})),
    ("0/citizen?x=1,", Packet(CONNECT, "/citizen")),
    ('2/agent,17["message:send",{"text":"Où ?"}]',
     Packet(EVENT, "/agent", ["message:send", {"text": "Où ?"}], 17)),
    ('2["typing"]', Packet(EVENT, "/", ["typing"])),
    ("3/citizen,4[]", Packet(ACK, "/citizen", [], 4)),
    ('51-/citizen,9["upload",{"_placeholder":true,"num":0}]',
     Packet(BINARY_EVENT, "/citizen", ["upload", {"_placeholder": True, "num": 0}], 9, 1)),
])
def test_json_packets_are_read(text: str, packet: Packet) -> None:
    assert JsonCodec().decode(text) == packet


@pytest.mark.parametrize(("text", "namespace", "ack_id"), [
    ("", None, None),
    ("9/citizen,", None, None),
    ("2/citizen,5[not json", "/citizen", 5),
    ('2/citizen,7["x",{"t":"\\ud800"}]', "/citizen", 7),
    ("2/citizen,1234567890123456[]", "/citizen", None),
    ("5x-[]", None, None),
])
def test_unreadable_json_packets_say_what_was_read(text: str, namespace: str | None,
                                                   ack_id: int | None) -> None:
    with pytest.raises(MalformedPacket) as refused:
        JsonCodec().decode(text)
    assert (refused.value.namespace, refused.value.ack_id) == (namespace, ack_id)


def test_json_encoding_carries_the_engine_prefix_namespace_and_ack_id() -> None:
    codec = JsonCodec()
    assert codec.encode(EVENT, "/citizen", ["message", {"seq": 1}]) == \
        b'42/citizen,["message",{"seq":1}]'
    assert codec.encode(ACK, "/agent", [{"ok": True}], 12) == b'43/agent,12[{"ok":true}]'
    assert codec.encode(CONNECT, "/") == b"40"
    assert codec.decode(codec.encode(EVENT, "/citizen", ["é", 1], 3)[1:]) == \
        Packet(EVENT, "/citizen", ["é", 1], 3)


def test_msgpack_packets_round_trip_in_the_parser_layout() -> None:
    codec = MsgpackCodec()
    encoded = codec.encode(ACK, "/citizen", [{"ok": True}], 5)
    assert msgspec.msgpack.decode(encoded) == {"type": ACK, "data": [{"ok": True}],
                                               "nsp": "/citizen", "id": 5}
    assert codec.decode(encoded) == Packet(ACK, "/citizen", [{"ok": True}], 5)


@pytest.mark.parametrize("raw", [
    b"\xc1", msgspec.msgpack.encode({"type": 9, "nsp": "/"}),
    msgspec.msgpack.encode({"type": BINARY_EVENT, "nsp": "/citizen", "id": 1}),
    msgspec.msgpack.encode({"nsp": "/"}), "2[]",
])
def test_unreadable_msgpack_packets_are_refused(raw: bytes | str) -> None:
    with pytest.raises(MalformedPacket):
        MsgpackCodec().decode(raw)
