"""Socket.IO packets as the JSON and msgpack codecs read and write them."""

import msgspec
import pytest

from rtc_gateway.realtime.codecs import JsonCodec, MsgpackCodec
from rtc_gateway.realtime.nesting import DEFAULT_MAX_DEPTH, json_too_deep, value_too_deep
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


def nested(depth: int, inner: object = 0) -> object:
    value = inner
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def json_text(value: object) -> str:
    return msgspec.json.encode(value).decode()


@pytest.mark.parametrize("codec", [JsonCodec(), MsgpackCodec()], ids=["json", "msgpack"])
def test_a_payload_may_nest_as_deep_as_the_limit_and_no_deeper(
        codec: JsonCodec | MsgpackCodec) -> None:
    def packet(depth: int) -> str | bytes:
        data = ["event", nested(depth - 1)]
        if isinstance(codec, JsonCodec):
            return "2/citizen,3" + json_text(data)
        return msgspec.msgpack.encode({"type": EVENT, "nsp": "/citizen", "data": data, "id": 3})

    assert codec.decode(packet(DEFAULT_MAX_DEPTH)).data[0] == "event"
    with pytest.raises(MalformedPacket, match="nests too deeply") as refused:
        codec.decode(packet(DEFAULT_MAX_DEPTH + 1))
    assert (refused.value.namespace, refused.value.ack_id, refused.value.kind) == \
        ("/citizen", 3, EVENT)


@pytest.mark.parametrize("codec", [JsonCodec(), MsgpackCodec()], ids=["json", "msgpack"])
def test_a_thousand_levels_are_refused_without_exhausting_the_stack(
        codec: JsonCodec | MsgpackCodec) -> None:
    text = "2/citizen,4[" + "[" * 1000 + "]" * 1000 + "]"
    raw: str | bytes = text
    if isinstance(codec, MsgpackCodec):  # built by hand: msgspec cannot encode it either
        raw = b"\x84\xa4type\x02\xa3nsp\xa8/citizen\xa2id\x04\xa4data" + b"\x91" * 1000 + b"\x90"
    with pytest.raises(MalformedPacket, match="nests too deeply"):
        codec.decode(raw)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json_text(["message:send", {"text": "[[[{{{" * 50, "quote": '\\"[[[[' * 20}])
    assert not json_too_deep(text, 3)
    assert json_too_deep('[[[[{"a": "]]]]"}]]]]', 4)
    assert JsonCodec(max_depth=2).decode("2" + text).data[1]["text"].startswith("[[[")


def test_a_deep_value_is_found_without_recursion() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert value_too_deep(deep, DEFAULT_MAX_DEPTH)
    assert not value_too_deep({"a": [1, {"b": (2, 3)}]}, 4)
    assert value_too_deep({"a": [1, {"b": (2, 3)}]}, 3)
