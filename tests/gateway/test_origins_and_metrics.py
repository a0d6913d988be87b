"""Origins are checked against the public URL and the configured ones, never against the
client's Host; /metrics answers loopback and the allowed scrapers only, by the client's
address resolved behind trusted proxies."""

import aiohttp
import pytest

from rtc_gateway.gateway.origins import OriginPolicy, origin_of
from tests.gateway.conftest import RunningGateway, StartGateway

WEBSOCKET = "/socket.io/?EIO=4&transport=websocket"
POLLING = "/socket.io/?EIO=4&transport=polling"


async def opening_status(gw: RunningGateway, path: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session:
        if path == WEBSOCKET:
            try:
                async with session.ws_connect(gw.url + path, headers=headers) as ws:
                    await ws.receive_str()
                    return 101
            except aiohttp.WSServerHandshakeError as refused:
                return refused.status
        async with session.get(gw.url + path, headers=headers) as answer:
            return answer.status


@pytest.mark.parametrize("path", [WEBSOCKET, POLLING])
async def test_an_attackers_host_name_does_not_make_its_origin_ours(
        start_gateway: StartGateway, path: str) -> None:
    gw = await start_gateway(public_url="https://gateway.example",
                             cors_origins=("https://app.example",))
    attacker = {"Origin": "http://attacker.example", "Host": "attacker.example"}
    assert await opening_status(gw, path, attacker) == 403
    assert await opening_status(gw, path, {"Origin": gw.url, "Host": gw.url[7:]}) == 403, \
        "with a public URL, loopback origins are not allowed either"
    for allowed in ("https://gateway.example", "https://app.example"):
        assert await opening_status(gw, path, {"Origin": allowed}) in (101, 200)


@pytest.mark.parametrize("path", [WEBSOCKET, POLLING])
async def test_without_a_public_url_loopback_pages_may_connect(
        start_gateway: StartGateway, path: str) -> None:
    gw = await start_gateway()
    for allowed in (gw.url, "http://localhost:5173", "http://[::1]:8080"):
        assert await opening_status(gw, path, {"Origin": allowed}) in (101, 200), allowed
    attacker = {"Origin": "http://attacker.example", "Host": "attacker.example"}
    assert await opening_status(gw, path, attacker) == 403


def test_the_public_origin_is_written_as_browsers_write_it() -> None:
    assert origin_of("https://Gateway.Example:443/app/") == "https://gateway.example"
    assert origin_of("http://gw.example:8080") == "http://gw.example:8080"
    policy = OriginPolicy((), "https://gw.example/")
    assert policy("https://gw.example") and not policy("https://gw.example.attacker.example")
    with pytest.raises(ValueError):
        origin_of("gw.example")


async def metrics_status(gw: RunningGateway, headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{gw.url}/metrics", headers=headers or {}) as answer:
        return answer.status


async def test_metrics_answer_loopback_and_allowed_scrapers_only(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(trusted_proxies=("127.0.0.1",), metrics_allow=("192.0.2.0/24",))
    assert await metrics_status(gw) == 200
    assert await metrics_status(gw, {"X-Forwarded-For": "203.0.113.9"}) == 403, \
        "a client on the internet, through the proxy"
    assert await metrics_status(gw, {"X-Forwarded-For": "192.0.2.10"}) == 200


async def test_metrics_through_a_proxy_that_is_not_trusted_are_refused(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    assert await metrics_status(gw) == 200
    assert await metrics_status(gw, {"X-Forwarded-For": "203.0.113.9"}) == 403
