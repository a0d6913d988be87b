"""Staff login with the ministry's OpenID provider (a second real provider on loopback):
the console gets a staff token equivalent to a minted one, every refusal leaves it
without one, and nothing of the citizens' provider ever gives staff rights."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import jwt
import pytest

from rtc_gateway.config import from_environment
from rtc_gateway.domain.roles import Role
from rtc_gateway.security.cookies import SESSION_COOKIE
from tests.gateway.identity.conftest import Browser, IdentityWorld, StartWorld
from tests.support.oidc_provider import TestProvider, free_port
from tests.support.sio_client import RecordingClient

OFFICER = {"sub": "agent-4711", "name": "Jeanne Roux", "role": "supervisor",
           "force": "police", "unit": "police-lyon", "topics": ["theft", "fraud"],
           "languages": ["fr", "en"], "max_chats": 5}

StaffWorld = Callable[..., Awaitable[tuple[IdentityWorld, TestProvider]]]


@pytest.fixture
async def staff_world(start_world: StartWorld) -> AsyncIterator[StaffWorld]:
    providers: list[TestProvider] = []

    async def start(claims: dict[str, Any] | None = None,
                    **overrides: Any) -> tuple[IdentityWorld, TestProvider]:
        ministry = await TestProvider(client_id="rtc-staff",
                                      client_secret="staff-client-secret-0123456789").start()
        providers.append(ministry)
        ministry.issue_staff_claims(**(OFFICER if claims is None else claims))
        world = await start_world(staff_oidc_issuer=ministry.url,
                                  staff_oidc_client_id=ministry.client_id,
                                  staff_oidc_client_secret=ministry.client_secret,
                                  **overrides)
        return world, ministry

    yield start
    for provider in providers:
        await provider.close()


async def staff_callback(browser: Browser, return_to: str = "/demo/agent.html") -> str:
    login = await browser.get(f"{browser.gateway_url}/auth/staff/login",
                              params={"return_to": return_to})
    assert login.status == 302, login.status
    authorize = await browser.get(login.headers["Location"])
    assert authorize.status == 302, authorize.status
    return authorize.headers["Location"]


async def staff_login(browser: Browser, return_to: str = "/demo/agent.html") -> str:
    """Where the gateway sends the console back, token in the fragment or refusal."""
    done = await browser.get(await staff_callback(browser, return_to))
    assert done.status == 302, done.status
    return done.headers["Location"]


def token_of(location: str) -> str:
    fragment = parse_qs(urlsplit(location).fragment)
    assert "token" in fragment, location
    return fragment["token"][0]


def refusal_of(location: str) -> str | None:
    parts = urlsplit(location)
    assert "token" not in parts.fragment and "token=" not in location, location
    return parse_qs(parts.query).get("auth_error", [None])[0]


async def staff_get(world: IdentityWorld, token: str, path: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(
            world.gw.url + path, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status


async def test_staff_login_gives_the_console_a_staff_token(staff_world: StaffWorld) -> None:
    world, ministry = await staff_world()
    browser = world.browser()
    location = await staff_login(browser)
    assert location.startswith("/demo/agent.html#token=")
    assert "expires_at=" in location
    profile = world.gw.gateway.tokens.verify_agent(token_of(location))
    assert profile.agent_id == "agent-4711" and profile.display_name == "Jeanne Roux"
    assert profile.role is Role.SUPERVISOR and profile.service.value == "police"
    assert profile.unit == "police-lyon" and profile.max_chats == 5
    assert profile.topics == {"theft", "fraud"} and profile.languages == {"fr", "en"}

    authorize = ministry.authorize_requests[-1]
    assert authorize["client_id"] == "rtc-staff"
    assert authorize["redirect_uri"] == f"{world.gw.url}/auth/staff/callback"
    assert authorize["scope"] == "openid profile" and "acr_values" not in authorize
    assert authorize["code_challenge_method"] == "S256"
    assert world.provider.authorize_requests == []  # the citizens' provider never asked

    token = token_of(location)
    assert await staff_get(world, token, "/api/v1/staff/cases") == 200
    assert await staff_get(world, token, "/api/v1/cases") == 403  # not a citizen
    agent = RecordingClient(world.gw.url, "/agent")
    await agent.connect({"token": token})
    world.gw.clients.append(agent)
    assert (await agent.call("agent:status", {"status": "available"}))["ok"] is True


async def test_the_staff_token_is_short_lived_and_revocable(staff_world: StaffWorld) -> None:
    world, _ = await staff_world(staff_oidc_token_ttl_s=600.0)
    location = await staff_login(world.browser())
    token = token_of(location)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600 and claims["jti"]
    assert claims["aud"] == "rtc-gateway/agent" and claims["iss"] == "rtc-gateway"
    revoked = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "rtc_gateway", "token", "revoke", "--data-dir",
        str(world.gw.gateway.settings.data_dir), "--token", token],
        capture_output=True, text=True, timeout=60)
    assert revoked.returncode == 0, revoked.stderr
    for _ in range(100):
        if await staff_get(world, token, "/api/v1/staff/cases") == 401:
            break
        await asyncio.sleep(0.1)
    assert await staff_get(world, token, "/api/v1/staff/cases") == 401


async def test_claim_mapping_and_role_values_are_configuration(
        staff_world: StaffWorld) -> None:
    world, _ = await staff_world(
        {"sub": "x1", "given_name": "Paul", "family_name": "Blanc", "grade": "OPJ",
         "arme": "gendarmerie", "unite": "gendarmerie-bta-mende", "capacite": "2"},
        staff_oidc_claims="role=grade, force=arme, unit=unite, capacity=capacite",
        staff_oidc_role_values="OPJ=agent,CDT=supervisor")
    profile = world.gw.gateway.tokens.verify_agent(token_of(await staff_login(world.browser())))
    assert profile.role is Role.AGENT and profile.service.value == "gendarmerie"
    assert profile.unit == "gendarmerie-bta-mende" and profile.max_chats == 2
    assert profile.display_name == "Paul Blanc" and profile.languages == {"fr"}


@pytest.mark.parametrize("claims", [
    {**OFFICER, "role": "citizen"},
    {**OFFICER, "role": "system"},
    {**OFFICER, "role": "chef"},
    {key: value for key, value in OFFICER.items() if key != "role"},
    {**OFFICER, "force": "douane"},
    {key: value for key, value in OFFICER.items() if key != "force"},
    {**OFFICER, "unit": "gendarmerie-bta-mende"},  # a unit of the other force
    {**OFFICER, "unit": "Lyon centre"},
    {**OFFICER, "max_chats": 0},
    {**OFFICER, "max_chats": 500},
    {**OFFICER, "topics": "theft\x00"},
    {**OFFICER, "languages": [1, 2]},
], ids=["citizen", "system", "unknown-role", "no-role", "unknown-force", "no-force",
        "other-force-unit", "bad-unit", "no-capacity", "huge-capacity", "control-chars",
        "not-strings"])
async def test_claims_that_make_no_staff_profile_are_refused(
        staff_world: StaffWorld, claims: dict[str, Any]) -> None:
    world, _ = await staff_world(claims)
    location = await staff_login(world.browser())
    assert refusal_of(location) == "staff_claims_refused"
    assert location.startswith("/demo/agent.html?")


async def test_a_mapping_to_an_invalid_role_is_refused(staff_world: StaffWorld) -> None:
    world, _ = await staff_world({**OFFICER, "grade": "OPJ"},
                                 staff_oidc_claims="role=grade",
                                 staff_oidc_role_values="CDT=supervisor")
    assert refusal_of(await staff_login(world.browser())) == "staff_claims_refused"
    with pytest.raises(ValueError, match="staff role value"):
        from_environment({"RTC_GATEWAY_STAFF_OIDC_ROLE_VALUES": "OPJ=citizen"})
    with pytest.raises(ValueError, match="staff claim mapping"):
        from_environment({"RTC_GATEWAY_STAFF_OIDC_CLAIMS": "grade=role"})


async def test_the_citizens_provider_never_gives_staff_rights(staff_world: StaffWorld) -> None:
    world, _ = await staff_world()
    world.provider.identity.update(OFFICER)  # even claiming to be an officer
    citizen = world.browser()
    citizen_callback = await citizen.start_login("/demo/agent.html")
    # The citizens' code and state, replayed at the staff callback: no such staff login.
    replay = await citizen.get(citizen_callback.replace("/auth/callback",
                                                        "/auth/staff/callback"))
    assert replay.status == 302 and refusal_of(replay.headers["Location"]) == "state_invalid"
    done = await citizen.callback(citizen_callback)
    assert done.status == 302 and "token" not in done.headers["Location"]
    cookie = citizen.cookie(SESSION_COOKIE)
    assert cookie
    async with aiohttp.ClientSession(cookies={SESSION_COOKIE: cookie}) as http:
        async with http.get(f"{world.gw.url}/api/v1/staff/cases") as response:
            assert response.status == 403
        async with http.get(f"{world.gw.url}/api/v1/me") as response:
            assert (await response.json())["verified"] is True
    # And a staff login's code and state, replayed at the citizens' callback: refused.
    staff = world.browser()
    staff_back = await staff_callback(staff)
    wrong = await staff.get(staff_back.replace("/auth/staff/callback", "/auth/callback"))
    assert wrong.status == 302 and "rtc_session" not in wrong.cookies
    assert (await staff.me())[0] == 401
    with pytest.raises(ValueError, match="must not be the citizens'"):
        from_environment({"RTC_GATEWAY_OIDC_ISSUER": "https://fc.example",
                          "RTC_GATEWAY_OIDC_CLIENT_ID": "c",
                          "RTC_GATEWAY_PUBLIC_URL": "https://gw.example",
                          "RTC_GATEWAY_STAFF_OIDC_ISSUER": "https://fc.example/",
                          "RTC_GATEWAY_STAFF_OIDC_CLIENT_ID": "s"})


async def test_staff_login_refusals(staff_world: StaffWorld) -> None:
    world, ministry = await staff_world()
    browser = world.browser()
    back = await staff_callback(browser)
    first = await browser.get(back)
    assert first.status == 302 and token_of(first.headers["Location"])
    again = await browser.get(back)  # the state is single-use
    assert refusal_of(again.headers["Location"]) == "state_invalid"

    thief = world.browser()  # another browser with the same callback URL
    stolen = await staff_callback(browser)
    assert refusal_of((await thief.get(stolen)).headers["Location"]) == "state_invalid"

    ministry.authorize_error = "access_denied"
    assert refusal_of(await staff_login(world.browser())) == "access_denied"
    ministry.authorize_error = None

    ministry.rotate(publish=False)  # signed with a key the provider never published
    assert refusal_of(await staff_login(world.browser())) == "id_token_invalid"
    ministry.rotate()
    world.clock.offset_s += 61  # keys are fetched again at most once a minute
    ministry.id_token_overrides["aud"] = "someone-else"
    assert refusal_of(await staff_login(world.browser())) == "id_token_invalid"
    ministry.id_token_overrides.clear()

    outside = await staff_login(world.browser(), return_to="//evil.example/")
    assert outside.startswith("/demo/agent.html#token=")
    missing = await world.browser().get(f"{world.gw.url}/auth/staff/callback")
    assert refusal_of(missing.headers["Location"]) == "state_invalid"


async def test_staff_login_unconfigured_and_the_console_button(
        start_world: StartWorld, staff_world: StaffWorld) -> None:
    plain = await start_world()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{plain.gw.url}/auth/staff/login", allow_redirects=False) as r:
            assert r.status == 503
            assert (await r.json())["error"]["code"] == "unavailable"
        async with http.get(f"{plain.gw.url}/api/v1/client-config") as r:
            assert (await r.json())["staff_login"] is False
        world, _ = await staff_world()
        async with http.get(f"{world.gw.url}/api/v1/client-config") as r:
            assert (await r.json())["staff_login"] is True
        async with http.get(f"{world.gw.url}/demo/agent.html") as r:
            page = await r.text()
    assert 'id="staff-login-box" hidden' in page
    assert 'href="/auth/staff/login?return_to=/demo/agent.html">Se connecter</a>' in page


async def test_staff_logins_are_limited_per_address(staff_world: StaffWorld) -> None:
    world, _ = await staff_world(logins_per_address_burst=2.0,
                                 logins_per_address_per_s=0.001)
    browser = world.browser()
    statuses = [(await browser.get(f"{world.gw.url}/auth/staff/login")).status
                for _ in range(3)]
    assert statuses == [302, 302, 429]


async def test_an_unreachable_staff_provider_is_said(start_world: StartWorld) -> None:
    world = await start_world(staff_oidc_issuer=f"http://127.0.0.1:{free_port()}",
                              staff_oidc_client_id="rtc-staff")
    start = await world.browser().get(f"{world.gw.url}/auth/staff/login")
    assert start.status == 302
    assert refusal_of(start.headers["Location"]) == "provider_unavailable"
