"""The front door: a fresh connection's WebSocket is served by the realtime server
itself, every other request by aiohttp. A raw TCP client checks what a library client
would hide: bytes sent with the handshake, control frames, close codes, bad frames."""

import asyncio
import json
import struct
from collections.abc import AsyncIterator

import aiohttp
import pytest

from rtc_gateway.realtime import front_door
from rtc_gateway.realtime.frames import BINARY, CLOSE, PING, PONG, TEXT
from tests.realtime.echo import EchoNamespace, serving
from tests.realtime.test_frame_reader import client_frame


def opening(query: str = "EIO=4&transport=websocket") -> bytes:
    return (f"GET /socket.io/?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
JOIN = '40/echo,{"let":"me in"}'


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, *, with_opening: bytes = b"",
                   upgrading_sid: str | None = None) -> "RawClient":
        """A new session, or (``upgrading_sid``) a long-polling one's upgrade WebSocket."""
        query = "EIO=4&transport=websocket" + (f"&sid={upgrading_sid}" if upgrading_sid else "")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(opening(query) + with_opening)
        status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert status.startswith(b"HTTP/1.1 101 "), status
        client = cls(reader, writer)
        if upgrading_sid is None:
            assert (await client.text()).startswith('0{"sid":')
        return client

    def send(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        self.writer.write(client_frame(opcode, payload, fin=fin))

    def send_text(self, text: str) -> None:
        self.send(TEXT, text.encode())

    async def frame(self) -> tuple[int, bytes]:
        """The next frame other than an Engine.IO ping (which is answered)."""
        while True:
            first, second = await asyncio.wait_for(self.reader.readexactly(2), 5)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            payload = await self.reader.readexactly(length)
            if (first & 0x0F, payload) != (TEXT, b"2"):
                return first & 0x0F, payload
            self.send_text("3")

    async def text(self) -> str:
        opcode, payload = await self.frame()
        assert opcode == TEXT, (opcode, payload)
        return payload.decode()

    async def joined(self) -> None:
        self.send_text(JOIN)
        assert (await self.text()).startswith("40/echo,")
        assert (await self.text()).startswith('42/echo,["hello"')

    async def closed_with(self) -> int:
        opcode, payload = await self.frame()
        assert opcode == CLOSE, (opcode, payload)
        assert await asyncio.wait_for(self.reader.read(), 5) == b"", "then the server hangs up"
        return int(struct.unpack("!H", payload[:2])[0])


@pytest.fixture
async def door() -> AsyncIterator[tuple[int, EchoNamespace]]:
    async with serving(front_door=True, ping_interval_s=20, ping_timeout_s=1.0) as served:
        yield served


async def test_packets_sent_with_the_handshake_are_handled_in_order(
        door: tuple[int, EchoNamespace]) -> None:
    port, namespace = door
    pipelined = b"".join(client_frame(TEXT, text.encode()) for text in (
        JOIN, '42/echo,1["echo",1]', '42/echo,2["echo",2]'))
    client = await RawClient.open(port, with_opening=pipelined)
    assert (await client.text()).startswith("40/echo,"), "CONNECT is answered first"
    assert (await client.text()).startswith('42/echo,["hello"')
    assert await client.text() == '43/echo,1[{"event":"echo","args":[1]}]'
    assert await client.text() == '43/echo,2[{"event":"echo","args":[2]}]'
    assert namespace.server.stats()["websockets_taken"] == 1


async def test_pings_are_answered_and_fragments_joined(door: tuple[int, EchoNamespace]) -> None:
    port, _ = door
    client = await RawClient.open(port)
    await client.joined()
    client.send(TEXT, b'42/echo,7["ec', fin=False)
    client.send(PING, b"are you there")
    client.send(0x0, b'ho","x"]')
    assert await client.frame() == (PONG, b"are you there")
    assert await client.text() == '43/echo,7[{"event":"echo","args":["x"]}]'


async def test_a_client_close_is_echoed_and_its_sockets_leave(
        door: tuple[int, EchoNamespace]) -> None:
    port, namespace = door
    client = await RawClient.open(port)
    await client.joined()
    client.send(CLOSE, struct.pack("!H", 1000))
    assert await client.closed_with() == 1000
    await namespace.someone_gone()
    assert [reason for _, reason in namespace.gone] == ["transport close"]


@pytest.mark.parametrize(("opcode", "payload", "code"), [
    (TEXT, b"42/echo,[\"\xff\xfe\"]", 1007),
    (BINARY, b"x" * 9000, 1009),
    (0x3, b"", 1002),
])
async def test_a_broken_frame_closes_only_its_connection(
        door: tuple[int, EchoNamespace], opcode: int, payload: bytes, code: int) -> None:
    port, _ = door
    bystander = await RawClient.open(port)
    await bystander.joined()
    client = await RawClient.open(port)
    await client.joined()
    client.send(opcode, payload)
    assert await client.closed_with() == code
    bystander.send_text('42/echo,3["still here"]')
    assert await bystander.text() == '43/echo,3[{"event":"still here","args":[]}]'


async def test_the_server_closes_its_websockets_as_going_away(
        door: tuple[int, EchoNamespace]) -> None:
    port, namespace = door
    client = await RawClient.open(port)
    await client.joined()
    await namespace.server.shutdown()
    assert await client.closed_with() == 1001


async def test_other_requests_still_reach_aiohttp(door: tuple[int, EchoNamespace]) -> None:
    port, namespace = door
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/nowhere") as missing:
            assert missing.status == 404
        async with session.get(f"{base}/socket.io/?EIO=4&transport=polling") as polling:
            assert json.loads((await polling.text())[1:])["upgrades"] == ["websocket"]
        async with session.get(f"{base}/socket.io/?EIO=3&transport=websocket",
                               headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                        "Sec-WebSocket-Version": "13"}) as refused:
            assert refused.status == 400
            assert (await refused.json())["message"] == "Unsupported protocol version"
    assert namespace.server.stats()["websockets_taken"] == 0


