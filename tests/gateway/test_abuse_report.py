"""An officer marks a conversation abusive: it closes, its source is blocked a while,
and the report is evidence. Nobody else's discreet alert is ever held back by it."""

import asyncio
import logging

import pytest

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.sources import ClientFrom, connect_error
from tests.gateway.test_chat import assigned_pair, open_conversation
from tests.gateway.test_urgent_surge import scrape
from tests.support.sio_client import RecordingClient

SECRET_TEXT = "texte injurieux 4242"


async def test_reporting_abuse_closes_blocks_and_logs_evidence(
        gw: RunningGateway, caplog: pytest.LogCaptureFixture) -> None:
    neighbour = await gw.citizen()
    abuser, agent, cid = await assigned_pair(gw)
    token = abuser.received("session")[0]["token"]
    abuser_id = abuser.received("session")[0]["citizen_id"]
    await abuser.ok("message:send", {"conversation_id": cid, "client_msg_id": "m1",
                                     "text": SECRET_TEXT})
    with caplog.at_level(logging.INFO):
        ack = await agent.ok("conversation:report_abuse",
                             {"conversation_id": cid, "reason": "insultes répétées"})
    assert ack["conversation"]["status"] == "closed"
    closed = await abuser.wait_for("conversation:closed")
    assert closed == {"conversation_id": cid, "reason": "abusive"}
    for _ in range(100):  # the blocked identity's live connection is ended too
        if abuser.namespace not in abuser.sio.namespaces:
            break
        await asyncio.sleep(0.05)
    assert abuser.namespace not in abuser.sio.namespaces
    again = await connect_error(RecordingClient(gw.url, "/citizen"), {"token": token})
    assert again["code"] == "forbidden" and "abuse" in again["message"]

    newcomer = await gw.citizen()
    for citizen in (neighbour, newcomer):
        ordinary = await citizen.call("conversation:open", {"topic": "general"})
        assert ordinary["error"]["code"] == "rate_limited"
        assert "discreet" in ordinary["error"]["message"]
        alert = await citizen.ok("conversation:open", {"topic": "discreet_alert"})
        assert alert["conversation"]["status"] in ("queued", "assigned"), \
            "someone else behind the blocked address still raises a discreet alert"
    elsewhere = ClientFrom(gw.url, "/citizen", "127.0.0.2")
    gw.clients.append(elsewhere)
    await elsewhere.connect()
    await open_conversation(elsewhere)

    records = await gw.gateway.evidence.conversation_records(cid)
    report = next(r for r in records if r.kind == "abuse.reported")
    assert report.actor_id == "a1" and report.text is None
    assert report.data["citizen_id"] == abuser_id
    assert report.data["address"] == "127.0.0.1"
    assert report.data["reason"] == "insultes répétées"
    assert [r.kind for r in records][-1] == "conversation.closed"
    assert records[-1].data["reason"] == "abusive"
    logged = [r for r in caplog.records if r.getMessage() == "abuse reported"]
    assert logged and logged[0].__dict__["conversation_id"] == cid
    assert all(SECRET_TEXT not in r.getMessage() and SECRET_TEXT not in str(r.__dict__)
               for r in caplog.records)
    metrics = await scrape(gw.url)
    assert metrics["rtc_abuse_reports_total"] == 1
    assert metrics['rtc_abuse_blocks{kind="identity"}'] == 1
    assert metrics['rtc_abuse_blocks{kind="address"}'] == 1
    assert metrics['rtc_limit_refusals_total{limit="blocked_identity"}'] == 1
    assert metrics['rtc_limit_refusals_total{limit="blocked_address"}'] == 2


async def test_only_the_assigned_agent_or_a_supervisor_reports(gw: RunningGateway) -> None:
    citizen, _agent, cid = await assigned_pair(gw)
    other = await gw.agent("a2", available=False)
    reviewer = await gw.agent("r1", role="reviewer", available=False)
    supervisor = await gw.agent("s1", role="supervisor", available=False)
    for outsider in (other, reviewer):
        ack = await outsider.call("conversation:report_abuse", {"conversation_id": cid})
        assert ack["error"]["code"] in ("forbidden", "not_found"), ack
    own = await citizen.call("conversation:report_abuse", {"conversation_id": cid})
    assert own["error"]["code"] == "bad_request", "no such event for citizens"
    assert (await supervisor.ok("conversation:report_abuse", {"conversation_id": cid}))
    twice = await supervisor.call("conversation:report_abuse", {"conversation_id": cid})
    assert twice["error"]["code"] in ("conflict", "not_found")


async def test_a_block_ends_after_its_time(start_gateway: StartGateway) -> None:
    gw = await start_gateway(abuse_block_s=0.5)
    abuser, agent, cid = await assigned_pair(gw)
    token = abuser.received("session")[0]["token"]
    await agent.ok("conversation:report_abuse", {"conversation_id": cid})
    refused = await connect_error(RecordingClient(gw.url, "/citizen"), {"token": token})
    assert refused["code"] == "forbidden"
    await asyncio.sleep(0.6)
    back = await gw.citizen(token=token)
    await open_conversation(back)
