"""The realtime server's own contract, with a raw WebSocket client: handshake, connect
and refusal, acks, unreadable packets, heartbeat, and slow readers."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgspec
import pytest

from rtc_gateway.realtime.codecs import MsgpackCodec
from tests.realtime.echo import EchoNamespace, serving


@pytest.fixture(params=["front door", "aiohttp route"])
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, EchoNamespace]]:
    """The same server behind the front door (WebSockets it owns) and behind a plain
    aiohttp site (WebSockets served through aiohttp): every test runs on both."""
    async with serving(front_door=request.param == "front door") as (port, namespace):
        yield f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", namespace


async def joined(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(url)
    opening = json.loads((await ws.receive_str())[1:])
    assert opening["upgrades"] == [] and opening["pingInterval"] == 300
    await ws.send_str('40/echo,{"let":"me in"}')
    connected = await ws.receive_str()
    assert connected.startswith('40/echo,{"sid":')
    assert await ws.receive_str() == '42/echo,["hello",{"remote":"127.0.0.1"}]'
    return ws


async def next_message(ws: aiohttp.ClientWebSocketResponse) -> str:
    """The next Socket.IO message, answering pings on the way."""
    while True:
        text = await asyncio.wait_for(ws.receive_str(), 5)
        if text == "2":
            await ws.send_str("3")
            continue
        return text


async def test_events_are_acknowledged_in_order(served: tuple[str, EchoNamespace]) -> None:
    url, _ = served
    async with aiohttp.ClientSession() as session:
        ws = await joined(session, url)
        for ack_id in range(5):
            await ws.send_str(f'42/echo,{ack_id}["echo",{{"n":{ack_id}}}]')
        answers = [await next_message(ws) for _ in range(5)]
        assert answers == [f'43/echo,{i}[{{"event":"echo","args":[{{"n":{i}}}]}}]'
                           for i in range(5)]


async def test_refusals_and_unknown_namespaces(served: tuple[str, EchoNamespace]) -> None:
    url, _ = served
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_str()
        await ws.send_str('40/echo,{"let":"nope"}')
        assert await ws.receive_str() == \
            '44/echo,{"message":"refused","data":{"code":"unauthorized"}}'
        await ws.send_str("40/nowhere,")
        assert await ws.receive_str() == '44/nowhere,{"message":"Invalid namespace"}'
        await ws.send_str('42/echo,1["echo"]')
        await ws.send_str('40/echo,{"let":"me in"}')
        assert (await ws.receive_str()).startswith("40/echo,"), \
            "the event of a socket not connected is ignored, the connection stays"


async def test_unreadable_packets_get_an_answer_and_the_connection_stays(
        served: tuple[str, EchoNamespace]) -> None:
    url, _ = served
    async with aiohttp.ClientSession() as session:
        ws = await joined(session, url)
        await ws.send_str("42/echo,7[not json")
        assert await next_message(ws) == '43/echo,7[{"malformed":"payload is not JSON"}]'
        await ws.send_str('42/echo,8{"not":"a list"}')
        assert "an event is a list" in await next_message(ws)
        await ws.send_str('451-/echo,9["upload",{"_placeholder":true,"num":0}]')
        await ws.send_bytes(b"\x00\x01")
        assert "binary attachments" in await next_message(ws)
        await ws.send_str('42/echo,10["echo"]')
        assert await next_message(ws) == '43/echo,10[{"event":"echo","args":[]}]'


async def test_a_client_that_stops_answering_pings_is_disconnected(
        served: tuple[str, EchoNamespace]) -> None:
    url, namespace = served
    async with aiohttp.ClientSession() as session:
        ws = await joined(session, url)
        for _ in range(3):  # answered pings keep it alive past interval + timeout
            assert await asyncio.wait_for(ws.receive_str(), 2) == "2"
            await ws.send_str("3")
        assert not namespace.gone
        assert await asyncio.wait_for(ws.receive_str(), 2) == "2"
        closed = await asyncio.wait_for(ws.receive(), 3)
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                               aiohttp.WSMsgType.ERROR)
    await namespace.someone_gone()
    assert [reason for _, reason in namespace.gone] == ["transport close"]
    assert namespace.server.stats()["heartbeat_timeouts"] == 1


async def test_a_reader_that_falls_behind_is_cut_off_and_others_are_served(
        served: tuple[str, EchoNamespace]) -> None:
    url, namespace = served
    async with aiohttp.ClientSession() as session:
        stalled = await joined(session, url)
        healthy = await joined(session, url)
        await healthy.send_str('42/echo,1["flood",6000]')  # 24 MB to each member of "all"
        received = 0
        while True:
            text = await next_message(healthy)
            if text.startswith("43/echo,1"):
                break
            received += 1
        await namespace.someone_gone()
        assert len(namespace.gone) == 1, "the stalled reader was cut off"
        assert namespace.server.stats()["cut_off"] == 1
        await healthy.send_str('42/echo,2["echo"]')
        while not (await next_message(healthy)).startswith("43/echo,2"):
            received += 1
        assert received == 6000, "the reader that kept up got everything"
        await stalled.close()


async def polling_session(session: aiohttp.ClientSession, url: str) -> str:
    """Open a long-polling session and connect it to ``/echo``; its polling address."""
    http = url.replace("ws://", "http://").replace("transport=websocket", "transport=polling")
    async with session.get(http) as opened:
        sid = json.loads((await opened.text())[1:])["sid"]
    polling = f"{http}&sid={sid}"
    async with session.post(polling, data='40/echo,{"let":"me in"}') as posted:
        assert await posted.text() == "ok"
    return polling


async def test_a_polling_session_that_stops_polling_is_dropped(
        served: tuple[str, EchoNamespace]) -> None:
    url, namespace = served
    async with aiohttp.ClientSession() as session:
        polling = await polling_session(session, url)
        async with session.get(polling) as answer:
            packets = (await answer.text()).split("\x1e")
        assert packets[0].startswith("40/echo,") and "hello" in packets[1]
        async with session.post(polling, data='42/echo,1["echo",{"x":1}]\x1e3'):
            pass
        async with session.get(polling) as answer:
            assert '43/echo,1[{"event":"echo"' in await answer.text()
        with pytest.raises(aiohttp.WSServerHandshakeError) as unknown:
            await session.ws_connect(url + "&sid=nobody")
        assert unknown.value.status == 400
    await namespace.someone_gone()  # no more GET: the heartbeat's ping is never answered
    assert [reason for _, reason in namespace.gone] == ["transport close"]


async def test_a_polling_client_that_lets_packets_pile_up_is_cut_off(
        served: tuple[str, EchoNamespace]) -> None:
    url, namespace = served
    async with aiohttp.ClientSession() as session:
        polling = await polling_session(session, url)
        healthy = await joined(session, url)
        await healthy.send_str('42/echo,1["flood",200]')  # 800 KB, never fetched by the GET
        while not (await next_message(healthy)).startswith("43/echo,1"):
            pass
        assert namespace.server.stats()["cut_off"] == 1
        async with session.get(polling) as gone:
            assert gone.status == 400
    await namespace.someone_gone()
    assert len(namespace.gone) == 1


DEEP = "[" * 1000 + "]" * 1000


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [record for record in caplog.records
                if record.exc_info or record.levelno >= logging.ERROR]


async def test_deep_nesting_is_refused_and_the_websocket_stays(
        served: tuple[str, EchoNamespace], caplog: pytest.LogCaptureFixture) -> None:
    url, namespace = served
    async with aiohttp.ClientSession() as session:
        ws = await joined(session, url)
        await ws.send_str(f'42/echo,7["echo",{DEEP}]')
        assert await next_message(ws) == \
            '43/echo,7[{"malformed":"payload nests too deeply"}]'
        await ws.send_str(f'42/echo,["echo",{DEEP}]')
        await ws.send_str('42/echo,8["echo"]')
        assert await next_message(ws) == '43/echo,8[{"event":"echo","args":[]}]'
        assert namespace.server.stats()["unreadable_dropped"] == 1
        assert not namespace.gone
    no_traceback(caplog)


async def test_deep_nesting_in_a_post_spares_the_packets_after_it(
        served: tuple[str, EchoNamespace], caplog: pytest.LogCaptureFixture) -> None:
    url, namespace = served
    async with aiohttp.ClientSession() as session:
        polling = await polling_session(session, url)
        async with session.get(polling) as greeted:
            assert "hello" in await greeted.text()
        body = f'42/echo,1["echo",{DEEP}]\x1e42/echo,["echo",{DEEP}]\x1e42/echo,2["echo",3]'
        async with session.post(polling, data=body) as posted:
            assert (posted.status, await posted.text()) == (200, "ok")
        async with session.get(polling) as answer:
            assert (await answer.text()).split("\x1e") == [
                '43/echo,1[{"malformed":"payload nests too deeply"}]',
                '43/echo,2[{"event":"echo","args":[3]}]']
        assert namespace.server.stats()["unreadable_dropped"] == 1
    no_traceback(caplog)


async def test_deep_nesting_is_refused_by_the_msgpack_server(
        caplog: pytest.LogCaptureFixture) -> None:
    codec = MsgpackCodec()
    deep = b"\x84\xa4type\x02\xa3nsp\xa5/echo\xa2id\x05\xa4data" + b"\x91" * 1000 + b"\x90"
    async with serving(front_door=True, codec=codec) as (port, namespace), \
            aiohttp.ClientSession() as session, \
            session.ws_connect(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
                               ) as ws:
        await ws.receive_str()

        async def exchange(packet: dict[str, Any]) -> dict[str, Any]:
            await ws.send_bytes(msgspec.msgpack.encode(packet))
            while (message := await asyncio.wait_for(ws.receive(), 5)).type \
                    is aiohttp.WSMsgType.TEXT:
                await ws.send_str("3")
            answer: dict[str, Any] = msgspec.msgpack.decode(message.data)
            return answer

        assert (await exchange({"type": 0, "nsp": "/echo", "data": [1]}))["data"]["data"] \
            == {"code": "bad_request", "message": "auth must be an object"}
        assert (await exchange({"type": 0, "nsp": "/echo", "data": {"let": "me in"}}))["type"] == 0
        await ws.receive_bytes()  # hello
        nested: Any = 0
        for _ in range(40):
            nested = [nested]
        assert (await exchange({"type": 2, "nsp": "/echo", "data": ["echo", nested], "id": 4})
                )["data"] == [{"malformed": "payload nests too deeply"}]
        await ws.send_bytes(deep)
        assert (await exchange({"type": 2, "nsp": "/echo", "data": ["echo"], "id": 6})
                )["data"] == [{"event": "echo", "args": []}]
        assert namespace.server.stats()["unreadable_dropped"] == 1
    no_traceback(caplog)


@pytest.mark.parametrize("auth", ["[1,2]", '"a string"', "true", "{not json",
                                  '{"token":"\\ud800"}', DEEP])
async def test_a_connect_whose_auth_is_not_an_object_gets_a_connect_error(
        served: tuple[str, EchoNamespace], auth: str) -> None:
    url, _ = served
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_str()
        await ws.send_str(f"40/echo,{auth}")
        refusal = await next_message(ws)
        assert refusal.startswith("44/echo,")
        payload = json.loads(refusal[len("44/echo,"):])
        assert payload["data"] == {"code": "bad_request", "message": payload["message"]}
        await ws.send_str('40/echo,{"let":"me in"}')
        assert (await next_message(ws)).startswith('40/echo,{"sid":'), "the connection stays"
