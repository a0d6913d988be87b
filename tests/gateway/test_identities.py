"""Connecting: anonymous and resumed citizens, agents with signed tokens, refusals."""

import socketio

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.forces import Force
from tests.gateway.conftest import RunningGateway
from tests.support.sio_client import RecordingClient


async def connect_error(url: str, namespace: str, auth: object) -> object:
    client = socketio.AsyncClient(reconnection=False)
    errors: list[object] = []
    client.on("connect_error", errors.append, namespace=namespace)
    try:
        await client.connect(url, namespaces=[namespace], auth=auth, transports=["websocket"],
                             wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        pass
    finally:
        await client.disconnect()
    assert errors, "the connection should have been refused"
    return errors[0]


async def test_anonymous_citizen_gets_a_session_and_resumes_it(gw: RunningGateway) -> None:
    first = await gw.citizen()
    session = first.received("session")[0]
    assert session["citizen_id"].startswith("c_")
    assert session["expires_at"].endswith("Z")
    again = await gw.citizen(token=session["token"])
    assert again.received("session")[0]["citizen_id"] == session["citizen_id"]


async def test_citizen_with_bad_token_is_refused_unauthorized(gw: RunningGateway) -> None:
    error = await connect_error(gw.url, "/citizen", {"token": "not-a-token"})
    assert isinstance(error, dict) and error["code"] == "unauthorized"


async def test_agent_needs_a_valid_agent_token(gw: RunningGateway) -> None:
    assert (await connect_error(gw.url, "/agent", None))["code"] == "unauthorized"  # type: ignore[index]
    citizen = await gw.citizen()
    citizen_token = citizen.received("session")[0]["token"]
    refused = await connect_error(gw.url, "/agent", {"token": citizen_token})
    assert refused["code"] == "unauthorized"  # type: ignore[index]
    agent = RecordingClient(gw.url, "/agent")
    await agent.connect({"token": gw.agent_token("a1", name="Brigadier Durand")})
    session = await agent.wait_for("agent:session")
    assert session["agent_id"] == "a1" and session["display_name"] == "Brigadier Durand"
    await agent.disconnect()


async def test_anonymous_sessions_are_capped_per_address(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gw = await start_gateway(anonymous_per_ip=2)
    await gw.citizen()
    await gw.citizen()
    error = await connect_error(gw.url, "/citizen", None)
    assert error["code"] == "rate_limited"  # type: ignore[index]
    resumed = await gw.citizen(token=gw.clients[0].received("session")[0]["token"])
    assert resumed.received("session"), "resuming an identity is not capped"


async def test_expired_agent_token_is_refused(gw: RunningGateway) -> None:
    expired = gw.gateway.tokens.mint_agent(AgentProfile("old", "Ancien", Force.POLICE), -60)
    error = await connect_error(gw.url, "/agent", {"token": expired.token})
    assert error["code"] == "unauthorized"  # type: ignore[index]
