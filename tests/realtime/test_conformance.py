"""Engine.IO v4 and Socket.IO v5 conformance, written for this server: every behaviour the
public protocol test suites check that the gateway supports, against a server set up as
those suites expect theirs (ping every 300 ms, 200 ms to answer, 1 MB payloads), with raw
HTTP and WebSocket clients where the bytes matter and python-socketio where they do not.

Where the gateway differs on purpose (docs/protocol.md, "Conformance"), the test says what
it does instead: an unreadable packet never ends the session, binary attachments are
refused, an acknowledgement carries one object."""

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web

from rtc_gateway.realtime.codecs import JsonCodec
from rtc_gateway.realtime.connection import ClientInfo
from rtc_gateway.realtime.front_door import RealtimeSite
from rtc_gateway.realtime.server import Greeting, RealtimeServer

PING_INTERVAL_S = 0.3
PING_TIMEOUT_S = 0.2
HEARTBEAT_S = PING_INTERVAL_S + PING_TIMEOUT_S


class ReferenceNamespace:
    """What the suites' reference server does: greet with the auth it was given, send
    ``message`` back as ``message-back``, acknowledge ``message-with-ack``."""

    def __init__(self, server: RealtimeServer) -> None:
        self.server = server

    async def connect(self, sid: str, client: ClientInfo, auth: Any) -> Greeting | None:
        return "auth", {} if auth is None else auth

    async def event(self, event: object, sid: str, args: tuple[Any, ...]) -> Any:
        if event == "message":
            self.server.send_event(sid, "message-back", args[0] if args else None)
        return args[0] if args else None

    def malformed(self, sid: str, reason: str) -> Any:
        return {"ok": False, "error": {"code": "bad_request", "message": reason}}

    async def disconnect(self, sid: str, reason: str) -> None:
        pass


class Served:
    def __init__(self, port: int, server: RealtimeServer) -> None:
        self.server = server
        self.http = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling"
        self.ws = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
        self.root = f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def reference_server(*, front_door: bool,
                           connect_timeout_s: float = 30.0) -> AsyncIterator[Served]:
    server = RealtimeServer(codec=JsonCodec(), origins=lambda origin, host, scheme: True,
                            max_message_bytes=1_000_000, ping_interval_s=PING_INTERVAL_S,
                            ping_timeout_s=PING_TIMEOUT_S, connect_timeout_s=connect_timeout_s)
    for name in ("/", "/custom"):
        server.add_namespace(name, ReferenceNamespace(server))
    app = web.Application()
    server.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = RealtimeSite(runner, server, "127.0.0.1", port) if front_door \
        else web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield Served(port, server)
    finally:
        await runner.cleanup()


@pytest.fixture(params=["front door", "aiohttp route"])
async def served(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    async with reference_server(front_door=request.param == "front door") as served:
        yield served


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def open_polling(http: aiohttp.ClientSession, served: Served) -> str:
    """A new long-polling session's address."""
    async with http.get(served.http) as opened:
        sid = json.loads((await opened.text())[1:])["sid"]
    return f"{served.http}&sid={sid}"


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as answer:
        return answer.status, await answer.text()


async def post(http: aiohttp.ClientSession, url: str, body: str) -> tuple[int, str]:
    async with http.post(url, data=body) as answer:
        return answer.status, await answer.text()


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = 2.0) -> str:
    return await asyncio.wait_for(ws.receive_str(), timeout)


async def receive_skipping_pings(ws: aiohttp.ClientWebSocketResponse) -> str:
    while (text := await receive(ws)) == "2":
        pass
    return text


async def closed(ws: aiohttp.ClientWebSocketResponse, timeout: float = 2.0) -> bool:
    """Whether the server closes ``ws`` within ``timeout`` (pings are not answered)."""
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.CLOSING):
            return True
        if message.type is aiohttp.WSMsgType.ERROR:
            return True


def handshake(text: str, upgrades: list[str]) -> None:
    assert text.startswith("0")
    opening = json.loads(text[1:])
    assert set(opening) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert isinstance(opening["sid"], str)
    assert opening["upgrades"] == upgrades
    assert (opening["pingInterval"], opening["pingTimeout"]) == (300, 200)
    assert opening["maxPayload"] == 1_000_000


# Engine.IO: handshake

async def test_a_polling_session_opens(served: Served, http: aiohttp.ClientSession) -> None:
    status, text = await get(http, served.http)
    assert status == 200
    handshake(text, ["websocket"])


