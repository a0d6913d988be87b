"""The lean client's wire format, checked against python-socketio's own packet classes."""

from socketio.msgpack_packet import MsgPackPacket
from socketio.packet import ACK, CONNECT, EVENT, Packet

from loadtest.wire import EIO_MESSAGE, JsonCodec, MsgpackCodec

PAYLOAD = {"conversation_id": "cv_1", "client_msg_id": "w0-1", "text": "bonjour, à vous"}


def test_json_event_is_what_python_socketio_decodes() -> None:
    frame = JsonCodec().event("/citizen", 12, "message:send", PAYLOAD)
    assert frame.startswith(EIO_MESSAGE)
    packet = Packet(encoded_packet=frame[1:])
    assert (packet.packet_type, packet.namespace, packet.id) == (EVENT, "/citizen", 12)
    assert packet.data == ["message:send", PAYLOAD]


def test_json_connect_carries_auth() -> None:
    packet = Packet(encoded_packet=JsonCodec().connect("/agent", {"token": "t"})[1:])
    assert (packet.packet_type, packet.namespace) == (CONNECT, "/agent")
    assert packet.data == {"token": "t"}


def test_json_decodes_python_socketio_ack() -> None:
    encoded = Packet(ACK, [{"ok": True, "seq": 3}], namespace="/agent", id=7).encode()
    decoded = JsonCodec().decode(encoded)
    assert (decoded.kind, decoded.namespace, decoded.ack_id) == (ACK, "/agent", 7)
    assert decoded.data == [{"ok": True, "seq": 3}]


def test_msgpack_round_trips_with_python_socketio() -> None:
    frame = MsgpackCodec().event("/citizen", 5, "message:send", PAYLOAD)
    packet = MsgPackPacket(encoded_packet=frame)
    assert (packet.packet_type, packet.namespace, packet.id) == (EVENT, "/citizen", 5)
    assert packet.data == ["message:send", PAYLOAD]
    encoded = MsgPackPacket(ACK, [{"ok": False}], namespace="/citizen", id=5).encode()
    decoded = MsgpackCodec().decode(encoded)
    assert (decoded.kind, decoded.ack_id, decoded.data) == (ACK, 5, [{"ok": False}])
