"""The citizens' login: authorization code flow with PKCE, FranceConnect v2 rules.

``start`` sends the browser to the provider with a fresh single-use ``state`` and
``nonce`` bound to that browser; ``finish`` takes the state back (once, same browser),
exchanges the code, checks the ID token and the userinfo answer, and opens a verified
session. Tokens are never logged; the log says which check failed.
"""

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from rtc_gateway.domain.identity import CitizenIdentity, PendingLogin, VerifiedSession
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.session_store import SessionStore
from rtc_gateway.security.cookies import cookie_key, new_cookie_value
from rtc_gateway.security.tokens import new_citizen_id
from rtc_gateway.services.identity import errors
from rtc_gateway.services.identity.claims import IdTokenClaims, UserinfoClaims
from rtc_gateway.services.identity.errors import LoginFailed
from rtc_gateway.services.identity.provider import (
    MAX_DOCUMENT_BYTES,
    OidcProvider,
    ProviderMetadata,
    json_object,
)

log = logging.getLogger(__name__)

SCOPES = "openid given_name family_name birthdate email gender birthplace birthcountry"
REQUESTED_ACR = "eidas1"


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str


@dataclass(frozen=True, slots=True)
class StartedLogin:
    redirect_url: str
    browser_value: str
    """The pre-login cookie's value (the one the browser had, or a new one)."""


@dataclass(frozen=True, slots=True)
class VerifiedLogin:
    """What a finished login proved: the ID token and the claims of it and userinfo."""

    id_token: str
    id_claims: Mapping[str, Any]
    userinfo: Mapping[str, Any]


IdClaimsCheck = Callable[..., IdTokenClaims]
"""``IdTokenClaims`` or a subclass, built with ``now, issuer=, client_id=, nonce=``."""


@dataclass(frozen=True, slots=True)
class OpenedSession:
    session: VerifiedSession
    cookie_value: str


