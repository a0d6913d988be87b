"""One event budget per identity, whatever its sockets and reconnects; connects limited
per address and per identity before any token work; a cap on sockets per identity."""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from rtc_gateway.security.tokens import IssuedToken
from tests.gateway.conftest import REAL_ADDRESS_LIMITS, RunningGateway, StartGateway
from tests.gateway.sources import ClientFrom, connect_error, connect_outcome
from tests.gateway.test_urgent_surge import scrape
from tests.support.sio_client import RecordingClient


async def typing_storm(clients: list[RecordingClient], per_client: int) -> list[Any]:
    return await asyncio.gather(*(c.call("typing", {"conversation_id": "cv_x",
                                                    "typing": True})
                                  for c in clients for _ in range(per_client)))


def accepted(acks: list[Any]) -> int:
    """Events that passed the budget (they then fail on the unknown conversation)."""
    return sum(1 for ack in acks if ack["ok"] or ack["error"]["code"] != "rate_limited")


async def test_sockets_of_one_identity_share_one_budget(start_gateway: StartGateway) -> None:
    gw = await start_gateway(rate_per_s=2.0, rate_burst=10.0)
    first = await gw.citizen()
    token = first.received("session")[0]["token"]
    sockets = [first] + [await gw.citizen(token=token) for _ in range(4)]
    started = time.monotonic()
    acks = await typing_storm(sockets, 20)
    elapsed = time.monotonic() - started
    assert accepted(acks) <= 20 + 1 + 4 * (elapsed + 0.2), "typing costs 0.5: burst 20, 4/s"
    other = await gw.citizen()
    assert accepted(await typing_storm([other], 5)) == 5, "another identity is unaffected"


async def test_the_budget_survives_reconnecting(start_gateway: StartGateway) -> None:
    gw = await start_gateway(rate_per_s=1.0, rate_burst=10.0)
    citizen = await gw.citizen()
    token = citizen.received("session")[0]["token"]
    spent = 0
    started = time.monotonic()
    for _ in range(4):
        spent += accepted(await typing_storm([citizen], 10))
        await citizen.disconnect()
        citizen = await gw.citizen(token=token)
    assert spent <= 2 * 10 + 2 * (time.monotonic() - started) + 1, spent


async def test_sockets_per_identity_are_capped(gw: RunningGateway) -> None:
    first = await gw.citizen()
    token = first.received("session")[0]["token"]
    others = [await gw.citizen(token=token) for _ in range(9)]
    refused = await connect_error(RecordingClient(gw.url, "/citizen"), {"token": token})
    assert refused["code"] == "rate_limited"
    await others[0].disconnect()
    gw.clients.remove(others[0])
    await asyncio.sleep(0.1)
    assert (await gw.citizen(token=token)).received("session")


async def test_reconnect_cycling_of_one_identity_is_limited(gw: RunningGateway) -> None:
    first = await gw.citizen()
    token = first.received("session")[0]["token"]
    await first.disconnect()
    codes = [await connect_outcome(gw.url, "/citizen", {"token": token}) for _ in range(20)]
    assert "rate_limited" in codes, codes
    assert codes.index("rate_limited") >= 5, "a few reconnects in a row are normal"
    other = await gw.citizen()
    assert other.received("session"), "other identities connect as usual"


async def test_connects_per_address_are_limited_before_verifying(
        start_gateway: StartGateway, caplog: pytest.LogCaptureFixture) -> None:
    gw = await start_gateway(**{**REAL_ADDRESS_LIMITS, "connects_per_address_per_s": 0.5})
    verified = 0
    tokens = gw.gateway.tokens
    real_renew = tokens.renew_citizen

    def counting_renew(token: object, admit: Callable[[str], None] | None = None) -> IssuedToken:
        nonlocal verified
        verified += 1
        return real_renew(token, admit)

    tokens.renew_citizen = counting_renew  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO):
        codes = [await connect_outcome(gw.url, "/citizen", {"token": "forged.token.value"})
                 for _ in range(70)]
    assert "rate_limited" in codes and codes[:40] == ["unauthorized"] * 40, codes
    assert verified == codes.count("unauthorized") < 70
    tripped = [r for r in caplog.records if r.getMessage() == "limit tripped"]
    assert len(tripped) == 1, "one line per limit every 10 s, however many refusals"
    assert tripped[0].__dict__["limit"] == "connects_per_address"
    assert tripped[0].__dict__["address"] == "127.0.0.1"
    assert all("forged.token.value" not in str(r.__dict__) for r in caplog.records)
    metrics = await scrape(gw.url)
    assert metrics['rtc_limit_refusals_total{limit="connects_per_address"}'] == \
        codes.count("rate_limited")
    elsewhere = ClientFrom(gw.url, "/citizen", "127.0.0.2")
    gw.clients.append(elsewhere)
    await elsewhere.connect()
    assert (await elsewhere.wait_for("session"))["citizen_id"]


async def test_staff_connects_are_limited_too(gw: RunningGateway) -> None:
    token = gw.agent_token("a1")
    officers = [await RecordingClient(gw.url, "/agent").connect({"token": token})
                for _ in range(10)]
    gw.clients.extend(officers)
    assert await connect_outcome(gw.url, "/agent", {"token": token}) == "rate_limited"
    assert await connect_outcome(gw.url, "/agent", {"token": gw.agent_token("a2")}) == "ok"
