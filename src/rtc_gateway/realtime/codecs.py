"""The two Socket.IO serializers a server may speak: JSON text and socket.io-msgpack-parser.

A codec turns one Socket.IO packet into the payload of one WebSocket message (with the
Engine.IO message prefix for text) and back. Encoding yields bytes, so a packet sent
to a room is encoded once and written as-is to every member.
"""

import re
from typing import Any, Protocol

import msgspec

from rtc_gateway.realtime import fast_json
from rtc_gateway.realtime.frames import BINARY, TEXT
from rtc_gateway.realtime.nesting import (
    DEFAULT_MAX_DEPTH,
    json_too_deep,
    msgpack_may_be_too_deep,
    value_too_deep,
)
from rtc_gateway.realtime.packets import (
    BINARY_ACK,
    BINARY_EVENT,
    DEFAULT_NAMESPACE,
    MalformedPacket,
    Packet,
)

MAX_ACK_ID_DIGITS = 15
MAX_HEADS = 64
"""Packet heads kept spelled: kinds times the namespaces a server answers in."""
_DIGITS = re.compile("[0-9]*").match
"""The ack id's digits (ASCII only), in one call rather than a loop over characters."""
_KINDS = range(7)
TOO_DEEP = "payload nests too deeply"
_packet = Packet._make
"""A packet from its five fields: the named tuple's own constructor is a Python function
with defaults, twice the instructions of ``_make``."""


class Codec(Protocol):
    opcode: int
    """The WebSocket opcode its messages travel in."""

    def encode(self, kind: int, namespace: str, data: Any = None,
               ack_id: int | None = None) -> bytes: ...

    def decode(self, message: str | bytes) -> Packet: ...


class JsonCodec:
    opcode = TEXT

    def __init__(self, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self._max_depth = max_depth
        self._heads: dict[tuple[int, str], bytes] = {}
        """Each packet kind and namespace's head, spelled once (a server has a few)."""

    def encode(self, kind: int, namespace: str, data: Any = None,
               ack_id: int | None = None) -> bytes:
        head = self._heads.get((kind, namespace))
        if head is None:
            head = self._head(kind, namespace)
        if ack_id is not None:
            head += str(ack_id).encode()
        return head if data is None else head + fast_json.encode(data)

    def _head(self, kind: int, namespace: str) -> bytes:
        text = f"4{kind}" if namespace == DEFAULT_NAMESPACE else f"4{kind}{namespace},"
        head = text.encode("utf-8")
        if len(self._heads) < MAX_HEADS:
            self._heads[(kind, namespace)] = head
        return head

    def decode(self, message: str | bytes) -> Packet:
        """``message`` is the Engine.IO payload after its ``4`` prefix."""
        text = message if isinstance(message, str) else message.decode("utf-8")
        if not text or text[0] not in "0123456":
            raise MalformedPacket("unknown packet type")
        kind = ord(text[0]) - 48
        at, attachments = _attachments(text, kind)
        namespace, at = _namespace(text, at)
        ack_id, at = _ack_id(text, at, namespace)
        if at == len(text):
            return _packet((kind, namespace, None, ack_id, attachments))
        payload = text[at:]
        if json_too_deep(payload, self._max_depth):
            raise MalformedPacket(TOO_DEEP, namespace, ack_id, kind)
        try:
            data = fast_json.decode(payload)
        except fast_json.UnencodableText as error:
            raise MalformedPacket(str(error), namespace, ack_id, kind) from None
        except ValueError:
            raise MalformedPacket("payload is not JSON", namespace, ack_id, kind) from None
        return _packet((kind, namespace, data, ack_id, attachments))


def _attachments(text: str, kind: int) -> tuple[int, int]:
    if kind not in (BINARY_EVENT, BINARY_ACK):
        return 1, 0
    dash = text.find("-", 1)
    count = text[1:dash]
    if dash < 0 or not count.isascii() or not count.isdigit() or len(count) > 6:
        raise MalformedPacket("bad attachment count")
    return dash + 1, int(count)


def _namespace(text: str, at: int) -> tuple[str, int]:
    if not text.startswith("/", at):
        return DEFAULT_NAMESPACE, at
    comma = text.find(",", at)
    end = len(text) if comma < 0 else comma
    namespace = text[at:end].split("?", 1)[0]
    return namespace, end if comma < 0 else comma + 1


def _ack_id(text: str, at: int, namespace: str) -> tuple[int | None, int]:
    digits = _DIGITS(text, at)
    end = digits.end() if digits is not None else at
    if end == at:
        return None, at
    if end - at > MAX_ACK_ID_DIGITS:
        raise MalformedPacket("ack id too long", namespace)
    return int(text[at:end]), end


class _WirePacket(msgspec.Struct, forbid_unknown_fields=False):
    type: int
    nsp: str = DEFAULT_NAMESPACE
    data: Any = None
    id: int | None = None


class MsgpackCodec:
    """socket.io-msgpack-parser: one msgpack map ``{type, data, nsp, id}`` per binary message."""

    opcode = BINARY

    def __init__(self, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(_WirePacket)
        self._max_depth = max_depth

    def encode(self, kind: int, namespace: str, data: Any = None,
               ack_id: int | None = None) -> bytes:
        packet: dict[str, Any] = {"type": kind, "data": data, "nsp": namespace}
        if ack_id is not None:
            packet["id"] = ack_id
        return self._encoder.encode(packet)

    def decode(self, message: str | bytes) -> Packet:
        if isinstance(message, str):
            raise MalformedPacket("a msgpack server takes binary messages")
        try:
            wire = self._decoder.decode(message)
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise MalformedPacket("not a msgpack packet") from None
        except RecursionError:  # deeper than the decoder's stack: nothing of it was read
            raise MalformedPacket(TOO_DEEP) from None
        if wire.type not in _KINDS or wire.type in (BINARY_EVENT, BINARY_ACK):
            raise MalformedPacket("unknown packet type", wire.nsp, wire.id)
        if wire.id is not None and not 0 <= wire.id < 10**MAX_ACK_ID_DIGITS:
            raise MalformedPacket("bad ack id", wire.nsp)
        if msgpack_may_be_too_deep(message, self._max_depth + 1) \
                and value_too_deep(wire.data, self._max_depth):
            raise MalformedPacket(TOO_DEEP, wire.nsp, wire.id, wire.type)
        return _packet((wire.type, wire.nsp, wire.data, wire.id, 0))


def codec_for(serializer: str, max_depth: int = DEFAULT_MAX_DEPTH) -> Codec:
    return MsgpackCodec(max_depth) if serializer == "msgpack" else JsonCodec(max_depth)