async def test_a_request_head_that_never_ends_is_closed(
        door: tuple[int, EchoNamespace], monkeypatch: pytest.MonkeyPatch) -> None:
    port, _ = door
    monkeypatch.setattr(front_door, "HEAD_TIMEOUT_S", 0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n")
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def polling_session(session: aiohttp.ClientSession, port: int) -> tuple[str, str]:
    """A long-polling session connected to ``/echo``, its greeting fetched: (sid, URL)."""
    base = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling"
    async with session.get(base) as opened:
        sid = json.loads((await opened.text())[1:])["sid"]
    polling = f"{base}&sid={sid}"
    async with session.post(polling, data=JOIN) as posted:
        assert await posted.text() == "ok"
    async with session.get(polling) as greeted:
        assert "hello" in await greeted.text()
    return sid, polling


async def test_a_polling_client_upgrades_on_a_fresh_connection(
        door: tuple[int, EchoNamespace]) -> None:
    port, namespace = door
    async with aiohttp.ClientSession() as session:
        sid, polling = await polling_session(session, port)
        waiting_get = asyncio.ensure_future(session.get(polling))
        await asyncio.sleep(0.05)
        client = await RawClient.open(port, upgrading_sid=sid)
        client.send_text("2probe")
        assert await client.text() == "3probe"
        released = await asyncio.wait_for(waiting_get, 5)
        assert await released.text() == "6", "the waiting GET ends with a no-op"
        async with session.post(polling, data='42/echo,1["echo",1]') as posted:
            assert await posted.text() == "ok"
        client.send_text("5")
        assert await client.text() == '43/echo,1[{"event":"echo","args":[1]}]', \
            "what was queued for the next GET comes over the WebSocket"
        client.send_text('42/echo,2["echo",2]')
        assert await client.text() == '43/echo,2[{"event":"echo","args":[2]}]'
        async with session.get(polling) as retired:
            assert retired.status == 400, "the polling session has moved"
    assert namespace.server.stats()["websockets_taken"] == 1
    assert not namespace.gone


@pytest.mark.parametrize("steps", [["2probe", "hello"], ["5"], ["2probe", "2probe"]])
async def test_a_failed_upgrade_closes_the_websocket_and_polling_goes_on(
        door: tuple[int, EchoNamespace], steps: list[str]) -> None:
    port, namespace = door
    async with aiohttp.ClientSession() as session:
        sid, polling = await polling_session(session, port)
        client = await RawClient.open(port, upgrading_sid=sid)
        for step in steps:
            client.send_text(step)
        if steps[0] == "2probe":
            assert await client.text() == "3probe"
        assert await client.closed_with() == 1000
        async with session.post(polling, data='42/echo,3["echo",3]') as posted:
            assert await posted.text() == "ok"
        async with session.get(polling) as answer:
            assert '43/echo,3[{"event":"echo","args":[3]}]' in await answer.text()
    assert not namespace.gone


async def test_an_upgrade_never_finished_is_abandoned(door: tuple[int, EchoNamespace]) -> None:
    port, namespace = door
    async with aiohttp.ClientSession() as session:
        sid, polling = await polling_session(session, port)
        client = await RawClient.open(port, upgrading_sid=sid)
        assert await client.closed_with() == 1000, "closed after the ping timeout"
        async with session.post(polling, data='42/echo,4["echo",4]') as posted:
            assert await posted.text() == "ok"
    assert not namespace.gone


async def test_an_oversized_head_is_refused_and_others_go_on(
        door: tuple[int, EchoNamespace]) -> None:
    port, _ = door
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
                 + b"X-Filler: " + b"a" * 20000 + b"\r\n\r\n")
    status = await asyncio.wait_for(reader.readline(), 5)
    assert status.split()[1] in (b"400", b"431"), status
    writer.close()
    client = await RawClient.open(port)
    await client.joined()


