"""Engine.IO v4 / Socket.IO v5 wire format, spoken directly (JSON and msgpack parsers).

Only what a load client needs: namespace connect, events with ack ids, acks, connect
errors, Engine.IO open/ping/close. Binary attachments are not used by the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import msgpack
import msgspec

CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = 0, 1, 2, 3, 4

EIO_OPEN, EIO_CLOSE, EIO_PING, EIO_PONG, EIO_MESSAGE = "0", "1", "2", "3", "4"

_json_encode = msgspec.json.encode
_json_decode = msgspec.json.decode


@dataclass(slots=True)
class Packet:
    kind: int
    namespace: str
    ack_id: int | None
    data: Any


class Codec(Protocol):
    name: str

    def connect(self, namespace: str, auth: dict[str, Any] | None) -> str | bytes: ...

    def event(self, namespace: str, ack_id: int | None, name: str,
              payload: Any) -> str | bytes: ...

    def decode(self, body: str | bytes) -> Packet:
        """Decode the body of an Engine.IO message (text without the '4', or binary)."""
        ...


class JsonCodec:
    """The default Socket.IO parser: ``<type>[/nsp,][id][json]`` in a text frame."""

    name = "json"

    def connect(self, namespace: str, auth: dict[str, Any] | None) -> str:
        body = "" if auth is None else _json_encode(auth).decode()
        return f"{EIO_MESSAGE}{CONNECT}{namespace},{body}"

    def event(self, namespace: str, ack_id: int | None, name: str, payload: Any) -> str:
        ack = "" if ack_id is None else str(ack_id)
        return f"{EIO_MESSAGE}{EVENT}{namespace},{ack}{_json_encode([name, payload]).decode()}"

    def decode(self, body: str | bytes) -> Packet:
        text = body if isinstance(body, str) else body.decode()
        kind = ord(text[0]) - 48
        index = 1
        namespace = "/"
        if len(text) > 1 and text[1] == "/":
            comma = text.find(",", 1)
            if comma < 0:
                return Packet(kind, text[1:], None, None)
            namespace = text[1:comma]
            index = comma + 1
        start = index
        while index < len(text) and text[index].isdigit():
            index += 1
        ack_id = int(text[start:index]) if index > start else None
        data = _json_decode(text[index:]) if index < len(text) else None
        return Packet(kind, namespace, ack_id, data)


class MsgpackCodec:
    """``socket.io-msgpack-parser``: one msgpack map ``{type, data, nsp, id?}`` per binary frame."""

    name = "msgpack"

    def connect(self, namespace: str, auth: dict[str, Any] | None) -> bytes:
        packet: dict[str, Any] = {"type": CONNECT, "nsp": namespace}
        if auth is not None:
            packet["data"] = auth
        return msgpack.packb(packet)  # type: ignore[no-any-return]

    def event(self, namespace: str, ack_id: int | None, name: str, payload: Any) -> bytes:
        packet: dict[str, Any] = {"type": EVENT, "data": [name, payload], "nsp": namespace}
        if ack_id is not None:
            packet["id"] = ack_id
        return msgpack.packb(packet)  # type: ignore[no-any-return]

    def decode(self, body: str | bytes) -> Packet:
        raw = body.encode() if isinstance(body, str) else body
        packet = msgpack.unpackb(raw)
        return Packet(packet["type"], packet.get("nsp", "/"), packet.get("id"), packet.get("data"))


def codec_for(serializer: str) -> Codec:
    if serializer == "json":
        return JsonCodec()
    if serializer == "msgpack":
        return MsgpackCodec()
    raise ValueError(f"unknown serializer {serializer!r}")