async def test_a_websocket_session_opens(served: Served, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        handshake(await receive(ws), [])


@pytest.mark.parametrize("query", ["transport=polling", "EIO=abc&transport=polling",
                                   "EIO=3&transport=polling", "EIO=4", "EIO=4&transport=abc"])
async def test_a_bad_version_or_transport_is_refused(served: Served, http: aiohttp.ClientSession,
                                                     query: str) -> None:
    assert (await get(http, f"{served.root}/socket.io/?{query}"))[0] == 400
    ws_query = query.replace("polling", "websocket")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{served.root.replace('http', 'ws')}/socket.io/?{ws_query}")
    assert refused.value.status == 400


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_a_session_opens_with_get_only(served: Served, http: aiohttp.ClientSession,
                                             method: str) -> None:
    async with http.request(method, served.http) as refused:
        assert refused.status == 400


# Engine.IO: packets over long-polling

async def test_a_post_carries_several_packets_and_a_get_takes_all_waiting(
        served: Served, http: aiohttp.ClientSession) -> None:
    polling = await open_polling(http, served)
    assert await post(http, polling, '40\x1e42["message","a"]\x1e42["message","b"]') \
        == (200, "ok")
    status, text = await get(http, polling)
    assert status == 200
    connected, *rest = text.split("\x1e")
    assert connected.startswith('40{"sid":')
    assert rest == ['42["auth",{}]', '42["message-back","a"]', '42["message-back","b"]']


async def test_overlapping_gets_close_the_session(served: Served,
                                                   http: aiohttp.ClientSession) -> None:
    polling = await open_polling(http, served)
    first = asyncio.ensure_future(get(http, polling))
    await asyncio.sleep(0.05)
    assert (await get(http, polling + "&t=burst"))[0] == 400
    assert await first == (200, "1")
    assert (await get(http, polling))[0] == 400


# Engine.IO: heartbeat

async def test_a_polling_client_that_answers_pings_stays(served: Served,
                                                         http: aiohttp.ClientSession) -> None:
    polling = await open_polling(http, served)
    for _ in range(3):
        assert await get(http, polling) == (200, "2")
        assert await post(http, polling, "3") == (200, "ok")


async def test_a_polling_session_is_closed_the_moment_its_pong_is_overdue(
        served: Served, http: aiohttp.ClientSession) -> None:
    polling = await open_polling(http, served)
    await asyncio.sleep(HEARTBEAT_S)
    assert (await get(http, polling))[0] == 400
    assert served.server.stats()["heartbeat_timeouts"] == 1


async def test_a_websocket_client_that_answers_pings_stays(served: Served,
                                                           http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        for _ in range(3):
            assert await receive(ws) == "2"
            await ws.send_str("3")
        await ws.send_str('40')
        assert (await receive(ws)).startswith('40{"sid":')


async def test_a_websocket_client_that_does_not_answer_is_closed(
        served: Served, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        assert await closed(ws, timeout=2 * HEARTBEAT_S)


# Engine.IO: close

async def test_a_polling_client_closing_releases_its_get_with_a_noop(
        served: Served, http: aiohttp.ClientSession) -> None:
    polling = await open_polling(http, served)
    waiting = asyncio.ensure_future(get(http, polling))
    await asyncio.sleep(0.05)
    assert await post(http, polling, "1") == (200, "ok")
    assert await waiting == (200, "6")
    assert (await get(http, polling))[0] == 400


async def test_a_websocket_client_closing_is_closed(served: Served,
                                                    http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        await ws.send_str("1")
        assert await closed(ws, timeout=HEARTBEAT_S / 2)


# Engine.IO: upgrade

async def upgraded(http: aiohttp.ClientSession, served: Served
                   ) -> tuple[str, aiohttp.ClientWebSocketResponse]:
    """A long-polling session moved to a WebSocket: its polling address and the socket."""
    polling = await open_polling(http, served)
    ws = await http.ws_connect(polling.replace("http", "ws", 1)
                               .replace("transport=polling", "transport=websocket"))
    await ws.send_str("2probe")
    assert await receive(ws) == "3probe"
    await ws.send_str("5")
    return polling, ws


async def test_an_upgrade_probes_releases_the_get_then_switches(
        served: Served, http: aiohttp.ClientSession) -> None:
    polling = await open_polling(http, served)
    waiting = asyncio.ensure_future(get(http, polling))
    await asyncio.sleep(0.05)
    async with http.ws_connect(polling.replace("http", "ws", 1)
                               .replace("transport=polling", "transport=websocket")) as ws:
        await ws.send_str("2probe")
        assert await receive(ws) == "3probe"
        assert await waiting == (200, "6"), "the waiting GET ends with a noop"
        await ws.send_str("5")
        await ws.send_str('42["message","over the websocket"]')
        await ws.send_str("40")
        assert (await receive_skipping_pings(ws)).startswith('40{"sid":')


async def test_a_get_made_after_the_probe_gets_the_noop_and_the_websocket_does_not(
        served: Served, http: aiohttp.ClientSession) -> None:
    polling = await open_polling(http, served)
    async with http.ws_connect(polling.replace("http", "ws", 1)
                               .replace("transport=polling", "transport=websocket")) as ws:
        await ws.send_str("2probe")
        assert await receive(ws) == "3probe"
        assert await get(http, polling) == (200, "6")
        await ws.send_str("5")
        await ws.send_str("40")
        assert (await receive_skipping_pings(ws)).startswith('40{"sid":')


async def test_polling_requests_after_the_upgrade_are_refused(
        served: Served, http: aiohttp.ClientSession) -> None:
    polling, ws = await upgraded(http, served)
    async with ws:
        assert (await get(http, polling))[0] == 400
        assert (await post(http, polling, "3"))[0] == 400
        await ws.send_str("40")
        assert (await receive_skipping_pings(ws)).startswith('40{"sid":')


async def test_a_second_websocket_for_an_upgraded_session_is_accepted_and_closed(
        served: Served, http: aiohttp.ClientSession) -> None:
    polling, ws = await upgraded(http, served)
    async with ws:
        second = await http.ws_connect(polling.replace("http", "ws", 1)
                                       .replace("transport=polling", "transport=websocket"))
        assert await closed(second, timeout=HEARTBEAT_S)
        await ws.send_str("40")
        assert (await receive_skipping_pings(ws)).startswith('40{"sid":')


async def test_a_websocket_for_an_unknown_session_is_refused(
        served: Served, http: aiohttp.ClientSession) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(served.ws + "&sid=nobody")
    assert refused.value.status == 400


# Socket.IO: connect and disconnect

@pytest.mark.parametrize(("connect", "prefix", "auth"), [
    ("40", "40", {}),
    ('40{"token":"123"}', "40", {"token": "123"}),
    ("40/custom,", "40/custom,", {}),
    ('40/custom,{"token":"abc"}', "40/custom,", {"token": "abc"}),
])
async def test_a_namespace_is_joined_with_or_without_auth(
        served: Served, http: aiohttp.ClientSession, connect: str, prefix: str,
        auth: dict[str, str]) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        await ws.send_str(connect)
        answer = await receive(ws)
        assert answer.startswith(prefix)
        assert set(json.loads(answer[len(prefix):])) == {"sid"}
        data_prefix = "42" + prefix[2:]
        assert await receive(ws) == data_prefix + json.dumps(["auth", auth],
                                                              separators=(",", ":"))


async def test_an_unknown_namespace_is_refused(served: Served,
                                               http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        await ws.send_str("40/random")
        assert await receive(ws) == '44/random,{"message":"Invalid namespace"}'


async def test_leaving_the_main_namespace_keeps_the_session(
        served: Served, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        await ws.send_str("40")
        await receive(ws), await receive(ws)
        await ws.send_str("41")
        assert await receive(ws) == "2", "nothing but the next ping"


async def test_leaving_a_custom_namespace_keeps_the_main_one(
        served: Served, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        await ws.send_str("40")
        await receive(ws), await receive(ws)
        await ws.send_str("40/custom")
        assert (await receive_skipping_pings(ws)).startswith('40/custom,{"sid":')
        assert await receive_skipping_pings(ws) == '42/custom,["auth",{}]'
        await ws.send_str("41/custom")
        await ws.send_str('42/custom,["message","not connected there"]')
        await ws.send_str('42["message","message to main namespace"]')
        assert await receive_skipping_pings(ws) == \
            '42["message-back","message to main namespace"]'


async def test_python_socketio_joins_emits_and_is_acknowledged(served: Served) -> None:
    client = socketio.AsyncClient(reconnection=False)
    auths: list[tuple[str, Any]] = []
    backs: asyncio.Queue[Any] = asyncio.Queue()
    client.on("auth", lambda auth: auths.append(("/", auth)))
    client.on("auth", lambda auth: auths.append(("/custom", auth)), namespace="/custom")
    client.on("message-back", backs.put_nowait)
    await client.connect(served.root, namespaces=["/", "/custom"], auth={"token": "t"},
                         transports=["polling", "websocket"], wait_timeout=5)
    try:
        assert await client.call("message-with-ack", {"n": 1}, timeout=5) == {"n": 1}
        for _ in range(50):
            if len(auths) == 2:
                break
            await asyncio.sleep(0.02)
        assert sorted(auths) == [("/", {"token": "t"}), ("/custom", {"token": "t"})]
        await client.emit("message", "message to main namespace")
        assert await asyncio.wait_for(backs.get(), 5) == "message to main namespace"
        assert client.transport() == "websocket", "it upgraded"
    finally:
        await client.disconnect()


# Socket.IO: messages, and where the gateway differs on purpose

async def test_events_and_acks(served: Served, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        await ws.send_str("40")
        await receive(ws), await receive(ws)
        await ws.send_str('42["message",{"3":[true]}]')
        assert await receive_skipping_pings(ws) == '42["message-back",{"3":[true]}]'
        await ws.send_str('42456["message-with-ack",{"3":[false]}]')
        assert await receive_skipping_pings(ws) == '43456[{"3":[false]}]', \
            "an ack carries one object"


@pytest.mark.parametrize(("packet", "ack"), [
    ("4abc", None),
    ("42{}", None),
    ('42abc["message-with-ack",1]', None),
    ('42{"not":"a list"}', None),
    ("427[not json", '437[{"ok":false,"error":{"code":"bad_request",'
                     '"message":"payload is not JSON"}}]'),
])
async def test_an_unreadable_packet_is_refused_and_the_session_stays(
        served: Served, http: aiohttp.ClientSession, packet: str, ack: str | None) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        await ws.send_str("40")
        await receive(ws), await receive(ws)
        await ws.send_str(packet)
        if ack is not None:
            assert await receive_skipping_pings(ws) == ack
        await ws.send_str('428["message-with-ack","still here"]')
        assert await receive_skipping_pings(ws) == '438["still here"]'


async def test_binary_attachments_are_refused(served: Served,
                                              http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(served.ws) as ws:
        await receive(ws)
        await ws.send_str("40")
        await receive(ws), await receive(ws)
        await ws.send_str('452-789["message-with-ack",{"_placeholder":true,"num":0},'
                          '{"_placeholder":true,"num":1}]')
        await ws.send_bytes(b"\x01\x02\x03")
        await ws.send_bytes(b"\x04\x05\x06")
        assert "binary attachments" in await receive_skipping_pings(ws)
        await ws.send_str('428["message-with-ack","still here"]')
        assert await receive_skipping_pings(ws) == '438["still here"]'


# Socket.IO: connect timeout

@pytest.mark.parametrize("front_door", [True, False])
async def test_a_session_that_joins_no_namespace_in_time_is_closed(
        front_door: bool, http: aiohttp.ClientSession) -> None:
    async with reference_server(front_door=front_door, connect_timeout_s=0.75) as served:
        idle = await http.ws_connect(served.ws)
        joined = await http.ws_connect(served.ws)
        await receive(idle), await receive(joined)
        await joined.send_str("40")
        answering = asyncio.ensure_future(answer_pings(joined))
        polling = await open_polling(http, served)
        polling_answers = asyncio.ensure_future(answer_polled_pings(http, polling))
        started = asyncio.get_running_loop().time()
        await answer_pings(idle)
        assert asyncio.get_running_loop().time() - started >= 0.7
        assert await polling_answers == (200, "1"), "the waiting GET is told with a close"
        assert (await get(http, polling))[0] == 400
        assert served.server.stats()["connect_timeouts"] == 2, served.server.stats()
        assert served.server.stats()["heartbeat_timeouts"] == 0
        await asyncio.sleep(PING_INTERVAL_S)
        assert not answering.done(), "the session that joined a namespace stays"
        await joined.close()
        await answering
        await idle.close()


async def answer_polled_pings(http: aiohttp.ClientSession, polling: str) -> tuple[int, str]:
    """Poll and answer pings until a GET gets something else, which is returned."""
    while (answer := await get(http, polling)) == (200, "2"):
        await post(http, polling, "3")
    return answer


async def answer_pings(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Answer pings until the socket closes."""
    while (message := await asyncio.wait_for(ws.receive(), 2)).type is aiohttp.WSMsgType.TEXT:
        if message.data == "2":
            await ws.send_str("3")