class LoginFlow:
    def __init__(self, provider: OidcProvider, client: Client, store: SessionStore,
                 clock: Clock, http: Callable[[], aiohttp.ClientSession], *,
                 login_ttl_s: float, session_ttl_s: float, scopes: str = SCOPES,
                 acr_values: str | None = REQUESTED_ACR) -> None:
        self._provider = provider
        self._scopes = scopes
        self._acr_values = acr_values
        self._client = client
        self._store = store
        self._clock = clock
        self._http = http
        self._login_ttl = timedelta(seconds=login_ttl_s)
        self._session_ttl = timedelta(seconds=session_ttl_s)

    @property
    def issuer(self) -> str:
        return self._provider.issuer

    async def start(self, return_to: str, browser_value: str | None) -> StartedLogin:
        metadata = await self._provider.metadata()
        browser_value = browser_value or new_cookie_value()
        login = PendingLogin(
            state=secrets.token_urlsafe(32), browser_key=cookie_key(browser_value),
            nonce=secrets.token_urlsafe(32), code_verifier=secrets.token_urlsafe(48),
            return_to=return_to, expires_at=self._clock.now() + self._login_ttl)
        await self._store.put_login(login)
        query = urlencode({
            "response_type": "code", "client_id": self._client.client_id,
            "redirect_uri": self._client.redirect_uri, "scope": self._scopes,
            "state": login.state, "nonce": login.nonce,
            **({"acr_values": self._acr_values} if self._acr_values else {}),
            "code_challenge": create_s256_code_challenge(login.code_verifier),
            "code_challenge_method": "S256", "prompt": "login consent"})
        return StartedLogin(f"{metadata.authorization_endpoint}?{query}", browser_value)

    async def take(self, state: str | None, browser_value: str | None) -> PendingLogin:
        """The pending login ``state`` names, once, for the browser that started it."""
        if not state or len(state) > 256:
            raise LoginFailed(errors.STATE_INVALID, "missing state")
        login = await self._store.take_login(state, self._clock.now())
        if login is None:
            raise LoginFailed(errors.STATE_INVALID, "unknown, used or expired state")
        if browser_value is None or not secrets.compare_digest(
                cookie_key(browser_value), login.browser_key):
            raise LoginFailed(errors.STATE_INVALID, "state from another browser")
        return login

    async def finish(self, login: PendingLogin, params: Mapping[str, str]) -> OpenedSession:
        verified = await self.verify(login, params, IdTokenClaims)
        identity = CitizenIdentity.from_claims(
            self.issuer, str(verified.id_claims["acr"]),
            {**verified.userinfo, **verified.id_claims})
        return await self._open_session(identity, verified.id_token)

    async def verify(self, login: PendingLogin, params: Mapping[str, str],
                     id_check: IdClaimsCheck) -> VerifiedLogin:
        """Exchange the code, check the ID token with ``id_check`` and read userinfo."""
        if "error" in params:
            code = (errors.ACCESS_DENIED if params["error"] == "access_denied"
                    else errors.PROVIDER_ERROR)
            raise LoginFailed(code, f"provider error {params['error'][:64]!r}")
        code_param = params.get("code")
        if not code_param or len(code_param) > 2048:
            raise LoginFailed(errors.PROVIDER_ERROR, "no authorization code")
        metadata = await self._provider.metadata()
        tokens = await self._exchange(metadata, code_param, login.code_verifier)
        id_token = tokens.get("id_token")
        access_token = tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise LoginFailed(errors.TOKEN_EXCHANGE, "token answer lacks id_token or access_token")
        id_claims = await self._provider.verify(id_token, id_check(
            self._now, issuer=metadata.issuer, client_id=self._client.client_id,
            nonce=login.nonce))
        userinfo = await self._userinfo(metadata, access_token, str(id_claims["sub"]))
        return VerifiedLogin(id_token, id_claims, userinfo)

    async def _exchange(self, metadata: ProviderMetadata, code: str,
                        verifier: str) -> Mapping[str, Any]:
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self._client.redirect_uri, "code_verifier": verifier}
        headers = {"Accept": "application/json"}
        secret = self._client.client_secret or ""
        if "client_secret_basic" in metadata.token_auth_methods:
            headers["Authorization"] = aiohttp.encode_basic_auth(
                quote(self._client.client_id, safe=""), quote(secret, safe=""))
        elif "client_secret_post" in metadata.token_auth_methods:
            form |= {"client_id": self._client.client_id, "client_secret": secret}
        else:
            raise LoginFailed(errors.UNAVAILABLE, "no supported client authentication")
        try:
            async with self._http().post(metadata.token_endpoint, data=form,
                                         headers=headers) as response:
                body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LoginFailed(errors.UNAVAILABLE, f"token endpoint: {type(exc).__name__}") from None
        if status != 200:
            raise LoginFailed(errors.TOKEN_EXCHANGE, f"token endpoint answered {status}")
        return json_object(body)

    async def _userinfo(self, metadata: ProviderMetadata, access_token: str,
                        subject: str) -> Mapping[str, Any]:
        if metadata.userinfo_endpoint is None:
            return {}
        headers = {"Authorization": f"Bearer {access_token}"}
        try:
            async with self._http().get(metadata.userinfo_endpoint, headers=headers) as response:
                body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
                status = response.status
                content_type = response.content_type
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LoginFailed(errors.UNAVAILABLE, f"userinfo: {type(exc).__name__}") from None
        if status != 200:
            raise LoginFailed(errors.USERINFO_INVALID, f"userinfo answered {status}")
        if content_type == "application/jwt":
            try:
                return await self._provider.verify(body.decode("ascii").strip(), UserinfoClaims(
                    self._now, issuer=metadata.issuer, client_id=self._client.client_id,
                    subject=subject))
            except LoginFailed as failed:
                raise LoginFailed(errors.USERINFO_INVALID, failed.detail) from None
            except UnicodeDecodeError:
                raise LoginFailed(errors.USERINFO_INVALID, "userinfo not ASCII") from None
        if metadata.signed_userinfo:
            raise LoginFailed(errors.USERINFO_INVALID, "unsigned userinfo from a signing provider")
        try:
            claims = json_object(body)
        except LoginFailed:
            raise LoginFailed(errors.USERINFO_INVALID, "userinfo unreadable") from None
        if claims.get("sub") != subject:
            raise LoginFailed(errors.USERINFO_INVALID, "userinfo about another subject")
        return claims

    async def _open_session(self, identity: CitizenIdentity, id_token: str) -> OpenedSession:
        cookie_value = new_cookie_value()
        now = self._clock.now()
        session = VerifiedSession(
            session_id=cookie_key(cookie_value), citizen_id=new_citizen_id(),
            identity=identity, id_token=id_token, verified_at=now,
            expires_at=now + self._session_ttl)
        await self._store.put_session(session)
        log.info("citizen verified", extra={"citizen_id": session.citizen_id,
                                            "acr": identity.acr, "issuer": identity.issuer})
        return OpenedSession(session, cookie_value)

    async def session_of_cookie(self, cookie_value: str | None) -> VerifiedSession | None:
        if not cookie_value:
            return None
        return await self._store.get_session(cookie_key(cookie_value), self._clock.now())

    async def logout(self, cookie_value: str | None) -> str | None:
        """Revoke the browser's session; the provider's logout address, if it has one."""
        if not cookie_value:
            return None
        session = await self._store.delete_session(cookie_key(cookie_value))
        if session is None:
            return None
        metadata = await self._provider.metadata()
        if metadata.end_session_endpoint is None:
            return None
        query = urlencode({"id_token_hint": session.id_token,
                           "post_logout_redirect_uri": self._client.post_logout_redirect_uri,
                           "state": secrets.token_urlsafe(16)})
        return f"{metadata.end_session_endpoint}?{query}"

    def _now(self) -> int:
        return int(self._clock.now().timestamp())
