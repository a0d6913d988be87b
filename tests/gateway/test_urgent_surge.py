"""Supervisors are alarmed, once per window, when urgent openings surge."""

import aiohttp

from tests.gateway.conftest import StartGateway

URGENT = {"topic": "general", "priority": "urgent", "service": "police"}


async def scrape(url: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        body = await response.text()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in body.splitlines() if line and not line.startswith("#")}


async def test_a_surge_of_urgent_openings_alarms_supervisors(start_gateway: StartGateway) -> None:
    gw = await start_gateway(urgent_surge_threshold=4, urgent_surge_window_s=60.0)
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    officer = await gw.agent("a1", available=False)
    citizens = [await gw.citizen() for _ in range(3)]
    await citizens[0].ok("conversation:open", {"topic": "general"})
    for citizen in citizens:
        await citizen.ok("conversation:open", URGENT)
    assert not supervisor.received("alert:urgent_surge"), "3 urgent openings are no surge"
    await citizens[0].ok("conversation:open", {"topic": "discreet_alert"})
    alert = await supervisor.wait_for("alert:urgent_surge")
    assert alert["count"] == 4 and alert["window_s"] == 60.0
    assert alert["at"].endswith("Z")
    await citizens[1].ok("conversation:open", URGENT)
    await supervisor.ok("agent:status", {"status": "away"})
    assert len(supervisor.received("alert:urgent_surge")) == 1, "one alarm per window"
    assert not officer.received("alert:urgent_surge"), "for supervisors only"
    metrics = await scrape(gw.url)
    assert metrics['rtc_conversations_opened_total{priority="urgent"}'] == 5
    assert metrics["rtc_urgent_surges_total"] == 1
    assert metrics["rtc_urgent_openings_in_window"] == 5