async def test_while_shedding_load_packets_wait_and_then_come_in_order(
        door: tuple[int, EchoNamespace]) -> None:
    port, namespace = door
    client = await RawClient.open(port)
    await client.joined()
    namespace.server.shed_load(True)
    late = await RawClient.open(port)
    for ack_id in range(3):
        client.send_text(f'42/echo,{ack_id}["echo",{ack_id}]')
    late.send_text(JOIN)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.reader.readexactly(1), 0.3)
    namespace.server.shed_load(False)
    assert [await client.text() for _ in range(3)] == [
        f'43/echo,{i}[{{"event":"echo","args":[{i}]}}]' for i in range(3)]
    assert (await late.text()).startswith("40/echo,"), "a connection opened meanwhile too"
    assert namespace.server.stats()["reading_paused"] == 1


async def test_clients_are_not_timed_out_for_pongs_unread_while_shedding() -> None:
    async with serving(front_door=True, ping_interval_s=0.2, ping_timeout_s=0.2) as (
            port, namespace):
        client = await RawClient.open(port)
        await client.joined()
        namespace.server.shed_load(True)
        answering = asyncio.ensure_future(client.frame())  # answers every ping meanwhile
        await asyncio.sleep(1.0)
        namespace.server.shed_load(False)
        client.send_text('42/echo,1["still here"]')
        await asyncio.sleep(0.3)
        assert namespace.server.stats()["heartbeat_timeouts"] == 0
        assert await asyncio.wait_for(answering, 5) == \
            (TEXT, b'43/echo,1[{"event":"still here","args":[]}]')


async def test_packets_before_a_broken_frame_are_still_handled(
        door: tuple[int, EchoNamespace]) -> None:
    port, _ = door
    bystander = await RawClient.open(port)
    await bystander.joined()
    client = await RawClient.open(port)
    await client.joined()
    client.writer.write(client_frame(TEXT, b'42/echo,5["flood",1]')
                        + client_frame(TEXT, b"unmasked", masked=False))
    assert (await bystander.text()).startswith('42/echo,["big","xxx'), \
        "the event sent just before the broken frame was handled"
    opcode, payload = await client.frame()
    while opcode != CLOSE:  # its own copy of the flood may come first
        opcode, payload = await client.frame()
    assert struct.unpack("!H", payload[:2])[0] == 1002
