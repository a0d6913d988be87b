"""What one address and one identity can hold open at once, urgent included."""

import asyncio

from tests.gateway.conftest import REAL_ADDRESS_LIMITS, RunningGateway, StartGateway
from tests.gateway.sources import ClientFrom

URGENT = {"topic": "general", "priority": "urgent", "service": "police"}


async def test_fake_urgent_flood_from_one_address_is_capped(start_gateway: StartGateway) -> None:
    """30 fresh identities x 5 urgent openings from one address: today 140 of them
    queued ahead of a real discreet alert from elsewhere."""
    gw = await start_gateway(**REAL_ADDRESS_LIMITS)
    attackers = [await gw.citizen() for _ in range(30)]
    acks = [await a.call("conversation:open", URGENT) for a in attackers for _ in range(5)]
    accepted = [ack for ack in acks if ack["ok"]]
    refused = [ack["error"]["code"] for ack in acks if not ack["ok"]]
    assert len(accepted) == 20
    assert set(refused) == {"rate_limited"}
    victim = ClientFrom(gw.url, "/citizen", "127.0.0.2")
    gw.clients.append(victim)
    await victim.connect()
    alert = await victim.ok("conversation:open", {"topic": "discreet_alert"})
    assert alert["conversation"]["position"] <= 21
    closed = await attackers[0].ok("conversation:close", {
        "conversation_id": accepted[0]["conversation"]["id"]})
    assert closed["conversation"]["status"] == "closed"
    again = await attackers[0].call("conversation:open", URGENT)
    assert again["ok"], "a closed conversation frees its slot"


async def test_concurrent_openings_of_one_identity_respect_its_cap(gw: RunningGateway) -> None:
    """The per-identity cap (5) was checked before the open became durable: openings
    racing on several sockets of one identity all passed it."""
    first = await gw.citizen()
    token = first.received("session")[0]["token"]
    second = await gw.citizen(token=token)
    acks = await asyncio.gather(*(c.call("conversation:open", URGENT)
                                  for c in (first, second) for _ in range(6)))
    assert sum(1 for ack in acks if ack["ok"]) == 5
    assert {ack["error"]["code"] for ack in acks if not ack["ok"]} == {"conflict"}
    listed = await first.ok("conversation:list", {})
    assert len(listed["conversations"]) == 5
