"""The citizens' OpenID Connect login against a real provider on loopback: the happy
path, every refusal (no session after any of them), logout and ``/api/v1/me``."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from tests.gateway.identity.conftest import IdentityWorld, StartWorld, auth_error
from tests.support.oidc_provider import REMOVE, TestProvider


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def assert_no_session(world: IdentityWorld, response: aiohttp.ClientResponse,
                            code: str) -> None:
    assert response.status == 302
    assert auth_error(response) == code, response.headers["Location"]
    assert "rtc_session" not in response.cookies
    status, _ = await world.browsers[-1].me()
    assert status == 401


async def test_login_redirects_with_pkce_state_nonce_and_acr(world: IdentityWorld) -> None:
    browser = world.browser()
    login = await browser.get(f"{world.gw.url}/auth/login", params={"return_to": "/demo/"})
    assert login.status == 302
    location = login.headers["Location"]
    assert location.startswith(f"{world.provider.url}/authorize?")
    query = query_of(location)
    assert query["response_type"] == "code"
    assert query["client_id"] == world.provider.client_id
    assert query["redirect_uri"] == f"{world.gw.url}/auth/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["acr_values"] == "eidas1"
    assert {"openid", "given_name", "family_name", "birthdate", "email"} <= set(
        query["scope"].split())
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["state"] != query["nonce"]
    assert browser.cookie("rtc_login")
    set_cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


async def test_login_opens_a_verified_session(world: IdentityWorld) -> None:
    browser = world.browser()
    response = await browser.login("/demo/?x=1")
    assert response.status == 302
    assert response.headers["Location"] == "/demo/?x=1"
    cookie = response.cookies["rtc_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # the public URL is plain http here
    status, me = await browser.me()
    assert status == 200
    assert me["verified"] is True
    assert me["identity"] == {"given_name": "Marie", "family_name": "Dupont",
                              "birthdate": "1984-05-17"}
    assert me["citizen_id"].startswith("c_")
    token_request = world.provider.token_requests[-1]
    assert token_request["grant_type"] == "authorization_code"
    assert "client_secret" not in token_request  # client_secret_basic was offered


async def test_client_secret_post_and_rs256(start_world: StartWorld) -> None:
    provider = TestProvider(auth_methods=("client_secret_post",))
    world = await start_world(provider)
    provider.rotate(alg="RS256")
    browser = world.browser()
    response = await browser.login()
    assert "rtc_session" in response.cookies
    assert provider.token_requests[-1]["client_secret"] == provider.client_secret


@pytest.mark.parametrize("return_to", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "demo", "/demo/\r\nSet-Cookie: x=1",
])
async def test_return_to_is_only_a_local_path(world: IdentityWorld, return_to: str) -> None:
    response = await world.browser().login(return_to)
    assert response.headers["Location"] == "/"


async def test_wrong_nonce_is_refused(world: IdentityWorld) -> None:
    world.provider.id_token_overrides = {"nonce": "another-nonce"}
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")


async def test_wrong_audience_is_refused(world: IdentityWorld) -> None:
    world.provider.id_token_overrides = {"aud": "another-client", "azp": "another-client"}
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")


async def test_wrong_azp_is_refused(world: IdentityWorld) -> None:
    world.provider.id_token_overrides = {"aud": [world.provider.client_id, "other"],
                                         "azp": "other"}
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")


async def test_wrong_issuer_is_refused(world: IdentityWorld) -> None:
    world.provider.id_token_overrides = {"iss": world.provider.url + "/"}
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")


async def test_expired_id_token_is_refused(world: IdentityWorld) -> None:
    now = int(time.time())
    world.provider.id_token_overrides = {"iat": now - 600, "exp": now - 120}
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")


async def test_small_clock_skew_is_tolerated(world: IdentityWorld) -> None:
    now = int(time.time())
    world.provider.id_token_overrides = {"iat": now + 10}
    assert "rtc_session" in (await world.browser().login()).cookies


async def test_alg_none_is_refused(world: IdentityWorld) -> None:
    world.provider.sign_id_token_with_none = True
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")


@pytest.mark.parametrize("acr", ["eidas0", "", REMOVE])
async def test_wrong_or_missing_acr_is_refused(world: IdentityWorld, acr: object) -> None:
    world.provider.id_token_overrides = {"acr": acr}
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")


@pytest.mark.parametrize("acr", ["eidas2", "eidas3"])
async def test_higher_acr_levels_are_accepted(world: IdentityWorld, acr: str) -> None:
    world.provider.acr = acr
    assert "rtc_session" in (await world.browser().login()).cookies


async def test_unsigned_userinfo_is_refused_when_the_provider_signs(
        world: IdentityWorld) -> None:
    world.provider.userinfo_as_json = True
    await assert_no_session(world, await world.browser().login(), "userinfo_invalid")


async def test_userinfo_about_another_person_is_refused(world: IdentityWorld) -> None:
    world.provider.userinfo_overrides = {"sub": "someone-else"}
    await assert_no_session(world, await world.browser().login(), "userinfo_invalid")


async def test_plain_userinfo_from_a_provider_that_does_not_sign(
        start_world: StartWorld) -> None:
    provider = TestProvider(signed_userinfo=False)
    world = await start_world(provider)
    provider.userinfo_as_json = True
    browser = world.browser()
    assert "rtc_session" in (await browser.login()).cookies
    assert (await browser.me())[1]["identity"]["birthdate"] == "1984-05-17"


async def test_replayed_state_is_refused(world: IdentityWorld) -> None:
    browser = world.browser()
    callback = await browser.start_login()
    assert "rtc_session" in (await browser.callback(callback)).cookies
    replay = await browser.callback(callback)
    assert auth_error(replay) == "state_invalid"
    assert "rtc_session" not in replay.cookies


async def test_state_from_another_browser_is_refused(world: IdentityWorld) -> None:
    victim, attacker = world.browser(), world.browser()
    callback = await attacker.start_login()
    await assert_no_session(world, await victim.callback(callback), "state_invalid")
    # the state was spent by the failed attempt: the attacker cannot use it either
    assert auth_error(await attacker.callback(callback)) == "state_invalid"


async def test_unknown_state_and_expired_login_are_refused(start_world: StartWorld) -> None:
    world = await start_world(login_ttl_s=0.5)
    browser = world.browser()
    callback = await browser.start_login()
    forged = callback.replace(query_of(callback)["state"], "forged-state")
    await assert_no_session(world, await browser.callback(forged), "state_invalid")
    await asyncio.sleep(0.6)
    await assert_no_session(world, await browser.callback(callback), "state_invalid")


async def test_provider_error_goes_back_to_the_page(world: IdentityWorld) -> None:
    world.provider.authorize_error = "access_denied"
    response = await world.browser().login("/demo/citizen.html")
    assert response.headers["Location"] == "/demo/citizen.html?auth_error=access_denied"
    assert "rtc_session" not in response.cookies


async def test_key_rotation_unknown_kid(world: IdentityWorld) -> None:
    provider = world.provider
    assert "rtc_session" in (await world.browser().login()).cookies
    fetches = provider.jwks_fetches
    provider.rotate(publish=False)
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")
    world.clock.offset_s += 61
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")
    assert provider.jwks_fetches == fetches + 1  # refetched once, then refused
    provider.rotate(alg="RS256", publish=True)
    published_now = await world.browser().login()
    assert auth_error(published_now) == "id_token_invalid"  # refetched < 60 s ago
    world.clock.offset_s += 61
    assert "rtc_session" in (await world.browser().login()).cookies
    assert provider.jwks_fetches == fetches + 2


async def test_logout_revokes_and_calls_the_provider(world: IdentityWorld) -> None:
    browser = world.browser()
    await browser.login()
    logout = await browser.get(f"{world.gw.url}/auth/logout")
    assert logout.status == 302
    location = logout.headers["Location"]
    assert location.startswith(f"{world.provider.url}/logout?")
    query = query_of(location)
    assert query["post_logout_redirect_uri"] == f"{world.gw.url}/"
    assert query["id_token_hint"].count(".") == 2
    assert (await browser.me())[0] == 401


async def test_a_revoked_session_cookie_is_worthless(world: IdentityWorld) -> None:
    browser = world.browser()
    await browser.login()
    stolen = browser.cookie("rtc_session")
    await browser.get(f"{world.gw.url}/auth/logout")
    other = world.browser()
    other.http.cookie_jar.update_cookies({"rtc_session": stolen or ""})
    assert (await other.me())[0] == 401


async def test_me_with_a_bearer_citizen_token(world: IdentityWorld) -> None:
    citizen = await world.citizen()
    token = citizen.received("session")[0]["token"]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{world.gw.url}/api/v1/me",
                            headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200
            assert await response.json() == {
                "citizen_id": citizen.received("session")[0]["citizen_id"], "verified": False}
        async with http.get(f"{world.gw.url}/api/v1/me",
                            headers={"Authorization": "Bearer forged"}) as response:
            assert response.status == 401
            assert (await response.json())["error"]["code"] == "unauthorized"


async def test_cookie_authenticated_change_needs_an_allowed_origin(
        world: IdentityWorld) -> None:
    browser = world.browser()
    await browser.login()
    url = f"{world.gw.url}/auth/logout"
    for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"}):
        async with browser.http.post(url, headers=headers, allow_redirects=False) as refused:
            assert refused.status == 403
            assert (await refused.json())["error"]["code"] == "forbidden"
    assert (await browser.me())[1]["verified"] is True
    async with browser.http.post(url, headers={"Origin": world.gw.url},
                                 allow_redirects=False) as allowed:
        assert allowed.status == 302
    assert (await browser.me())[0] == 401


async def test_without_an_issuer_the_login_answers_503(start_world: StartWorld) -> None:
    world = await start_world(issuer=False)
    browser = world.browser()
    for path in ("/auth/login", "/auth/callback?state=x&code=y", "/auth/logout"):
        response = await browser.get(world.gw.url + path)
        assert response.status == 503, path
    async with browser.http.get(world.gw.url + "/api/v1/client-config") as response:
        assert (await response.json())["identity_login"] is False


async def test_logins_started_per_address_are_limited(start_world: StartWorld) -> None:
    world = await start_world(logins_per_address_burst=3.0, logins_per_address_per_s=0.001)
    browser = world.browser()
    for _ in range(3):
        assert (await browser.get(f"{world.gw.url}/auth/login")).status == 302
    async with browser.http.get(f"{world.gw.url}/auth/login",
                                allow_redirects=False) as refused:
        assert refused.status == 429
        assert (await refused.json())["error"]["code"] == "rate_limited"
    async with browser.http.get(f"{world.gw.url}/metrics") as response:
        metrics = await response.text()
    assert 'rtc_limit_refusals_total{limit="logins_per_address"} 1.0' in metrics


async def test_login_outcomes_are_counted(world: IdentityWorld) -> None:
    await world.browser().login()
    world.provider.id_token_overrides = {"nonce": "another-nonce"}
    await world.browser().login()
    async with world.browser().http.get(f"{world.gw.url}/metrics") as response:
        metrics = await response.text()
    assert 'rtc_citizen_logins_total{outcome="ok"} 1.0' in metrics
    assert 'rtc_citizen_logins_total{outcome="id_token_invalid"} 1.0' in metrics


async def test_a_token_signed_with_the_client_secret_is_refused(world: IdentityWorld) -> None:
    world.provider.sign_id_token_with_secret = True
    await assert_no_session(world, await world.browser().login(), "id_token_invalid")


async def test_cookies_are_secure_behind_an_https_public_url(start_world: StartWorld) -> None:
    world = await start_world(public_url="https://contact.example.fr")
    login = await world.browser().get(f"{world.gw.url}/auth/login")
    assert login.status == 302
    assert query_of(login.headers["Location"])["redirect_uri"] == (
        "https://contact.example.fr/auth/callback")
    assert "Secure" in login.headers["Set-Cookie"]


async def test_a_session_ends_after_its_lifetime(start_world: StartWorld) -> None:
    world = await start_world(session_ttl_s=1.0)
    browser = world.browser()
    await browser.login()
    assert (await browser.me())[0] == 200
    await asyncio.sleep(1.2)
    assert (await browser.me())[0] == 401


async def test_the_socket_path_is_left_to_the_realtime_origin_check(
        world: IdentityWorld) -> None:
    browser = world.browser()
    await browser.login()
    url = f"{world.gw.url}/socket.io/?EIO=4&transport=polling&sid=unknown"
    async with browser.http.post(url, data=b"40") as response:
        assert response.status == 400  # the engine's own answer, not the CSRF refusal
    async with browser.http.post(url, data=b"40",
                                 headers={"Origin": "https://evil.example"}) as response:
        assert response.status == 403  # the realtime server refuses that origin itself
