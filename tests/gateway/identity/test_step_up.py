"""Verified identity on ``/citizen``: the handshake's cookie, and an anonymous chat
stepped up with ``identity:link`` (real python-socketio clients, real provider)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import aiohttp
import pytest
import socketio

from rtc_gateway.ports.evidence_log import RecordKind
from tests.gateway.identity.conftest import IdentityWorld, StartWorld
from tests.gateway.test_export import run_cli


async def open_assigned_chat(world: IdentityWorld, token: str | None = None) -> tuple[
        str, str]:
    citizen = await world.citizen(token=token)
    agent = await world.gw.agent("a1")
    ack = await citizen.ok("conversation:open", {"topic": "general", "service": "police",
                                                 "text": "Bonjour"})
    await agent.wait_for("conversation:assigned")
    return ack["conversation"]["id"], citizen.received("session")[0]["token"]


async def test_a_verified_session_works_on_the_citizen_namespace(world: IdentityWorld) -> None:
    browser = world.browser()
    await browser.login()
    _, me = await browser.me()
    citizen = await world.citizen(cookie=browser.cookie_header())
    session = citizen.received("session")[0]
    assert session["verified"] is True
    assert session["citizen_id"] == me["citizen_id"]


async def test_the_cookie_rides_on_a_long_polling_handshake(world: IdentityWorld) -> None:
    browser = world.browser()
    await browser.login()
    citizen = await world.citizen(cookie=browser.cookie_header(), transports=("polling",))
    assert citizen.received("session")[0]["verified"] is True


async def test_an_anonymous_session_says_not_verified(world: IdentityWorld) -> None:
    citizen = await world.citizen()
    assert citizen.received("session")[0]["verified"] is False
    assert await citizen.ok("identity:link", {}) == {"ok": True, "verified": False}


async def test_a_forged_or_revoked_cookie_is_not_verified(world: IdentityWorld) -> None:
    forged = await world.citizen(cookie="rtc_session=forged-value")
    assert forged.received("session")[0]["verified"] is False
    browser = world.browser()
    await browser.login()
    cookie = browser.cookie_header()
    await browser.get(f"{world.gw.url}/auth/logout")
    revoked = await world.citizen(cookie=cookie)
    assert revoked.received("session")[0]["verified"] is False
    assert await revoked.ok("identity:link", {}) == {"ok": True, "verified": False}


async def test_step_up_of_an_anonymous_chat(world: IdentityWorld) -> None:
    conversation_id, token = await open_assigned_chat(world)
    agent = world.gw.clients[1]
    browser = world.browser()
    await browser.login("/demo/citizen.html")
    stepped = await world.citizen(cookie=browser.cookie_header(), token=token)
    session = stepped.received("session")[0]
    assert session["verified"] is False  # not linked yet: the chat identity is anonymous
    assert await stepped.ok("identity:link", {}) == {"ok": True, "verified": True}
    updated = await agent.wait_for("conversation:updated")
    assert updated == {"conversation_id": conversation_id, "citizen_verified": True,
                       "citizen_name": "Marie Dupont"}

    records = await world.gw.gateway.evidence.conversation_records(
        conversation_id, [RecordKind.IDENTITY_VERIFIED])
    assert len(records) == 1
    record = records[0]
    assert record.actor_role == "citizen"
    assert record.actor_id == session["citizen_id"]
    assert record.data["provider"] == world.provider.url
    assert record.data["acr"] == "eidas1"
    assert set(record.data["claims"]) == {"given_name", "family_name", "birthdate", "gender",
                                         "birthplace", "birthcountry", "email"}
    assert record.data["verified_at"].endswith("Z")
    stored = json.dumps(record.data)
    assert "Dupont" not in stored and "eyJ" not in stored  # no claim value, no token

    again = await stepped.ok("identity:link", {})
    assert again == {"ok": True, "verified": True}
    assert len(await world.gw.gateway.evidence.conversation_records(
        conversation_id, [RecordKind.IDENTITY_VERIFIED])) == 1  # once per step-up

    resumed = await world.citizen(token=token)  # another device of the same citizen
    assert resumed.received("session")[0]["verified"] is True
    status, me = await browser.me()
    assert status == 200 and me["verified"] is True


async def test_link_needs_the_cookie_of_the_same_browser(world: IdentityWorld) -> None:
    _, token = await open_assigned_chat(world)
    other_browser = world.browser()
    await other_browser.login()
    anonymous = await world.citizen(token=token)  # this browser never logged in
    assert await anonymous.ok("identity:link", {}) == {"ok": True, "verified": False}
    agent = world.gw.clients[1]
    assert agent.received("conversation:updated") == []


async def test_link_with_a_bad_payload_is_bad_request(world: IdentityWorld) -> None:
    citizen = await world.citizen()
    ack = await citizen.call("identity:link", "not an object")
    assert ack["ok"] is False and ack["error"]["code"] == "bad_request"
    assert (await citizen.ok("identity:link", {}))["verified"] is False


async def test_a_stepped_up_conversation_exports_and_verifies(world: IdentityWorld,
                                                              tmp_path: Path) -> None:
    conversation_id, token = await open_assigned_chat(world)
    browser = world.browser()
    await browser.login()
    stepped = await world.citizen(cookie=browser.cookie_header(), token=token)
    assert (await stepped.ok("identity:link", {}))["verified"] is True
    supervisor = {"Authorization": f"Bearer {world.gw.agent_token('s1', role='supervisor')}"}
    async with aiohttp.ClientSession() as http, http.post(
            f"{world.gw.url}/api/v1/conversations/{conversation_id}/export",
            json={"reason": "PV 2026/77", "include_media": False},
            headers=supervisor) as response:
        assert response.status == 200
        bundle = tmp_path / "bundle.zip"
        bundle.write_bytes(await response.read())
    with zipfile.ZipFile(bundle) as archive:
        records = archive.read("records.json").decode()
    assert RecordKind.IDENTITY_VERIFIED in records
    assert "eyJ" not in records and "Dupont" not in records  # no token, no claim value
    verified = await run_cli("verify", str(bundle))
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_the_public_origin_may_open_the_socket(start_world: StartWorld) -> None:
    world = await start_world(public_url="https://contact.example.fr")
    allowed = socketio.AsyncClient(reconnection=False)
    await allowed.connect(world.gw.url, namespaces=["/citizen"], transports=["websocket"],
                          headers={"Origin": "https://contact.example.fr"}, wait_timeout=10)
    await allowed.disconnect()
    refused = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(world.gw.url, namespaces=["/citizen"], transports=["websocket"],
                              headers={"Origin": "https://evil.example"}, wait_timeout=10)


async def test_an_agent_given_a_verified_citizen_is_told(world: IdentityWorld) -> None:
    citizen = await world.citizen()
    token = citizen.received("session")[0]["token"]
    ack = await citizen.ok("conversation:open", {"topic": "general", "service": "police"})
    browser = world.browser()
    await browser.login()
    stepped = await world.citizen(cookie=browser.cookie_header(), token=token)
    assert (await stepped.ok("identity:link", {}))["verified"] is True
    agent = await world.gw.agent("a2")
    await agent.wait_for("conversation:assigned")
    updated = await agent.wait_for("conversation:updated")
    assert updated == {"conversation_id": ack["conversation"]["id"],
                       "citizen_verified": True, "citizen_name": "Marie Dupont"}
    names = [name for name, _ in agent.events]
    assert names.index("conversation:assigned") < names.index("conversation:updated")


async def test_an_agent_given_an_anonymous_citizen_is_told_nothing(
        world: IdentityWorld) -> None:
    citizen = await world.citizen()
    await citizen.ok("conversation:open", {"topic": "general", "service": "police"})
    agent = await world.gw.agent("a3")
    await agent.wait_for("conversation:assigned")
    await citizen.ok("conversation:list", {})
    assert agent.received("conversation:updated") == []
