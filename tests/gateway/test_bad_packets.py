"""Packets no client library would send, through the whole gateway: deep nesting and
unreadable CONNECT auth are refused as bad input, the connection stays, nothing
crashes; and a session that joins no namespace is closed after the connect timeout."""

import asyncio
import json
import logging

import aiohttp
import pytest

from tests.gateway.conftest import RunningGateway, StartGateway

DEEP = "[" * 1000 + "]" * 1000


async def next_text(ws: aiohttp.ClientWebSocketResponse) -> str:
    while (text := await asyncio.wait_for(ws.receive_str(), 5)) == "2":
        await ws.send_str("3")
    return text


async def joined_citizen(session: aiohttp.ClientSession,
                         gw: RunningGateway) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{gw.url}/socket.io/?EIO=4&transport=websocket")
    await ws.receive_str()
    await ws.send_str("40/citizen,")
    assert (await next_text(ws)).startswith('40/citizen,{"sid":')
    assert (await next_text(ws)).startswith('42/citizen,["session"')
    return ws


async def test_deep_nesting_gets_bad_request_and_the_citizen_stays(
        gw: RunningGateway, caplog: pytest.LogCaptureFixture) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await joined_citizen(session, gw)
        await ws.send_str(f'42/citizen,5["conversation:list",{DEEP}]')
        answer = await next_text(ws)
        assert answer.startswith("43/citizen,5")
        assert json.loads(answer[len("43/citizen,5"):])[0]["error"]["code"] == "bad_request"
        await ws.send_str(f'42/citizen,["conversation:list",{DEEP}]')
        await ws.send_str('42/citizen,6["conversation:list",{}]')
        assert json.loads((await next_text(ws))[len("43/citizen,6"):])[0]["ok"] is True
        async with session.get(f"{gw.url}/metrics") as metrics:
            assert "rtc_unreadable_packets_dropped_total 1.0" in await metrics.text()
        await ws.close()
    assert not [record for record in caplog.records
                if record.exc_info or record.levelno >= logging.ERROR]


@pytest.mark.parametrize("auth", ['["token"]', "{not json", '{"token":"\\udc00"}'])
async def test_a_connect_with_unreadable_auth_gets_bad_request(gw: RunningGateway,
                                                               auth: str) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(
            f"{gw.url}/socket.io/?EIO=4&transport=websocket") as ws:
        await ws.receive_str()
        await ws.send_str(f"40/agent,{auth}")
        refusal = await next_text(ws)
        assert refusal.startswith("44/agent,")
        assert json.loads(refusal[len("44/agent,"):])["data"]["code"] == "bad_request"
        await ws.send_str("40/citizen,")
        assert (await next_text(ws)).startswith('40/citizen,{"sid":'), "the connection stays"


async def test_a_session_that_joins_no_namespace_is_closed(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(connect_timeout_s=0.5, ping_interval_s=0.2, ping_timeout_s=0.5)
    async with aiohttp.ClientSession() as session, session.ws_connect(
            f"{gw.url}/socket.io/?EIO=4&transport=websocket") as ws:
        await ws.receive_str()
        while (await asyncio.wait_for(ws.receive(), 3)).type is aiohttp.WSMsgType.TEXT:
            await ws.send_str("3")
        async with session.get(f"{gw.url}/metrics") as metrics:
            assert "rtc_connect_timeouts_total 1.0" in await metrics.text()
